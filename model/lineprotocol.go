package model

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// Precision is the unit of line-protocol timestamps.
type Precision int64

// The precisions InfluxDB 1.x accepts in its precision parameter. The value
// of each is its length in nanoseconds.
const (
	Nanosecond  Precision = 1
	Microsecond Precision = 1e3
	Millisecond Precision = 1e6
	Second      Precision = 1e9
	Minute      Precision = 60e9
	Hour        Precision = 3600e9
)

// ParsePrecision parses an InfluxDB precision parameter: "ns" (also "n" and
// ""), "us" ("u", "µs"), "ms", "s", "m" or "h".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "", "n", "ns":
		return Nanosecond, nil
	case "u", "us", "µs", "µ":
		return Microsecond, nil
	case "ms":
		return Millisecond, nil
	case "s":
		return Second, nil
	case "m":
		return Minute, nil
	case "h":
		return Hour, nil
	}
	return 0, fmt.Errorf("invalid precision %q: want one of ns, us, ms, s, m, h", s)
}

// String returns the precision's short name.
func (p Precision) String() string {
	switch p {
	case Nanosecond:
		return "ns"
	case Microsecond:
		return "us"
	case Millisecond:
		return "ms"
	case Second:
		return "s"
	case Minute:
		return "m"
	case Hour:
		return "h"
	}
	return strconv.FormatInt(int64(p), 10) + "ns"
}

// DefaultMaxLineBytes is the default longest line ParseLines accepts.
const DefaultMaxLineBytes = 1 << 20

// ParseOptions tune [ParseLines]. The zero value is usable.
type ParseOptions struct {
	// Precision of the timestamps. The default is Nanosecond.
	Precision Precision
	// Now is the time in nanoseconds given to lines without a timestamp,
	// truncated to the precision. The default is time.Now().
	Now int64
	// MaxLineBytes is the longest line accepted. The default is
	// DefaultMaxLineBytes (1 MiB).
	MaxLineBytes int
}

// LineError reports a bad line of a line-protocol batch. Line and Column are
// 1-based; Column is a byte column and 0 when the error concerns the whole
// line.
type LineError struct {
	Line   int
	Column int
	Msg    string
	// Text is the start of the offending line (at most 64 bytes), for
	// messages shown to people.
	Text string
}

func (e *LineError) Error() string {
	var b strings.Builder
	b.WriteString("line ")
	b.WriteString(strconv.Itoa(e.Line))
	if e.Column > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Text != "" {
		b.WriteString(" (in ")
		b.WriteString(strconv.Quote(e.Text))
		b.WriteByte(')')
	}
	return b.String()
}

// ParseLines decodes a batch of line protocol. Either every line is valid and
// all points are returned in input order, or none is returned and the error
// is a *LineError naming the first bad line. Empty lines and comment lines
// (starting with #) are skipped. Tags are sorted; a repeated tag or field key
// keeps its last value.
func ParseLines(data []byte, opts ParseOptions) ([]Point, error) {
	prec := opts.Precision
	if prec == 0 {
		prec = Nanosecond
	}
	now := opts.Now
	if now == 0 {
		now = time.Now().UnixNano()
	}
	now -= now % int64(prec)
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	if err := checkLineLengths(data, maxLine); err != nil {
		return nil, err
	}

	dec := lineprotocol.NewDecoderWithBytes(data)
	pd := parser{
		dec:     dec,
		prec:    prec,
		now:     now,
		strs:    make(map[string]string),
		points:  make([]Point, 0, countLines(data)),
		tagBuf:  nil,
		fieldBf: nil,
	}
	for dec.Next() {
		if err := pd.decodePoint(); err != nil {
			return nil, lineError(data, err, len(pd.points))
		}
	}
	if err := dec.Err(); err != nil {
		return nil, lineError(data, err, len(pd.points))
	}
	return pd.points, nil
}

// parser holds the state of one ParseLines call. Names and tag values are
// interned per call (a batch repeats them on every line), and the tags and
// fields of all points are carved from shared backing arrays, so a batch
// costs a few allocations per distinct string instead of several per line.
type parser struct {
	dec     *lineprotocol.Decoder
	prec    Precision
	now     int64
	strs    map[string]string
	points  []Point
	tagBuf  []Tag   // backing array tags are carved from
	fieldBf []Field // backing array fields are carved from
}

