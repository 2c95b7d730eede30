// Package influxcompat runs InfluxQL, InfluxDB 1.x's query language, on
// accrete and answers in InfluxDB 1.x's JSON shapes. Statements are parsed
// by github.com/influxdata/influxql; SELECT runs on the [query] engine,
// the other statements on the storage engine's catalog, index and deletes.
// InfluxDB 1.6 is the reference for every answer: column names, times,
// fills, series order, error texts.
//
// The package imports storage for the catalog types of databases and
// retention policies and for its tag filters; reads go through query.
//
// # API
//
// The HTTP layer builds one [Executor] with [NewExecutor] over a [Store]
// (*storage.DB, or accrete.DB whose Write feeds downsampling) and calls
// [Executor.Execute] per /query request with the request's [Options]:
//
//	e := influxcompat.NewExecutor(db, nil)
//	err := e.Execute(ctx, q, influxcompat.Options{Database: "db", Epoch: "ms"}, func(r *influxcompat.Result) error {
//		results = append(results, r) // or write it out, for chunked responses
//		return nil
//	})
//	var pe *influxcompat.ParseError
//	if errors.As(err, &pe) { /* 400 {"error": pe.Error()} */ }
//
// Execute runs the statements of q in order and calls emit with each
// statement's [Result]: one per statement, or with [Options.ChunkSize] > 0
// several per SELECT, as InfluxDB's chunked responses: each holds one piece
// of one series of at most ChunkSize rows; every result of a statement but
// its last has Partial set, and a [Row] whose series continues in the next
// result has Partial set. A statement that fails gives a Result with only
// StatementID and Err, and the following statements still run. Results
// marshal to InfluxDB's JSON with encoding/json; the server wraps them as
// {"results": [...]}. A query that does not parse returns a *[ParseError]
// and runs nothing.
//
// Times are RFC 3339 strings with nanoseconds ("2016-01-01T00:00:00Z"), or
// with [Options.Epoch] ("ns", "u" or "µ", "ms", "s", "m", "h") integers in
// that unit. Float values that JSON cannot hold (NaN, infinities) are null.
//
// # SELECT
//
// Fields, tags, * and regular expressions (typed with ::field and ::tag),
// aggregates (several per statement) with AS, arithmetic on fields or on
// aggregates (see Arithmetic below), tags and fields beside a selector
// (see Selectors below); FROM one or more
// measurements, db.rp.measurement and regular expressions; WHERE with time
// ranges (RFC 3339, epoch integers and durations, now() arithmetic), tag
// predicates (=, !=, =~, !~, AND, OR, parentheses) and field predicates;
// GROUP BY time(interval[, offset]), tags, * and regular expressions;
// fill(null|none|previous|linear|number); ORDER BY time DESC; LIMIT, OFFSET,
// SLIMIT, SOFFSET; INTO.
//
// Functions: count, sum, mean, min, max, first, last, spread, stddev,
// median, percentile, mode, integral, distinct and count(distinct(f)),
// computed by the aggregate package's states, and the transformations
// (see Transformations below). Other InfluxQL functions (top, bottom,
// sample, holt_winters, the technical-analysis functions, math functions)
// are rejected with "unsupported function: top()", unknown ones with
// InfluxDB's "undefined function foo()". Wildcards in calls expand per
// field type as InfluxDB does and name the columns <function>_<field>
// (mean(*) gives mean_usage).
//
// # Transformations
//
// derivative(x [, unit]), non_negative_derivative(x [, unit]),
// difference(x), non_negative_difference(x), moving_average(x, n),
// cumulative_sum(x) and elapsed(x [, unit]) take a field without GROUP BY
// time, or an aggregate call with it (non_negative_derivative(mean(bytes),
// 1s) ... GROUP BY time(1m), host), and are computed per group by
// [query.Transformer] as InfluxDB 1.6's reducers compute them:
//
//   - Rows: one per point in, at its time (the bucket start for
//     aggregates), none for the first point; derivatives and differences
//     skip a point at the time of the one before (points of several series
//     in one group are merged by time). Nulls are skipped: buckets filled
//     with null give no row, fill numbers, previous and linear feed the
//     transformation. non_negative_* drop negative changes.
//   - Units: derivative's defaults to 1s, or to the GROUP BY interval for an
//     aggregate; elapsed's to 1ns. Derivatives and moving averages are
//     floats, elapsed integers; differences and cumulative sums keep the
//     type, integers wrapping around (derivatives subtract integers before
//     dividing, as InfluxDB does). moving_average keeps a running sum.
//   - Aggregates read one interval more before the range (after it with
//     ORDER BY time DESC), so the first bucket of the range has a value;
//     cumulative_sum reads none. Without a lower time bound that start
//     overflows in InfluxDB 1.6 and the call gives no rows: so here too.
//   - ORDER BY time DESC feeds the points newest first: derivatives divide
//     by the negated elapsed time, elapsed is negative. LIMIT, OFFSET,
//     SLIMIT and SOFFSET apply to the transformed rows; arithmetic on
//     transformations works as on aggregates.
//   - A transformation of a field beside other fields fails with "mixing
//     aggregate and non-aggregate queries is not supported"; the errors
//     for wrong arguments are InfluxDB's ("derivative aggregate requires
//     a GROUP BY interval", "aggregate function required inside the call
//     to derivative", "second argument to derivative must be a duration,
//     got *influxql.IntegerLiteral", "moving_average window must be
//     greater than 1, got 1", ...), as are the type errors
//     ("unsupported derivative iterator type: *query.stringInterruptIterator").
//
// integral(field [, unit]) and mode(field) are aggregates. integral sums
// trapezoids between time-ordered points; with GROUP BY time it splits the
// trapezoid across each window's end at the interpolated value, as
// InfluxDB does, fills no empty windows and leaves out a last window whose
// only point lies at its start. Its time without GROUP BY time is the
// epoch for floats and the range start for integers (InfluxDB 1.6's
// reducers differ there). mode picks the most frequent value with
// InfluxDB's tie rules (see aggregate.ModeState); which of several equally
// frequent values it picks may differ (see below).
//
// # Arithmetic
//
// A field of the SELECT clause may combine fields, number literals and
// aggregate calls with +, -, *, /, %, the bitwise &, | and ^, unary minus
// and parentheses, evaluated per row with influxql's evaluator as InfluxDB
// 1.6 evaluates them:
//
//   - Columns are named after the fields and calls the expression reads,
//     joined by _ (usage_user + usage_system gives usage_user_usage_system,
//     max(v) - min(v) gives max_min), unless AS names them.
//   - Integers stay integers and wrap around on overflow, except for
//     division, which gives a float; an integer next to a float becomes a
//     float. Division by zero gives 0, integer modulo by zero 0, float
//     modulo by zero NaN (null in JSON). The bitwise operators take
//     integers or booleans.
//   - A row where an operand is missing (a field without a value at that
//     time, a field the measurement does not have, a tag asked for as a
//     field with host::field, a bucket filled with null) gives null; fill numbers and fill(previous) and fill(linear)
//     apply to the calls before the arithmetic.
//   - Type errors are InfluxDB's: a string, boolean or tag next to a number
//     fails with "type error: v::float + host::tag: incompatible types:
//     float and tag"; a wildcard inside arithmetic, an expression of
//     literals only, an aggregate next to a raw field ("mixing aggregate
//     and non-aggregate queries is not supported") and distinct() in
//     arithmetic are rejected.
//
// # Selectors
//
// A single selector call (min, max, first, last, percentile; top and
// bottom are not supported) may come with tags and fields, also inside
// arithmetic with the call (SELECT max(v) + w, host): they are read at the
// selected point, the tags of its series and its field values at its time
// (a tag asked for as a field, host::field, is null). The row's time is
// the selected point's time without GROUP BY time and the bucket start
// with it; buckets filled with a number hold it in every column, buckets
// filled with null or by linear interpolation hold nulls in the tag and
// field columns, fill(previous) repeats the row before. A selector with
// another call, or with the same call written twice, and tags or fields
// fails with "mixing multiple selector functions with tags or fields is
// not supported", or, when a call is not a selector, "mixing aggregate and
// non-aggregate queries is not supported". Several calls without tags or
// fields report the start of the time range, as any aggregate does.
//
// The answers follow InfluxDB 1.6 in the details clients see:
//
//   - Columns: time (or its alias) first; raw SELECT * lists fields and
//     tags sorted by name, minus the tags grouped by; an aggregate is named
//     after its function; repeated names get _1, _2 suffixes.
//   - Series: per measurement (sorted), per group of GROUP BY tag values,
//     sorted by the values of the tag keys in key order, with the group's
//     tags in "tags"; ORDER BY time DESC reverses series order too.
//   - Aggregate times: the bucket start under GROUP BY time; otherwise the
//     start of the time range, the epoch when it has no lower bound; a
//     statement with a single selector (min, max, first, last, percentile)
//     and no GROUP BY time reports the selected point's time.
//   - GROUP BY time without an upper time bound ends at now(); without a
//     lower bound each series' buckets start at its first point's bucket.
//   - fill(null) is the default; count() fills with 0 instead; numbers are
//     cast to the function's result type; previous and linear fill between
//     points of one series; LIMIT and OFFSET count buckets per series after
//     filling. Where a row lacks one call's value (its buckets start later,
//     or percentile had no rank) the row reads the fill number, or with
//     fill(previous) the value in the row before; raw SELECTs fill missing
//     fields the same way. SELECT ... INTO with the default fill writes no
//     empty buckets.
//   - Raw rows exist where a selected field has a value; rows of different
//     series with equal times come in the order InfluxDB's merge gives them
//     (by string values in column-name order, then its heap's order).
//     OFFSET without LIMIT leaves one row per group, as 1.6 answers.
//   - SELECT ... INTO writes each row as a point (group tags as tags,
//     non-null columns as fields) through [Store.Write] and answers one
//     row "result" with columns time and written: the number of rows,
//     null rows included.
//
// # Other statements
//
// SHOW DATABASES, MEASUREMENTS, TAG KEYS, TAG VALUES WITH KEY (=, !=, =~,
// !~, IN), FIELD KEYS, SERIES and RETENTION POLICIES, with their ON, FROM,
// WHERE (tags), LIMIT and OFFSET clauses; CREATE DATABASE (with its
// retention policy clauses) and DROP DATABASE; CREATE, ALTER and DROP
// RETENTION POLICY (stored; the retention package enforces them); DROP
// MEASUREMENT; DELETE and DROP SERIES with tag conditions (and time for
// DELETE). A time condition on SHOW SERIES, TAG KEYS or TAG VALUES keeps
// the series with values in the range (InfluxDB keeps those of the shards
// overlapping it); SHOW MEASUREMENTS rejects one, as InfluxDB 1.6 does.
// Continuous-query statements go to [ContinuousQueries] when the executor
// has one, and fail with [ErrContinuousQueriesDisabled] otherwise.
// Shard, subscription and query-management statements fail with
// [ErrUnsupportedStatement].
//
// # Users and privileges
//
// With [ExecutorOptions.Users] (a [Users] from [OpenUsers], kept in the
// storage metadata namespace [UsersNamespace], passwords as bcrypt hashes)
// the executor runs InfluxDB 1.6's user statements with its answers and
// error texts: CREATE USER name WITH PASSWORD 'pw' [WITH ALL PRIVILEGES]
// (an existing user with the same password and admin flag is left as it
// is; otherwise "user already exists"; an empty name gives "username
// required"), DROP USER, SET PASSWORD FOR, GRANT ALL PRIVILEGES TO, REVOKE
// ALL PRIVILEGES FROM, GRANT READ|WRITE|ALL ON db TO, REVOKE READ|WRITE|ALL
// ON db FROM (revoking READ from ALL leaves WRITE; REVOKE ALL leaves "NO
// PRIVILEGES", listed as such), SHOW USERS (columns user and admin, in
// creation order) and SHOW GRANTS FOR (columns database and privilege,
// sorted by database; InfluxDB 1.6 lists them in random order). Unknown
// users give "user not found", unknown databases "database not found: db";
// DROP DATABASE drops the privileges on the database. Without Users these
// statements fail with [ErrUnsupportedStatement].
//
// Authorization is the HTTP layer's choice: it puts an [Authorizer] (for
// example [Users.Authorizer]) in the context of [Executor.Execute] with
// [WithAuthorizer]. Execute then checks every statement's required
// privileges (influxql's RequiredPrivileges) before running any, and
// returns an *[AuthorizationError] with InfluxDB's message ("bob not
// authorized to execute statement 'SHOW USERS', requires admin privilege",
// "... requires READ on db"); while there are no users only a query whose
// first statement creates an admin runs ("create admin user first or
// disable authentication"). SHOW DATABASES lists only the databases the
// user may read or write.
//
// # Execution
//
// Each statement reads one snapshot of the data. Tag predicates select
// series on the index; time ranges bound the storage reads; field
// predicates are tested per point. Aggregates stream each series' column
// batches into aggregate states bucket by bucket, on up to
// [ExecutorOptions.Workers] goroutines, and merge the per-series states in
// series order, so that the answer does not depend on the number of
// workers; memory is bounded by the result, not by the data read. LIMIT on
// GROUP BY time narrows the range to the buckets it can reach, and ORDER BY
// time DESC LIMIT reads series backwards in growing windows.
//
// # Differences from InfluxDB 1.6
//
// accrete runs every statement of a request even when an earlier one fails
// (InfluxDB 1.6 answers the failing one with "not executed" and drops the
// rest). Not supported: subqueries, the functions listed above, math
// functions (abs, sqrt, ...), transformations of transformations or of
// distinct(), and tz(); bound parameters are the HTTP
// layer's (it substitutes them before Execute). SHOW DATABASES and SHOW
// RETENTION POLICIES list by name, not by creation; time conditions of
// SHOW statements select series, not shards. Float aggregates may differ
// from InfluxDB's in the last bits (compensated sums, one-pass stddev).
// GROUP BY time with an offset and no lower time bound starts at the first
// point (InfluxDB 1.6 overflows and emits buckets from 1677). percentile
// follows the other selectors: groups in series order, no repeated rows
// with OFFSET, and of equal values the earliest point's time (InfluxDB 1.6
// computes it apart, where these vary). Where points of several series of
// a group share the selected value and time, a selector with tags or
// fields reads the series first in key order; InfluxDB 1.6 reads the one
// its merge iterators deliver first, which depends on its number of CPUs.
// integral with GROUP BY tags and not time lists its series in InfluxDB
// 1.6's scrambled order there, and with GROUP BY time and tags emits each
// group's last window after all groups as a series of its own; accrete
// keeps series in order and windows in their group. integral with GROUP BY
// time and ORDER BY time DESC gives the ascending windows reversed, where
// InfluxDB 1.6 reports negated areas at shifted times. Between equally
// frequent values mode applies InfluxDB's rule to the points in time
// order; on larger buckets InfluxDB 1.6 sometimes picks another of them
// (its reducer sees the points in an order not reproduced here). Raw
// transformations merge equal times of several series of a group in series
// order. moving_average windows are limited to 1048576 points.
package influxcompat
