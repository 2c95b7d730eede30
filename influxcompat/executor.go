package influxcompat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/influxdata/influxql"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/query"
	"github.com/accretedb/accrete/storage"
)

// Store is the storage engine as InfluxQL statements use it: the query
// engine's reads, the catalog of databases and retention policies, deletes
// and the write path SELECT ... INTO writes through. *storage.DB satisfies
// it; a wrapper whose Write feeds continuous aggregates does too. Its
// methods must be safe for concurrent use.
type Store interface {
	query.Store
	// TagKeys returns the sorted tag keys of a measurement.
	TagKeys(database, rp, measurement string) ([]string, error)
	// Databases returns all databases.
	Databases() []storage.DatabaseInfo
	// Database returns one database, or an error wrapping
	// storage.ErrDatabaseNotFound.
	Database(name string) (storage.DatabaseInfo, error)
	// CreateDatabase creates a database with the default retention policy;
	// an existing database is left as it is.
	CreateDatabase(name string) error
	// DropDatabase deletes a database; a missing one is not an error.
	DropDatabase(name string) error
	CreateRetentionPolicy(database string, p storage.RetentionPolicy) error
	AlterRetentionPolicy(database, name string, u storage.RetentionPolicyUpdate) error
	DropRetentionPolicy(database, name string) error
	// DropMeasurement deletes a measurement in every retention policy.
	DropMeasurement(database, measurement string) error
	// DeleteSeries deletes the points in [minT, maxT] of the series of a
	// measurement ("" = all) matching filter, in every retention policy
	// when rp is "".
	DeleteSeries(database, rp, measurement string, filter storage.TagFilter, minT, maxT int64) error
	// Write writes points to a retention policy ("" = the default).
	Write(database, rp string, points []model.Point) error
}

// ContinuousQueries runs the CREATE, SHOW and DROP CONTINUOUS QUERY
// statements. The executor hands them over when [ExecutorOptions] has one;
// without, they fail with [ErrContinuousQueriesDisabled]. Implementations
// must be safe for concurrent use.
type ContinuousQueries interface {
	// Create registers the continuous query of stmt, whose Database is
	// set.
	Create(ctx context.Context, stmt *influxql.CreateContinuousQueryStatement) error
	// Drop removes a continuous query.
	Drop(ctx context.Context, stmt *influxql.DropContinuousQueryStatement) error
	// Show returns the rows of SHOW CONTINUOUS QUERIES: one per database,
	// named after it, with columns "name" and "query".
	Show(ctx context.Context) ([]*Row, error)
}

// ExecutorOptions configure an Executor. A nil *ExecutorOptions or a zero
// field means the default.
type ExecutorOptions struct {
	// Workers is the number of goroutines one SELECT reads series with.
	// The default is runtime.GOMAXPROCS(0).
	Workers int
	// ContinuousQueries runs the continuous-query statements. The default,
	// nil, rejects them.
	ContinuousQueries ContinuousQueries
	// Logger receives statement errors at debug level. The default is a
	// logger that discards everything.
	Logger *slog.Logger
	// WriteBatchSize is the number of points SELECT ... INTO writes at a
	// time. The default is 10000.
	WriteBatchSize int
	// MaxSelectBuckets, when positive, is InfluxDB's max-select-buckets:
	// the most GROUP BY time buckets a statement may span; without a lower
	// time bound only the newest ones are read. The default, 0, is
	// unlimited, as in InfluxDB.
	MaxSelectBuckets int
	// Users runs the user and privilege statements (CREATE USER, GRANT,
	// SHOW USERS, ...) and loses the privileges on a dropped database. The
	// default, nil, rejects those statements with ErrUnsupportedStatement.
	Users *Users
}

// Options are the per-request settings of [Executor.Execute], the
// parameters of InfluxDB's /query endpoint.
type Options struct {
	// Database is the default database of statements that name none (db).
	Database string
	// RetentionPolicy is the default retention policy (rp); "" means each
	// database's default.
	RetentionPolicy string
	// Epoch formats times as integers in this unit: "ns", "u" or "µ",
	// "ms", "s", "m" or "h". The default, "", formats RFC 3339 strings.
	Epoch string
	// ChunkSize, when positive, splits each SELECT's series into results of
	// at most ChunkSize rows, as InfluxDB's chunked responses do.
	ChunkSize int
	// Now returns the time now() stands for. The default is time.Now.
	Now func() time.Time
	// ReadOnly says the request came as an HTTP GET: statements that
	// change data still run, with InfluxDB's deprecation warning in their
	// result's messages.
	ReadOnly bool
}