// arenaChunk is how many tags or fields one backing array holds.
const arenaChunk = 4096

func (pd *parser) intern(b []byte) string {
	if s, ok := pd.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	pd.strs[s] = s
	return s
}

func (pd *parser) decodePoint() error {
	dec := pd.dec
	var p Point
	m, err := dec.Measurement()
	if err != nil {
		return err
	}
	p.Measurement = pd.intern(m)
	tags := pd.tagBuf[len(pd.tagBuf):]
	for {
		k, v, err := dec.NextTag()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		if string(k) == "time" {
			return fmt.Errorf("invalid tag key %q: \"time\" is reserved", k)
		}
		if len(v) == 0 {
			return fmt.Errorf("tag %q has an empty value", k)
		}
		tags = append(tags, Tag{Key: pd.intern(k), Value: pd.intern(v)})
	}
	if len(tags) > 0 {
		p.Tags = tags[:len(tags):len(tags)]
		if !tagsSorted(p.Tags) {
			p.Tags.Sort()
		}
		pd.tagBuf = carve(pd.tagBuf, tags)
	}
	fields := pd.fieldBf[len(pd.fieldBf):]
	for {
		k, v, err := dec.NextField()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		if string(k) == "time" {
			return fmt.Errorf("invalid field key %q: \"time\" is reserved", k)
		}
		var fv FieldValue
		switch v.Kind() {
		case lineprotocol.Float:
			f := v.FloatV()
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("field %q: %v is not a valid float", k, f)
			}
			fv = Float(f)
		case lineprotocol.Int:
			fv = Int(v.IntV())
		case lineprotocol.Uint:
			fv = Uint(v.UintV())
		case lineprotocol.String:
			fv = String(v.StringV())
		case lineprotocol.Bool:
			fv = Bool(v.BoolV())
		default:
			return fmt.Errorf("field %q has an unknown value kind %v", k, v.Kind())
		}
		fields = setField(fields, pd.intern(k), fv)
	}
	p.Fields = fields[:len(fields):len(fields)]
	pd.fieldBf = carve(pd.fieldBf, fields)
	tb, err := dec.TimeBytes()
	if err != nil {
		return err
	}
	if tb == nil {
		p.Time = pd.now
	} else {
		ts, ok := parseTimestamp(tb)
		if !ok {
			return fmt.Errorf("invalid timestamp %q", tb)
		}
		ns := ts * int64(pd.prec)
		if pd.prec != Nanosecond && ns/int64(pd.prec) != ts {
			return fmt.Errorf("timestamp %d%s is out of range", ts, pd.prec)
		}
		p.Time = ns
	}
	pd.points = append(pd.points, p)
	return nil
}

// carve records that used, which was appended to the free tail of buf, is
// taken, and returns the buffer to carve the next slice from: buf extended
// by used when used still lives in buf's backing array, else a fresh array.
// A slice that outgrew the tail was reallocated by append and owns its
// array alone, so nothing is shared between points either way.
func carve[T any](buf, used []T) []T {
	if len(used) > 0 && cap(buf)-len(buf) >= len(used) && &buf[:len(buf)+1][len(buf)] == &used[0] {
		buf = buf[:len(buf)+len(used)]
	}
	if cap(buf)-len(buf) < 64 {
		buf = make([]T, 0, arenaChunk)
	}
	return buf
}

func tagsSorted(ts Tags) bool {
	for i := 1; i < len(ts); i++ {
		if ts[i-1].Key >= ts[i].Key {
			return false
		}
	}
	return true
}

