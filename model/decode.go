package model

import (
	"bytes"
	"math"
	"strconv"
	"time"
)

// Decoded is a batch of line protocol decoded by a [Decoder]: the points in
// input order, as [ParseLines] returns them, and the distinct series they
// belong to, so that a writer can group the points by series without
// hashing or comparing their tags.
type Decoded struct {
	// Points are the batch's points in input order.
	Points []Point
	// SeriesOf[i] is the index in Series of the series of Points[i].
	SeriesOf []int32
	// Series are the distinct series (measurement and tag set) of the
	// batch, in the order of their first point.
	Series []DecodedSeries
}

// DecodedSeries is one series of a [Decoded] batch.
type DecodedSeries struct {
	Measurement string
	// Tags are sorted by key, like those of a Point. The points of the
	// series share this slice when the Decoder took its fast path.
	Tags Tags
	// Key is the canonical series key (AppendSeriesKey).
	Key string
	// First is the index in Points of the series' first point.
	First int
}

// Decoder decodes line-protocol batches into [Decoded] batches. It keeps
// its buffers between calls, so a Decoder reused for many batches allocates
// little. A Decoder is not safe for concurrent use.
//
// Batches of the common shape (no escapes, no comments or leading
// white space, unquoted names of printable ASCII, string values without
// escapes or newlines) take a fast path: each line's measurement and tags
// are looked up as raw bytes among the series already seen in the batch, so
// that tags are parsed and sorted once per series, not once per line, and
// field keys are compared with the keys of the series' previous line. Any
// other batch, and every malformed one, is decoded by [ParseLines], whose
// results and errors are the definition the fast path follows.
type Decoder struct {
	d      Decoded
	raw    map[string]int32  // raw measurement-and-tags bytes -> series
	byKey  map[string]int32  // series key -> series
	names  map[string]string // interned names, kept across calls
	keys   [][]string        // per series: the field keys of its last line
	chunks [][]Field         // arenas the points' fields are carved from
	chunk  int               // index in chunks of the arena in use
	fields []Field           // the arena in use (chunks[chunk][:used])
	key    []byte
	tags   Tags
}

var newline = []byte{'\n'}

// maxInterned bounds the interned names a Decoder keeps between calls.
const maxInterned = 1 << 16

// fieldChunk is the number of fields of one arena of a Decoder.
const fieldChunk = 1 << 14

