// Package aggregate holds accrete's aggregate functions, shared by queries,
// continuous aggregates, downsampling and the rule engine: Count, Sum, Mean,
// Min, Max, First and Last as mergeable partial states, with a retractable
// form for the rule engine, and for queries also Spread, Stddev, Median,
// Percentile, Distinct, Mode and Integral.
//
// # Functions and states
//
// A [Func] names a function; [ParseFunc] takes InfluxQL names (and "avg")
// and rejects any other name with an error naming it. [Func.Accepts] and
// [Func.ResultType] give InfluxDB 1.x's typing. [New] returns an empty
// [State] for one function and field type; values are added with Add (or,
// for floats in hot loops, with AddFloat of [FloatAdder], which neither
// allocates nor boxes), partial states combine with Merge, and Result gives
// the aggregate. Each function is a small concrete type in a file of its
// own: [*CountState], [*SumState], [*MeanState], [*MinState], [*MaxState],
// [*FirstState], [*LastState], [*SpreadState], [*StddevState],
// [*MedianState], [*PercentileState] (made by [NewPercentile]),
// [*DistinctState], [*ModeState] and [*IntegralState] (made by
// [NewIntegral] for units other than a second).
//
// Merging is exact: adding values to several partials and merging them gives
// the result of adding all values to one state, whatever the split and the
// order of merging (float sums to within rounding of the compensated sum,
// Stddev to within floating-point rounding). Selections never depend on the
// order of values: Min and Max prefer the earliest timestamp among equal
// values, First and Last break timestamp ties by value as InfluxDB 1.x does
// (see [FirstState], [LastState]).
//
// Floats are ordered by IEEE 754 totalOrder wherever order matters (Min,
// Max, Spread, Median, Percentile, Distinct order): numbers as usual, -0
// before +0, NaNs beyond the infinities. Line protocol admits neither NaN
// nor infinities; the rule engine's arithmetic can produce them.
//
// # Compensated sums
//
// Float sums and means are kept with Neumaier's compensated summation
// ([CompensatedSum]), so that adding and then removing values does not
// drift: on integer-valued inputs every result equals the from-scratch
// value exactly. Integer and unsigned sums use 64-bit two's complement
// arithmetic and wrap around on overflow, as InfluxDB's do.
//
// # Retraction
//
// [NewRetractable] returns a [Retractable] state, which also takes values
// back with Remove: Count, Sum and Mean as they are, Min, Max, First, Last
// and Spread as an [*OrderedState] keeping the ordered multiset of points
// with counts. For the rule engine, which keeps one state per main fact and
// source, two lean float64 types carry the same semantics in little memory:
// [FloatSum] (COUNT, SUM, AVG; 32 bytes, never allocates) and [FloatMinMax]
// (MIN, MAX; 24 bytes inline for a single distinct value, a B-tree from two
// distinct values on). They follow the rule language's empty-set rule:
// COUNT and SUM of nothing are 0, AVG, MIN and MAX are absent.
//
// # Binary encoding
//
// AppendBinary encodes a state; [Decode] rebuilds a state of whatever
// function it encodes, and each state's UnmarshalBinary one of its own
// function, type and form. Decoding checks everything and returns an error
// wrapping [ErrCorruptState] (never panics) for bad input. The encoding is
// stable: a version-1 state decodes the same in every later release.
//
// Every encoding starts with a 4-byte header:
//
//	+---------+------+------+------+-----------------------+
//	| version | func | type | form | body ...              |
//	+---------+------+------+------+-----------------------+
//	  1 byte    1      1      1
//
//	version  1
//	func     the Func: 1 count, 2 sum, 3 mean, 4 min, 5 max, 6 first,
//	         7 last, 8 spread, 9 stddev, 10 median, 11 percentile,
//	         12 distinct, 13 mode, 14 integral
//	type     the input model.FieldType: 1 float, 2 integer, 3 unsigned,
//	         4 string, 5 boolean
//	form     0 partial state, 1 ordered multiset (an *OrderedState)
//
// The body uses these field encodings:
//
//	uvarint  unsigned LEB128 varint (encoding/binary.AppendUvarint)
//	varint   zig-zag signed varint (encoding/binary.AppendVarint)
//	f64      8 bytes, IEEE 754 bits, little-endian
//	flag     1 byte, 0 or 1
//	ts       varint: timestamp in nanoseconds since the Unix epoch
//	value    by the header's type: float f64; integer varint;
//	         unsigned uvarint; boolean flag; string uvarint length
//	         followed by the bytes
//
// The bodies of form 0:
//
//	count       n:uvarint
//	sum         n:uvarint  float:    csum
//	                       integer:  sum:varint
//	                       unsigned: sum:uvarint
//	mean        n:uvarint  csum
//	min, max,   has:flag   [ts  value]                 (only if has = 1)
//	first, last
//	spread      has:flag   [min:value  max:value]      (only if has = 1)
//	stddev      n:uvarint  mean:f64  m2:f64
//	median      n:uvarint  n × value                   (ascending)
//	percentile  p:f64  n:uvarint  n × (ts value)       (by value, then ts)
//	distinct    n:uvarint  n × (ts value)              (earliest ts of each
//	                                                    distinct value, in
//	                                                    the order of Values)
//	mode        n:uvarint  n × (ts value)              (by ts, then value)
//	integral    unit:uvarint  n:uvarint  n × (ts value)  (by ts; unit ≥ 1 ns)
//
// where csum, a [CompensatedSum], is
//
//	csum        sum:f64  compensation:f64  posinf:uvarint  neginf:uvarint
//
// sum and compensation are the Neumaier sum of the finite values and its
// running rounding error (the value is sum + compensation); posinf and
// neginf count the +Inf and -Inf values added, a NaN counting as one of
// each. m2 is the sum of squared deviations from the mean. The body of form 1 (min, max, first,
// last and spread only) lists the distinct points of the multiset in the
// state's order, each with its multiplicity:
//
//	multiset    n:uvarint  n × (ts  value  count:uvarint)    (count ≥ 1;
//	                                                          spread: ts 0)
//
// For example, a mean of the integers 3 and 4 encodes as
//
//	01 03 02 00  02  00 00 00 00 00 00 1c 40  00 00 00 00 00 00 00 00  00  00
//	header       n=2 sum=7.0                  compensation=0.0         +inf -inf
//
// # Concurrency
//
// Nothing in this package is safe for concurrent use; states are owned by
// one goroutine at a time. [Func] values and the package functions are safe
// to use from any goroutine.
package aggregate