// Executor runs InfluxQL queries against a Store. It is safe for
// concurrent use.
type Executor struct {
	// Set by NewExecutor, never changed.
	store      Store
	engine     *query.Engine
	cqs        ContinuousQueries
	log        *slog.Logger
	batchSize  int
	maxBuckets int
	users      *Users
}

// NewExecutor returns an Executor over store.
func NewExecutor(store Store, opts *ExecutorOptions) *Executor {
	var o ExecutorOptions
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WriteBatchSize <= 0 {
		o.WriteBatchSize = 10000
	}
	return &Executor{
		store:      store,
		engine:     query.NewEngine(o.Workers),
		cqs:        o.ContinuousQueries,
		log:        o.Logger,
		batchSize:  o.WriteBatchSize,
		maxBuckets: o.MaxSelectBuckets,
		users:      o.Users,
	}
}

// Execute parses q, one or more statements separated by semicolons, and
// runs the statements in order, calling emit with each statement's result.
// A statement that fails gives a Result with Err set and the following
// statements still run. With opts.ChunkSize > 0 a SELECT gives several
// results (see [Options]). A q that does not parse returns a *ParseError and
// runs nothing. Execute returns early with the error of emit or of ctx.
func (e *Executor) Execute(ctx context.Context, q string, opts Options, emit func(*Result) error) error {
	parsed, err := influxql.ParseQuery(q)
	if err != nil {
		return &ParseError{Err: err}
	}
	if a := authorizerFrom(ctx); a != nil {
		if err := a.AuthorizeQuery(parsed, opts.Database); err != nil {
			return err
		}
	}
	nowFn := opts.Now
	if nowFn == nil {
		nowFn = time.Now
	}
	for i, stmt := range parsed.Statements {
		if err := ctx.Err(); err != nil {
			return err
		}
		out := &output{id: i, chunk: opts.ChunkSize, div: epochDivisor(opts.Epoch), emit: emit}
		x := &execution{e: e, ctx: ctx, opts: opts, now: nowFn().UTC(), out: out}
		err := x.run(stmt)
		if err == nil && opts.ReadOnly && changesData(stmt) {
			out.messages = append(out.messages, &Message{Level: "warning", Text: fmt.Sprintf(
				"deprecated use of '%s' in a read only context, please use a POST request instead", x.normalized(stmt))})
		}
		if err == nil {
			err = out.flush()
			if err != nil {
				return err
			}
			continue
		}
		if ee := (*emitError)(nil); errors.As(err, &ee) {
			return ee.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.log.Debug("statement failed", "statement", stmt.String(), "err", err)
		if err := emit(&Result{StatementID: i, Err: err.Error()}); err != nil {
			return err
		}
	}
	return nil
}

// execution is the state of one statement.
type execution struct {
	e    *Executor
	ctx  context.Context
	opts Options
	now  time.Time
	out  *output
	snap *query.StoreSnapshot // opened by statements that read
}

func (x *execution) run(stmt influxql.Statement) error {
	switch s := stmt.(type) {
	case *influxql.SelectStatement:
		return x.withSnapshot(func() error { return x.execSelect(s) })
	case *influxql.ShowDatabasesStatement:
		return x.showDatabasesFor()
	case *influxql.ShowMeasurementsStatement:
		return x.withSnapshot(func() error { return x.showMeasurements(s) })
	case *influxql.ShowTagKeysStatement:
		return x.withSnapshot(func() error { return x.showTagKeys(s) })
	case *influxql.ShowTagValuesStatement:
		return x.withSnapshot(func() error { return x.showTagValues(s) })
	case *influxql.ShowFieldKeysStatement:
		return x.withSnapshot(func() error { return x.showFieldKeys(s) })
	case *influxql.ShowSeriesStatement:
		return x.withSnapshot(func() error { return x.showSeries(s) })
	case *influxql.ShowRetentionPoliciesStatement:
		return x.showRetentionPolicies(s)
	case *influxql.CreateDatabaseStatement:
		return x.createDatabase(s)
	case *influxql.DropDatabaseStatement:
		return x.dropDatabase(s.Name)
	case *influxql.CreateRetentionPolicyStatement:
		return x.createRetentionPolicy(s)
	case *influxql.AlterRetentionPolicyStatement:
		return x.alterRetentionPolicy(s)
	case *influxql.DropRetentionPolicyStatement:
		return x.dropRetentionPolicy(s)
	case *influxql.DropMeasurementStatement:
		return x.dropMeasurement(s)
	case *influxql.DeleteSeriesStatement:
		return x.deleteSeries(s.Sources, s.Condition, false)
	case *influxql.DropSeriesStatement:
		return x.deleteSeries(s.Sources, s.Condition, true)
	case *influxql.CreateContinuousQueryStatement:
		if x.e.cqs == nil {
			return ErrContinuousQueriesDisabled
		}
		if s.Database == "" {
			return ErrDatabaseNameRequired
		}
		return x.e.cqs.Create(x.ctx, s)
	case *influxql.DropContinuousQueryStatement:
		if x.e.cqs == nil {
			return ErrContinuousQueriesDisabled
		}
		return x.e.cqs.Drop(x.ctx, s)
	case *influxql.ShowContinuousQueriesStatement:
		if x.e.cqs == nil {
			return ErrContinuousQueriesDisabled
		}
		rows, err := x.e.cqs.Show(x.ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			x.out.add(r)
		}
		return nil
	}
	if ok, err := x.runUserStatement(stmt); ok {
		return err
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedStatement, firstWords(stmt.String(), 3))
}

// changesData reports whether InfluxDB warns about stmt in a read-only
// (GET) request: SELECT ... INTO and the statements that change the
// catalog; DELETE is not among them.
func changesData(stmt influxql.Statement) bool {
	switch s := stmt.(type) {
	case *influxql.SelectStatement:
		return s.Target != nil
	case *influxql.CreateDatabaseStatement, *influxql.DropDatabaseStatement,
		*influxql.CreateRetentionPolicyStatement, *influxql.AlterRetentionPolicyStatement,
		*influxql.DropRetentionPolicyStatement, *influxql.DropMeasurementStatement,
		*influxql.DropSeriesStatement, *influxql.CreateContinuousQueryStatement,
		*influxql.DropContinuousQueryStatement, *influxql.CreateUserStatement, *influxql.DropUserStatement,
		*influxql.SetPasswordUserStatement, *influxql.GrantStatement, *influxql.GrantAdminStatement,
		*influxql.RevokeStatement, *influxql.RevokeAdminStatement:
		return true
	}
	return false
}

// normalized returns stmt as InfluxDB prints it in messages: a SELECT's
// measurements with their database and retention policy.
func (x *execution) normalized(stmt influxql.Statement) string {
	s, ok := stmt.(*influxql.SelectStatement)
	if !ok {
		return stmt.String()
	}
	c := s.Clone()
	influxql.WalkFunc(c, func(n influxql.Node) {
		m, ok := n.(*influxql.Measurement)
		if !ok {
			return
		}
		if db, rp, err := x.databaseOf(m.Database, m.RetentionPolicy); err == nil {
			m.Database, m.RetentionPolicy = db, rp
		}
	})
	return c.String()
}

// firstWords returns the first n words of s, to name a statement.
func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		w = w[:n]
	}
	return strings.Join(w, " ")
}

