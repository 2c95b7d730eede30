package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/accretedb/accrete"
	"github.com/accretedb/accrete/continuous"
	"github.com/accretedb/accrete/downsample"
	"github.com/accretedb/accrete/influxcompat"
	"github.com/accretedb/accrete/retention"
	"github.com/accretedb/accrete/rulestore"
	"github.com/accretedb/accrete/server"
	"github.com/accretedb/accrete/storage"
)

// Defaults of accrete serve.
const (
	defaultListen = "127.0.0.1:8086"
	defaultData   = "./accrete-data"
	// shutdownTimeout bounds the wait for running requests at shutdown.
	shutdownTimeout = 30 * time.Second
)

// runServe is `accrete serve`: it runs the server until SIGINT or SIGTERM.
func runServe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stderr, nil)
}

// serveConfig is what accrete serve runs with: the configuration file with
// the flags applied over it.
type serveConfig struct {
	server.Config
	durability storage.Durability
	auth       *server.Auth
	// pprof is the loopback address of the profiling endpoint; "" is off.
	pprof string
}

// parseServeFlags reads the flags and the configuration file they name.
// Flags given on the command line override the file; the file overrides
// the flags' defaults.
func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: accrete serve [-listen ADDR] [-data DIR] [-config FILE] [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the database server with the InfluxDB 1.x HTTP API until SIGINT or SIGTERM.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", defaultListen, "TCP `address` of the HTTP API")
	data := fs.String("data", defaultData, "data `directory`")
	configPath := fs.String("config", "", "configuration `file` (YAML, or JSON when named *.json)")
	durability := fs.String("durability", "every_write", "when writes are acknowledged: every_write, periodic or none")
	auth := fs.Bool("auth", false, "require credentials and privileges (users of CREATE USER and of the configuration file) on /write, /query and /api/v1")
	maxBody := fs.Int64("max-body-bytes", server.DefaultMaxBodyBytes, "largest request body in `bytes` after decompression; -1 for no limit")
	queryTimeout := fs.Duration("query-timeout", 0, "longest time one /query request may run; 0 for no limit")
	pprofAddr := fs.String("pprof", "", "loopback `address` serving Go's /debug/pprof/ profiles; off when empty")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	c := &serveConfig{pprof: *pprofAddr}
	if err := checkLoopback(c.pprof); err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	if *configPath != "" {
		fc, err := server.LoadConfig(*configPath)
		if err != nil {
			return nil, err
		}
		c.Config = *fc
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	override := func(name string, fileEmpty bool) bool { return set[name] || fileEmpty }
	if override("listen", c.Listen == "") {
		c.Listen = *listen
	}
	if override("data", c.Data == "") {
		c.Data = *data
	}
	if override("durability", c.Durability == "") {
		c.Durability = *durability
	}
	if set["auth"] {
		c.Auth.Enabled = *auth
	}
	if override("max-body-bytes", c.Limits.MaxBodyBytes == 0) {
		c.Limits.MaxBodyBytes = *maxBody
	}
	if override("query-timeout", c.Limits.QueryTimeout == 0) {
		c.Limits.QueryTimeout = server.Duration(*queryTimeout)
	}
	var err error
	if c.durability, err = storage.ParseDurability(c.Durability); err != nil {
		return nil, err
	}
	if c.auth, err = c.Config.AuthOption(); err != nil {
		return nil, err
	}
	return c, nil
}

// serve runs the server until ctx is done, then shuts it down gracefully:
// the HTTP server first, waiting for running requests, then the database.
// When ready is not nil it is called with the listening address once
// requests are accepted. It returns the exit code.
func serve(ctx context.Context, args []string, stderr io.Writer, ready func(addr net.Addr)) int {
	c, err := parseServeFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "accrete serve: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if c.pprof != "" {
		stopPprof, err := servePprof(c.pprof, log)
		if err != nil {
			log.Error("accrete serve failed", "err", err)
			return 1
		}
		defer stopPprof()
	}
	if err := runServer(ctx, c, log, ready); err != nil {
		log.Error("accrete serve failed", "err", err)
		return 1
	}
	return 0
}

