package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// Version is the InfluxDB version the server reports in the
// X-Influxdb-Version header and on /ping?verbose=true: the 1.x API it
// mirrors, marked as accrete's.
const Version = "1.6.7-accrete"

// DefaultMaxBodyBytes is the default limit of a request body, InfluxDB's
// max-body-size: 25 MB.
const DefaultMaxBodyBytes = 25_000_000

// Writer stores points. It must be safe for concurrent use; *accrete.DB
// implements it.
type Writer interface {
	// Write stores points into retention policy rp of database db (""
	// meaning the default policy), all or nothing. It returns an error
	// matching storage.ErrDatabaseNotFound or
	// storage.ErrRetentionPolicyNotFound for an unknown target, a
	// *storage.FieldTypeConflictError for a value of the wrong type, and an
	// error matching storage.ErrInvalidPoint for a point the storage refuses.
	// The points belong to the caller again when Write returns.
	Write(db, rp string, points []model.Point) error
}

// StatsSource reports storage statistics for /metrics. Stats is called once
// per scrape and must be safe for concurrent use; *accrete.DB implements it.
type StatsSource interface {
	Stats() storage.Stats
}

// Options configure a Server. Zero fields mean the default.
type Options struct {
	// Writer stores the points of /write. Without one, /write answers 503.
	Writer Writer
	// Querier runs the InfluxQL of /query. Without one, /query answers 503.
	Querier Querier
	// Stats feeds the storage gauges of /metrics; nil leaves them out.
	Stats StatsSource
	// Logger receives request errors and lifecycle messages. The default
	// discards them.
	Logger *slog.Logger
	// Clock gives the time for points written without a timestamp. The
	// default is time.Now.
	Clock func() time.Time
	// MaxBodyBytes limits the body of a request, after gzip decompression.
	// A larger body is answered with 413. The default is
	// DefaultMaxBodyBytes; a negative value means no limit.
	MaxBodyBytes int64
	// QueryTimeout bounds the execution of one /query request. The default,
	// 0, means no limit.
	QueryTimeout time.Duration
	// Auth, when not nil, requires credentials on /write and /query.
	Auth *Auth
	// Rules serves the rules API (rules.go). Without it those routes
	// answer 503.
	Rules Rules
	// Aggregates serves the continuous-aggregates API (aggregates.go) and
	// their metrics. Without it those routes answer 503.
	Aggregates Aggregates
	// Retention serves the retention API (retention.go) and its metrics.
	// Without it those routes answer 503.
	Retention Retention
	// Downsamples serves the downsampling API (downsamples.go) and its
	// metrics. Without it those routes answer 503.
	Downsamples Downsamples
}

// Server serves the HTTP API. Create it with New; it is safe for concurrent
// use.
type Server struct {
	// Set by New, never changed.
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	handler http.Handler
	http    *http.Server

	// closing is set when Shutdown starts; /ready then answers 503.
	closing atomic.Bool
	// streams ends the event streams at shutdown.
	streams streamSet
}

// New returns a Server with the given options; nil means all defaults.
func New(opts *Options) *Server {
	s := &Server{}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxBodyBytes == 0 {
		s.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s.log = s.opts.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.now = s.opts.Clock
	if s.now == nil {
		s.now = time.Now
	}
	s.metrics = newMetrics(s.opts.Stats)
	if s.opts.Rules != nil {
		s.metrics.reg.MustRegister(newRulesCollector(s.opts.Rules))
	}
	if s.opts.Aggregates != nil {
		s.metrics.reg.MustRegister(s.opts.Aggregates.Collector())
	}
	if s.opts.Retention != nil {
		s.metrics.reg.MustRegister(newRetentionCollector(s.opts.Retention))
	}
	if s.opts.Downsamples != nil {
		s.metrics.reg.MustRegister(s.opts.Downsamples.Collector())
	}
	s.handler = s.routes()
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.http.RegisterOnShutdown(s.streams.close)
	return s
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /write", s.wrap("write", s.auth(s.write)))
	mux.Handle("PUT /write", s.wrap("write", s.auth(s.write)))
	mux.Handle("GET /query", s.wrap("query", s.auth(s.query)))
	mux.Handle("POST /query", s.wrap("query", s.auth(s.query)))
	mux.Handle("GET /ping", s.wrap("ping", s.ping))
	mux.Handle("HEAD /ping", s.wrap("ping", s.ping))
	mux.Handle("GET /health", s.wrap("health", s.health))
	mux.Handle("GET /ready", s.wrap("ready", s.ready))
	mux.Handle("GET /metrics", s.metrics.handler())
	s.rulesRoutes(mux)
	s.aggregatesRoutes(mux)
	s.retentionRoutes(mux)
	s.downsamplesRoutes(mux)
	return mux
}

// Handler returns the server's routes, for tests and for embedding in
// another http.Server.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until Shutdown is called, when it returns
// nil. It returns the listener's error otherwise.
func (s *Server) Serve(ln net.Listener) error {
	s.log.Info("serving HTTP", "addr", ln.Addr().String())
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, marks the server not ready and waits
// until running requests finish or ctx is done; then it closes the
// remaining connections and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	return err
}
