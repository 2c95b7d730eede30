package influxcompat

import (
	"math"
	"time"
)

// Result is the answer to one statement of a query, shaped like an element
// of InfluxDB 1.x's "results" array. A statement that fails has only
// StatementID and Err. With [Options.ChunkSize] > 0 one statement may give
// several Results; every one but the last has Partial set.
type Result struct {
	StatementID int        `json:"statement_id"`
	Series      []*Row     `json:"series,omitempty"`
	Messages    []*Message `json:"messages,omitempty"`
	Partial     bool       `json:"partial,omitempty"`
	Err         string     `json:"error,omitempty"`
}

// Row is one series of a result: a measurement name, the tags it is grouped
// by, column names and rows of values. Values holds float64, int64, uint64,
// string, bool and nil; a time column holds an RFC 3339 string with
// nanoseconds ("2016-01-01T00:00:00Z") or, with [Options.Epoch], an int64
// count of epoch units. Partial is set on a row whose series continues in
// the next chunk.
type Row struct {
	Name    string            `json:"name,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	Columns []string          `json:"columns,omitempty"`
	Values  [][]any           `json:"values,omitempty"`
	Partial bool              `json:"partial,omitempty"`
}

// Message is an informational message attached to a result.
type Message struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// epochDivisor returns the number of nanoseconds of one unit of epoch, the
// value of the HTTP API's epoch parameter: "ns", "u" or "µ", "ms", "s", "m"
// or "h". An empty epoch means times are formatted as RFC 3339 strings
// (divisor 0). InfluxDB 1.x reads any other value as nanoseconds, and so
// does this.
func epochDivisor(epoch string) int64 {
	switch epoch {
	case "":
		return 0
	case "u", "µ":
		return int64(time.Microsecond)
	case "ms":
		return int64(time.Millisecond)
	case "s":
		return int64(time.Second)
	case "m":
		return int64(time.Minute)
	case "h":
		return int64(time.Hour)
	}
	return 1
}

// formatTime returns the JSON value of timestamp ns: an RFC 3339 string when
// div is 0, else ns / div.
func formatTime(ns, div int64) any {
	if div == 0 {
		return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
	}
	return ns / div
}

// jsonValue returns v in a form encoding/json can write: NaN and infinities,
// which JSON cannot hold, become null as they do in InfluxDB's answers.
func jsonValue(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return nil
	}
	return v
}