// Decode decodes data like ParseLines(data, opts) and returns its points
// grouped by series. The result and its points are valid until the next
// call of Decode on d. A malformed batch fails with the *LineError
// ParseLines returns for it.
func (dc *Decoder) Decode(data []byte, opts ParseOptions) (*Decoded, error) {
	if opts.Precision == 0 {
		opts.Precision = Nanosecond
	}
	if opts.Now == 0 {
		opts.Now = time.Now().UnixNano()
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if dc.fast(data, &opts) {
		return &dc.d, nil
	}
	points, err := ParseLines(data, opts)
	if err != nil {
		dc.reset()
		return nil, err
	}
	dc.group(points)
	return &dc.d, nil
}

// reset empties the decoder's result, keeping its buffers.
func (dc *Decoder) reset() {
	dc.d.Points = dc.d.Points[:0]
	dc.d.SeriesOf = dc.d.SeriesOf[:0]
	clear(dc.d.Series)
	dc.d.Series = dc.d.Series[:0]
	if dc.raw == nil {
		dc.raw = map[string]int32{}
		dc.byKey = map[string]int32{}
		dc.names = map[string]string{}
	}
	clear(dc.raw)
	clear(dc.byKey)
	if len(dc.names) > maxInterned {
		clear(dc.names)
	}
	for i := range dc.keys {
		dc.keys[i] = dc.keys[i][:0]
	}
	dc.chunk = 0
	if len(dc.chunks) == 0 {
		dc.chunks = append(dc.chunks, make([]Field, fieldChunk))
	}
	dc.fields = dc.chunks[0][:0]
}

// group fills the result from points decoded by ParseLines.
func (dc *Decoder) group(points []Point) {
	dc.reset()
	dc.d.Points = points
	for i := range points {
		p := &points[i]
		dc.key = AppendSeriesKey(dc.key[:0], p.Measurement, p.Tags)
		s, ok := dc.byKey[string(dc.key)]
		if !ok {
			s = int32(len(dc.d.Series))
			k := string(dc.key)
			dc.byKey[k] = s
			dc.d.Series = append(dc.d.Series, DecodedSeries{Measurement: p.Measurement, Tags: p.Tags, Key: k, First: i})
		}
		dc.d.SeriesOf = append(dc.d.SeriesOf, s)
	}
}

func (dc *Decoder) intern(b []byte) string {
	if s, ok := dc.names[string(b)]; ok {
		return s
	}
	s := string(b)
	dc.names[s] = s
	return s
}

// fast decodes data on the fast path. It returns false, leaving a partial
// result, when data has a line outside the shape the fast path handles or
// a malformed one.
func (dc *Decoder) fast(data []byte, opts *ParseOptions) bool {
	dc.reset()
	prec := int64(opts.Precision)
	now := opts.Now - opts.Now%prec
	maxLine := opts.MaxLineBytes
	if n := bytes.Count(data, newline) + 1; cap(dc.d.Points) < n {
		dc.d.Points = make([]Point, 0, n)
		dc.d.SeriesOf = make([]int32, 0, n)
	}
	pos := 0
	for pos < len(data) {
		start := pos
		switch data[pos] {
		case '\n':
			pos++
			continue
		case ' ', '\t', '\r', '#':
			return false
		}
		sp := bytes.IndexByte(data[pos:], ' ')
		if sp <= 0 {
			return false
		}
		sect := data[pos : pos+sp]
		si, ok := dc.raw[string(sect)]
		if !ok {
			if si, ok = dc.newSeries(sect); !ok {
				return false
			}
		}
		pos += sp + 1
		s := &dc.d.Series[si]
		keys := dc.keys[si]
		// Fields: key=value pairs up to a space or the end of the line.
		lineStart := len(dc.fields)
		nf := 0
		same := true // the keys so far are those of the series' previous line
		for {
			if pos >= len(data) {
				return false
			}
			var k string
			if nf < len(keys) && same {
				k = keys[nf]
				if end := pos + len(k); end < len(data) && data[end] == '=' && string(data[pos:end]) == k {
					pos = end + 1
				} else {
					k = ""
				}
			}
			if k == "" {
				eq := pos
				for eq < len(data) && data[eq] != '=' {
					if c := data[eq]; !nameByte(c) {
						return false
					}
					eq++
				}
				if eq == pos || eq >= len(data) {
					return false
				}
				name := data[pos:eq]
				if string(name) == "time" {
					return false
				}
				same = false
				for _, f := range dc.fields[lineStart:] {
					if f.Key == string(name) {
						return false // a repeated key: ParseLines keeps the last value
					}
				}
				k = dc.intern(name)
				if nf < len(keys) {
					keys[nf] = k
				} else {
					keys = append(keys, k)
				}
				pos = eq + 1
			}
			if pos >= len(data) {
				return false
			}
			var v FieldValue
			end := pos
			if data[pos] == '"' {
				if end = stringEnd(data, pos); end < 0 {
					return false
				}
				v = String(string(data[pos+1 : end-1]))
			} else {
				for end < len(data) {
					if c := data[end]; c == ',' || c == ' ' || c == '\n' {
						break
					}
					end++
				}
				if end == pos {
					return false
				}
				if v, ok = parseValue(data[pos:end]); !ok {
					return false
				}
			}
			if len(dc.fields) == cap(dc.fields) {
				dc.grow(lineStart)
				lineStart = 0
			}
			dc.fields = append(dc.fields, Field{Key: k, Value: v})
			nf++
			pos = end
			if pos >= len(data) || data[pos] != ',' {
				break
			}
			pos++
		}
		dc.keys[si] = keys[:nf]
		t := now
		if pos < len(data) && data[pos] == ' ' {
			pos++
			end := pos
			for end < len(data) && data[end] != '\n' {
				end++
			}
			ts, ok := parseTimestamp(data[pos:end])
			if !ok || data[pos] == '+' {
				return false
			}
			t = ts * prec
			if prec != 1 && t/prec != ts {
				return false
			}
			pos = end
		}
		if pos-start > maxLine {
			return false
		}
		if pos < len(data) {
			if data[pos] != '\n' {
				return false
			}
			pos++
		}
		dc.d.Points = append(dc.d.Points, Point{
			Measurement: s.Measurement,
			Tags:        s.Tags,
			Fields:      dc.fields[lineStart:len(dc.fields):len(dc.fields)],
			Time:        t,
		})
		dc.d.SeriesOf = append(dc.d.SeriesOf, si)
	}
	return true
}

// grow moves the fields of the current line, which start at lineStart, to
// the next arena.
func (dc *Decoder) grow(lineStart int) {
	dc.chunk++
	if dc.chunk == len(dc.chunks) {
		dc.chunks = append(dc.chunks, make([]Field, fieldChunk))
	}
	next := dc.chunks[dc.chunk][:0]
	dc.fields = append(next, dc.fields[lineStart:]...)
}

// nameByte reports whether c may appear in a name on the fast path:
// printable ASCII other than the space and the bytes line protocol escapes
// or quotes with.
func nameByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != ',' && c != '=' && c != '\\' && c != '"'
}