func runServer(ctx context.Context, c *serveConfig, log *slog.Logger, ready func(net.Addr)) (err error) {
	db, err := accrete.Open(c.Data, &accrete.Options{
		Storage: storage.Options{Durability: c.durability},
		Logger:  log,
	})
	if err != nil {
		return fmt.Errorf("open %s: %w", c.Data, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", c.Data, cerr)
		}
		log.Info("data directory closed", "dir", c.Data)
	}()
	for _, d := range c.Databases {
		if err := db.CreateDatabase(d.Name); err != nil {
			return fmt.Errorf("create database %q: %w", d.Name, err)
		}
	}
	// Users of CREATE USER are kept in the data directory; those of the
	// configuration file are admins, created or updated at start.
	users, err := influxcompat.OpenUsers(db.DB, nil)
	if err != nil {
		return fmt.Errorf("open users: %w", err)
	}
	for _, u := range c.Auth.Users {
		if err := users.Ensure(u.Name, u.Password); err != nil {
			return fmt.Errorf("user %q: %w", u.Name, err)
		}
	}
	if c.auth != nil {
		c.auth.Store = users
		if !users.AdminExists() {
			log.Warn("authentication is on and no admin user exists: the first query must be CREATE USER ... WITH ALL PRIVILEGES")
		}
	}
	rules, err := rulestore.Open(db, &rulestore.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("open rules: %w", err)
	}
	for _, rc := range c.Rules {
		src, err := rc.Load()
		if err == nil {
			_, err = rules.Ensure(rc.Name, src)
		}
		if err != nil {
			return fmt.Errorf("rules program %q: %w", rc.Name, err)
		}
	}
	// Per-measurement retentions of a source freeze its old buckets (the
	// enforcer is opened below).
	var enforcer atomic.Pointer[retention.Enforcer]
	sourceRetention := func(database, rp, m string) time.Duration {
		if r := enforcer.Load(); r != nil {
			return r.Duration(database, rp, m)
		}
		return 0
	}
	// Continuous aggregates and downsamples never write one measurement:
	// each engine asks the other before taking a target.
	var dsEngine atomic.Pointer[downsample.Engine]
	aggs, err := continuous.Open(db.DB, &continuous.Options{Logger: log, SourceRetention: sourceRetention,
		TargetOwner: func(database, rp, m string) string {
			if d := dsEngine.Load(); d != nil {
				return d.TargetOwner(database, rp, m)
			}
			return ""
		}})
	if err != nil {
		return fmt.Errorf("open continuous aggregates: %w", err)
	}
	defer aggs.Close()
	schedCtx, stopSched := context.WithCancel(context.Background())
	schedDone := make(chan struct{})
	go func() {
		continuous.NewScheduler(aggs, nil).Run(schedCtx)
		close(schedDone)
	}()
	defer func() { stopSched(); <-schedDone }()

	// Downsampling folds writes into open buckets from the start; Close
	// (deferred, before the data directory closes) writes them out.
	ds, err := downsample.Open(db.DB, &downsample.Options{Logger: log, SourceRetention: sourceRetention,
		TargetOwner: aggs.TargetOwner})
	if err != nil {
		return fmt.Errorf("open downsampling: %w", err)
	}
	dsEngine.Store(ds)
	defer func() {
		if cerr := ds.Close(); cerr != nil {
			log.Error("downsampling: flush at shutdown", "err", cerr)
		}
	}()
	for _, d := range c.Aggregates {
		if _, err := aggs.Put(d); err != nil {
			return fmt.Errorf("continuous aggregate %q: %w", d.Name, err)
		}
	}
	for _, d := range c.Downsamples {
		if _, err := ds.Put(d); err != nil {
			return fmt.Errorf("downsample %q: %w", d.Name, err)
		}
	}
	dsCtx, stopDS := context.WithCancel(context.Background())
	dsDone := make(chan struct{})
	go func() {
		ds.Run(dsCtx)
		close(dsDone)
	}()
	defer func() { stopDS(); <-dsDone }()

	// Writes to continuous-aggregate and downsample targets are never
	// rejected as too old: a refresh writes buckets that start before a
	// retention cutoff.
	isTarget := func(database, rp, measurement string) bool {
		if ds.IsTarget(database, rp, measurement) {
			return true
		}
		for _, d := range aggs.List() {
			if d.Database == database && d.Target == measurement {
				return true
			}
		}
		return false
	}
	// A per-measurement retention does not delete points of an aggregate's
	// source: the engine would recompute the buckets holding them and so
	// lose what the aggregate materialized.
	notSource := func(database, _, measurement string) error {
		for _, d := range aggs.List() {
			if d.Database == database && d.Source == measurement {
				return fmt.Errorf("not enforced: measurement %q is the source of continuous aggregate %q, whose buckets would be recomputed without the deleted points", measurement, d.Name)
			}
		}
		return nil
	}
	ret, err := retention.Open(db.DB, &retention.Options{Logger: log, Exempt: isTarget, Guard: notSource})
	if err != nil {
		return fmt.Errorf("open retention: %w", err)
	}
	enforcer.Store(ret)
	for _, d := range c.Retention {
		if _, err := ret.Put(d); err != nil {
			return fmt.Errorf("retention %q: %w", d.Name, err)
		}
	}
	retCtx, stopRet := context.WithCancel(context.Background())
	retDone := make(chan struct{})
	go func() {
		ret.Run(retCtx)
		close(retDone)
	}()
	defer func() { stopRet(); <-retDone }()

	srv := server.New(&server.Options{
		Writer: db,
		Querier: influxcompat.NewExecutor(db, &influxcompat.ExecutorOptions{Logger: log, ContinuousQueries: continuous.NewInfluxQL(aggs),
			Users: users}),
		Stats:        db,
		Logger:       log,
		MaxBodyBytes: c.Limits.MaxBodyBytes,
		QueryTimeout: time.Duration(c.Limits.QueryTimeout),
		Auth:         c.auth,
		Rules:        rules,
		Aggregates:   aggs,
		Retention:    ret,
		Downsamples:  ds,
	})
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	log.Info("accrete started", "version", version(), "listen", ln.Addr().String(), "data", c.Data,
		"durability", c.durability.String(), "auth", c.auth != nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-served:
		if err == nil {
			err = errors.New("listener closed")
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still running at shutdown were cut off", "err", err)
	}
	return <-served
}

// checkLoopback accepts "" and host:port addresses whose host is a
// loopback IP or "localhost": profiles must not be reachable from other
// machines.
func checkLoopback(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("address %q is not a loopback address", addr)
}

// servePprof serves net/http/pprof's handlers under /debug/pprof/ on addr
// until the returned function is called.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	log.Info("profiling endpoint started", "listen", ln.Addr().String())
	return func() { _ = hs.Close() }, nil
}