func (x *execution) withSnapshot(fn func() error) error {
	snap, err := query.NewSnapshot(x.e.store)
	if err != nil {
		return err
	}
	x.snap = snap
	defer func() {
		snap.Close()
		x.snap = nil
	}()
	return fn()
}

// databaseOf applies the request's defaults to a database and retention
// policy name and checks that both exist. The retention policy returned is
// "" for the database's default.
func (x *execution) databaseOf(db, rp string) (string, string, error) {
	if db == "" {
		db = x.opts.Database
	}
	if db == "" {
		return "", "", ErrDatabaseNameRequired
	}
	info, err := x.e.store.Database(db)
	if err != nil {
		if errors.Is(err, storage.ErrDatabaseNotFound) {
			return "", "", databaseNotFound(db)
		}
		return "", "", err
	}
	if rp == "" {
		rp = x.opts.RetentionPolicy
	}
	if rp == "" {
		for _, p := range info.RetentionPolicies {
			if p.Default {
				return db, p.Name, nil
			}
		}
		return "", "", fmt.Errorf("default retention policy not set for: %s", db)
	}
	for _, p := range info.RetentionPolicies {
		if p.Name == rp {
			return db, rp, nil
		}
	}
	return "", "", fmt.Errorf("%w: %s", ErrRetentionPolicyNotFound, rp)
}

