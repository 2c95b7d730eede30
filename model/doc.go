// Package model holds accrete's data model, which is InfluxDB's: a [Point] has a
// measurement, a sorted tag set, a field set and an int64 nanosecond timestamp.
// A series is a measurement plus its tag set, identified by its canonical
// [SeriesKey]. Field values are float64, int64, uint64, string or bool
// ([FieldValue]); a field keeps the type it was first written with (enforced by
// the storage engine, not here).
//
// The package also decodes and encodes InfluxDB line protocol on top of
// github.com/influxdata/line-protocol/v2: [ParseLines] turns a write body into
// points and rejects the whole batch when any line is bad, naming the line and
// column in a [*LineError].
//
// All types here are plain values; nothing in this package is safe for
// concurrent mutation, and nothing needs to be.
package model
