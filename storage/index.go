package storage

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/accretedb/accrete/model"
)

// Series describes one series of a retention policy. Tags is sorted and
// shared with the index: callers must not modify it.
type Series struct {
	ID          uint64
	Key         string // canonical series key, model.AppendSeriesKey
	Measurement string
	Tags        model.Tags
}

// FieldInfo describes one field of a measurement.
type FieldInfo struct {
	Name string
	ID   uint32
	Type model.FieldType
}

// seriesIndex is the in-memory series index of one retention policy. It is
// rebuilt from the index keys at Open. Writers change it holding DB.mu and
// DB.state.Lock; readers hold DB.state.RLock.
type seriesIndex struct {
	byKey        map[string]*Series
	byID         map[uint64]*Series
	measurements map[string]*measurementIndex
	nextSeries   uint64 // next series id to assign, ≥ 1
	nextField    uint32 // next field id to assign, ≥ 1
}

// measurementIndex holds the series, postings and fields of a measurement.
type measurementIndex struct {
	series map[uint64]*Series
	// postings maps tag key → tag value → ids of the series carrying it.
	postings map[string]map[string]map[uint64]struct{}
	fields   map[string]FieldInfo
}

func newSeriesIndex() *seriesIndex {
	return &seriesIndex{
		byKey:        map[string]*Series{},
		byID:         map[uint64]*Series{},
		measurements: map[string]*measurementIndex{},
		nextSeries:   1,
		nextField:    1,
	}
}

func (x *seriesIndex) measurement(name string, create bool) *measurementIndex {
	m := x.measurements[name]
	if m == nil && create {
		m = &measurementIndex{
			series:   map[uint64]*Series{},
			postings: map[string]map[string]map[uint64]struct{}{},
			fields:   map[string]FieldInfo{},
		}
		x.measurements[name] = m
	}
	return m
}

// addSeries inserts s into the index.
func (x *seriesIndex) addSeries(s *Series) {
	x.byKey[s.Key] = s
	x.byID[s.ID] = s
	x.nextSeries = max(x.nextSeries, s.ID+1)
	m := x.measurement(s.Measurement, true)
	m.series[s.ID] = s
	for _, t := range s.Tags {
		vals := m.postings[t.Key]
		if vals == nil {
			vals = map[string]map[uint64]struct{}{}
			m.postings[t.Key] = vals
		}
		ids := vals[t.Value]
		if ids == nil {
			ids = map[uint64]struct{}{}
			vals[t.Value] = ids
		}
		ids[s.ID] = struct{}{}
	}
}

// removeSeries deletes a series from the index. A measurement left without
// series keeps its fields until it is dropped.
func (x *seriesIndex) removeSeries(id uint64) {
	s := x.byID[id]
	if s == nil {
		return
	}
	delete(x.byID, id)
	delete(x.byKey, s.Key)
	m := x.measurements[s.Measurement]
	delete(m.series, id)
	for _, t := range s.Tags {
		vals := m.postings[t.Key]
		delete(vals[t.Value], id)
		if len(vals[t.Value]) == 0 {
			delete(vals, t.Value)
		}
		if len(vals) == 0 {
			delete(m.postings, t.Key)
		}
	}
}

// addField records a field of a measurement.
func (x *seriesIndex) addField(measurement string, f FieldInfo) {
	x.measurement(measurement, true).fields[f.Name] = f
	x.nextField = max(x.nextField, f.ID+1)
}

// measurementNames returns the sorted names of measurements having series
// or fields.
func (x *seriesIndex) measurementNames() []string {
	return slices.Sorted(maps.Keys(x.measurements))
}

// matchSeries returns the series of measurement m matching f (nil matches
// all), sorted by key.
func (x *seriesIndex) matchSeries(m *measurementIndex, f TagFilter) []Series {
	var out []Series
	if ids, ok := candidates(m, f); ok {
		for id := range ids {
			if s := m.series[id]; s != nil && (f == nil || f.Match(s.Tags)) {
				out = append(out, *s)
			}
		}
	} else {
		for _, s := range m.series {
			if f == nil || f.Match(s.Tags) {
				out = append(out, *s)
			}
		}
	}
	slices.SortFunc(out, func(a, b Series) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// candidates narrows a filter to the postings of one equality on a
// non-empty value when the filter has one at its top (alone or in an And).
func candidates(m *measurementIndex, f TagFilter) (map[uint64]struct{}, bool) {
	switch f := f.(type) {
	case TagEq:
		if f.Value != "" {
			return m.postings[f.Key][f.Value], true
		}
	case And:
		for _, sub := range f {
			if ids, ok := candidates(m, sub); ok {
				return ids, true
			}
		}
	}
	return nil, false
}

// tagKeys returns the sorted tag keys of measurement m.
func (m *measurementIndex) tagKeys() []string {
	return slices.Sorted(maps.Keys(m.postings))
}

// sortedFields returns the fields of m sorted by name.
func (m *measurementIndex) sortedFields() []FieldInfo {
	out := slices.Collect(maps.Values(m.fields))
	slices.SortFunc(out, func(a, b FieldInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
