package model

import (
	"slices"
	"strings"
)

// Tag is one tag of a series.
type Tag struct {
	Key, Value string
}

// Tags is a tag set. Functions that build series keys require it sorted by
// key with unique keys; [Tags.Sort] establishes that.
type Tags []Tag

// Sort sorts the tag set by key in place. When a key is repeated the last
// value wins and the duplicates are removed (InfluxDB keeps the last one too).
func (ts *Tags) Sort() {
	t := *ts
	slices.SortStableFunc(t, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	out := t[:0]
	for i := range t {
		if len(out) > 0 && out[len(out)-1].Key == t[i].Key {
			out[len(out)-1] = t[i]
			continue
		}
		out = append(out, t[i])
	}
	*ts = out
}

// Get returns the value of key and whether it is present. Tags must be sorted.
func (ts Tags) Get(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(ts, key, func(t Tag, k string) int { return strings.Compare(t.Key, k) })
	if !ok {
		return "", false
	}
	return ts[i].Value, true
}

// Field is one field of a point.
type Field struct {
	Key   string
	Value FieldValue
}

// Point is one line of line protocol: a measurement, its tags (sorted by
// key), its fields (in the order written, keys unique) and a timestamp in
// nanoseconds since the Unix epoch.
type Point struct {
	Measurement string
	Tags        Tags
	Fields      []Field
	Time        int64
}

// SeriesKey returns the point's canonical series key; see [AppendSeriesKey].
func (p *Point) SeriesKey() []byte { return AppendSeriesKey(nil, p.Measurement, p.Tags) }

// AppendSeriesKey appends the canonical key of the series (measurement, tags)
// to dst: the measurement and the sorted tags in line-protocol syntax with
// line-protocol escaping, e.g. `cpu,host=a,region=us\ west`. Two series are
// the same exactly when their keys are equal. tags must be sorted.
func AppendSeriesKey(dst []byte, measurement string, tags Tags) []byte {
	dst = appendEscaped(dst, measurement, measurementEscapes)
	for _, t := range tags {
		dst = append(dst, ',')
		dst = appendEscaped(dst, t.Key, tagEscapes)
		dst = append(dst, '=')
		dst = appendEscaped(dst, t.Value, tagEscapes)
	}
	return dst
}

// ParseSeriesKey splits a key made by [AppendSeriesKey] back into the
// measurement and tags.
func ParseSeriesKey(key []byte) (measurement string, tags Tags, err error) {
	parts, err := splitUnescaped(key)
	if err != nil {
		return "", nil, err
	}
	measurement = parts[0]
	for _, kv := range parts[1:] {
		k, v, ok := cutTag(kv)
		if !ok {
			return "", nil, errBadSeriesKey
		}
		tags = append(tags, Tag{Key: k, Value: v})
	}
	return measurement, tags, nil
}