// newSeries parses the measurement and tags of a line not seen in the batch
// yet and records its series, returning false for a section the fast path
// does not handle.
func (dc *Decoder) newSeries(sect []byte) (int32, bool) {
	i := 0
	for i < len(sect) && sect[i] != ',' {
		if !nameByte(sect[i]) {
			return 0, false
		}
		i++
	}
	if i == 0 {
		return 0, false
	}
	m := dc.intern(sect[:i])
	tags := dc.tags[:0]
	for i < len(sect) {
		i++ // the comma
		k := i
		for i < len(sect) && sect[i] != '=' {
			if !nameByte(sect[i]) {
				return 0, false
			}
			i++
		}
		if i == k || i == len(sect) {
			return 0, false
		}
		key := sect[k:i]
		i++
		v := i
		for i < len(sect) && sect[i] != ',' {
			if !nameByte(sect[i]) {
				return 0, false
			}
			i++
		}
		if i == v || string(key) == "time" {
			return 0, false
		}
		tags = append(tags, Tag{Key: dc.intern(key), Value: dc.intern(sect[v:i])})
	}
	dc.tags = tags
	if !tagsSorted(tags) {
		tags.Sort()
	}
	dc.key = AppendSeriesKey(dc.key[:0], m, tags)
	si, ok := dc.byKey[string(dc.key)]
	if !ok {
		si = int32(len(dc.d.Series))
		k := string(dc.key)
		dc.byKey[k] = si
		var own Tags
		if len(tags) > 0 {
			own = append(make(Tags, 0, len(tags)), tags...)
		}
		dc.d.Series = append(dc.d.Series, DecodedSeries{Measurement: m, Tags: own, Key: k, First: len(dc.d.Points)})
		if int(si) == len(dc.keys) {
			dc.keys = append(dc.keys, nil)
		}
	}
	dc.raw[string(sect)] = si
	return si, true
}

// stringEnd returns the index after the closing quote of the string value
// starting at data[pos], or -1 when the string has escapes, a newline or
// bytes other than printable ASCII, or is not followed by a separator.
func stringEnd(data []byte, pos int) int {
	for i := pos + 1; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			if i+1 < len(data) && data[i+1] != ',' && data[i+1] != ' ' && data[i+1] != '\n' {
				return -1
			}
			return i + 1
		case c == '\\' || c < ' ' || c >= 0x7f:
			return -1
		}
	}
	return -1
}

// parseValue parses an unquoted field value: an integer (1i), an unsigned
// integer (1u), a boolean or a float of the form -1.5e-3.
func parseValue(b []byte) (FieldValue, bool) {
	switch last := b[len(b)-1]; last {
	case 'i', 'u':
		digits := b[:len(b)-1]
		neg := len(digits) > 0 && digits[0] == '-'
		if neg {
			if last == 'u' {
				return FieldValue{}, false
			}
			digits = digits[1:]
		}
		if len(digits) == 0 || len(digits) > 20 {
			return FieldValue{}, false
		}
		var u uint64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return FieldValue{}, false
			}
			d := uint64(c - '0')
			if u > (math.MaxUint64-d)/10 {
				return FieldValue{}, false
			}
			u = u*10 + d
		}
		if last == 'u' {
			return Uint(u), true
		}
		if neg {
			if u > 1<<63 {
				return FieldValue{}, false
			}
			return Int(-int64(u)), true
		}
		if u > math.MaxInt64 {
			return FieldValue{}, false
		}
		return Int(int64(u)), true
	}
	switch string(b) {
	case "t", "T", "true", "True", "TRUE":
		return Bool(true), true
	case "f", "F", "false", "False", "FALSE":
		return Bool(false), true
	}
	if !floatSyntax(b) {
		return FieldValue{}, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return FieldValue{}, false
	}
	return Float(f), true
}

// floatSyntax reports whether b is -?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func floatSyntax(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if !digits() {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(b)
}