// parseTimestamp parses a decimal int64 without allocating.
func parseTimestamp(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// countLines returns the number of newline-terminated or final lines, an
// upper bound of the number of points, to size the result once.
func countLines(data []byte) int {
	n := 1
	for _, c := range data {
		if c == '\n' {
			n++
		}
	}
	return n
}

func setField(fs []Field, k string, v FieldValue) []Field {
	for i := range fs {
		if fs[i].Key == k {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, Field{Key: k, Value: v})
}

// checkLineLengths rejects a batch with a line longer than max before any
// decoding, so a huge line costs one pass and no allocation.
func checkLineLengths(data []byte, max int) error {
	line, start := 1, 0
	for i := 0; i <= len(data); i++ {
		if i < len(data) && data[i] != '\n' {
			continue
		}
		if n := i - start; n > max {
			return &LineError{Line: line, Msg: fmt.Sprintf("line is %d bytes long, longer than the limit of %d", n, max), Text: clip(data[start:i])}
		}
		line++
		start = i + 1
	}
	return nil
}

// lineError turns a decoding error of the entry with index entry into a
// *LineError with the line's text. Syntax errors carry the decoder's line and
// column; for errors found in a syntactically valid entry the line is that of
// the entry-th line that is neither blank nor a comment.
func lineError(data []byte, err error, entry int) error {
	le := &LineError{Msg: err.Error()}
	var de *lineprotocol.DecodeError
	if errors.As(err, &de) {
		le.Line, le.Column, le.Msg = int(de.Line), de.Column, de.Err.Error()
	} else {
		le.Line = entryLine(data, entry)
	}
	le.Text = clip(lineAt(data, le.Line))
	return le
}

func entryLine(data []byte, entry int) int {
	line := 1
	for len(data) > 0 {
		end := indexByte(data, '\n')
		cur := data
		if end >= 0 {
			cur = data[:end]
		}
		t := strings.TrimLeft(string(cur), " \t\r")
		if t != "" && t[0] != '#' {
			if entry == 0 {
				return line
			}
			entry--
			end = entryEnd(data) // a string field value may hold newlines
		}
		if end < 0 {
			break
		}
		for _, c := range data[:end+1] {
			if c == '\n' {
				line++
			}
		}
		data = data[end+1:]
	}
	return line
}

// entryEnd returns the index of the newline ending the valid entry that
// data starts with, or -1 when the entry runs to the end of data. Newlines
// can only be inside string field values: values of the field section
// (after the first unescaped space) that start with a quote.
func entryEnd(data []byte) int {
	i := 0
	for i < len(data) && data[i] == ' ' {
		i++
	}
	for i < len(data) && data[i] != ' ' && data[i] != '\n' { // measurement and tags
		if data[i] == '\\' && i+1 < len(data) && strings.IndexByte(tagEscapes, data[i+1]) >= 0 {
			i++
		}
		i++
	}
	for i < len(data) && data[i] == ' ' {
		i++
	}
	inKey := true
	for i < len(data) {
		switch c := data[i]; {
		case c == '\n':
			return i
		case !inKey:
			if c == ',' {
				inKey = true
			}
		case c == '\\' && i+1 < len(data) && strings.IndexByte(fieldKeyEscapes, data[i+1]) >= 0:
			i++
		case c == '=' && i+1 < len(data) && data[i+1] == '"':
			inKey = false
			for i += 2; i < len(data) && data[i] != '"'; i++ { // the string
				if data[i] == '\\' && i+1 < len(data) && strings.IndexByte(`\"nrt`, data[i+1]) >= 0 {
					i++
				}
			}
		case c == '=':
			inKey = false
		}
		i++
	}
	return -1
}

func lineAt(data []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := indexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := indexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return data
}

func indexByte(b []byte, c byte) int {
	for i := range b {
		if b[i] == c {
			return i
		}
	}
	return -1
}

func clip(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strings.TrimRight(string(b), "\r")
}

// AppendLine appends p as one line of line protocol (with a trailing
// newline) in nanosecond precision. ParseLines decodes the line back to p
// for every point it can return; names line protocol cannot carry (with
// control characters or a trailing backslash) do not round-trip.
func AppendLine(dst []byte, p *Point) []byte {
	dst = appendLineEscaped(dst, p.Measurement, measurementEscapes)
	for _, t := range p.Tags {
		dst = append(dst, ',')
		dst = appendLineEscaped(dst, t.Key, tagEscapes)
		dst = append(dst, '=')
		dst = appendLineEscaped(dst, t.Value, tagEscapes)
	}
	for i, f := range p.Fields {
		if i == 0 {
			dst = append(dst, ' ')
		} else {
			dst = append(dst, ',')
		}
		dst = appendLineEscaped(dst, f.Key, fieldKeyEscapes)
		dst = append(dst, '=')
		dst = appendFieldValue(dst, f.Value)
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, p.Time, 10)
	return append(dst, '\n')
}