// tagKeys returns the tag keys of a measurement.
func (x *execution) tagKeys(db, rp, m string) ([]string, error) {
	return x.e.store.TagKeys(db, rp, m)
}

// output collects the rows of one statement and emits its results, in
// chunks when asked to.
type output struct {
	id    int
	chunk int   // rows per result; 0: one result
	div   int64 // epoch divisor; 0: RFC 3339
	emit  func(*Result) error

	rows     []*Row
	messages []*Message
	// pending holds the last chunk, emitted with Partial set once another
	// follows.
	pending *Result
	emitted bool
}

// add appends a row to the statement's one result.
func (o *output) add(r *Row) { o.rows = append(o.rows, r) }

// addSeparate appends a row that, chunked, is a result of its own without
// partial flags, as InfluxDB sends the rows of SHOW TAG KEYS and SHOW TAG
// VALUES.
func (o *output) addSeparate(r *Row) error {
	if o.chunk <= 0 {
		o.add(r)
		return nil
	}
	if err := o.send(nil); err != nil {
		return err
	}
	if err := o.emit(&Result{StatementID: o.id, Series: []*Row{r}}); err != nil {
		return &emitError{err}
	}
	o.emitted = true
	return nil
}

// addTimed appends rows of a SELECT, whose column 0 holds int64
// nanosecond times, formatting the times; chunked, it emits what is
// complete.
func (o *output) addTimed(r *Row) error {
	for _, v := range r.Values {
		if ns, ok := v[0].(int64); ok {
			v[0] = formatTime(ns, o.div)
		}
		for i := 1; i < len(v); i++ {
			v[i] = jsonValue(v[i])
		}
	}
	return o.addChunked(r)
}

// addChunked appends a row that, chunked, is split into results of at
// most chunk values, every one but the statement's last partial.
func (o *output) addChunked(r *Row) error {
	if o.chunk <= 0 {
		o.rows = append(o.rows, r)
		return nil
	}
	for len(r.Values) > 0 {
		n := min(o.chunk, len(r.Values))
		part := &Row{Name: r.Name, Tags: r.Tags, Columns: r.Columns, Values: r.Values[:n:n]}
		r.Values = r.Values[n:]
		part.Partial = len(r.Values) > 0
		if err := o.send(&Result{StatementID: o.id, Series: []*Row{part}}); err != nil {
			return err
		}
	}
	return nil
}

// send emits the pending chunk, marked partial, and keeps res (which may
// be nil) pending.
func (o *output) send(res *Result) error {
	if o.pending != nil {
		o.pending.Partial = true
		if err := o.emit(o.pending); err != nil {
			return &emitError{err}
		}
	}
	o.pending = res
	o.emitted = o.emitted || res != nil
	return nil
}

// flush emits what is left: the last chunk, or the one result; nothing
// when separate results said it all.
func (o *output) flush() error {
	var res *Result
	switch {
	case o.pending != nil:
		res = o.pending
		res.Series = append(res.Series, o.rows...)
		res.Messages = append(res.Messages, o.messages...)
	case o.emitted && len(o.rows) == 0 && len(o.messages) == 0:
		return nil
	default:
		res = &Result{StatementID: o.id, Series: o.rows, Messages: o.messages}
	}
	o.pending = nil
	return o.emit(res)
}
