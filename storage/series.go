package storage

import (
	"fmt"
	"maps"
	"slices"
)

// The index queries below read the in-memory series index of a retention
// policy ("" is the database's default). They see every committed write
// and are safe for concurrent use; results are copies the caller owns,
// sorted by name or key.

// indexOf resolves an RP and calls fn with its index under the read lock.
func (db *DB) indexOf(database, rp string, fn func(*rpState)) error {
	db.state.RLock()
	defer db.state.RUnlock()
	_, rps, err := db.lookupRP(database, rp)
	if err != nil {
		return err
	}
	fn(rps)
	return nil
}

// RetentionPolicyID returns the id of a retention policy, for
// Cursor.SeekRP.
func (db *DB) RetentionPolicyID(database, rp string) (uint32, error) {
	var id uint32
	err := db.indexOf(database, rp, func(r *rpState) { id = r.id })
	return id, err
}

// Measurements returns the names of the measurements of a retention policy.
func (db *DB) Measurements(database, rp string) ([]string, error) {
	var out []string
	err := db.indexOf(database, rp, func(r *rpState) {
		for _, name := range r.idx.measurementNames() {
			if len(r.idx.measurements[name].series) > 0 {
				out = append(out, name)
			}
		}
	})
	return out, err
}

// TagKeys returns the tag keys of a measurement, or of all measurements
// when measurement is "".
func (db *DB) TagKeys(database, rp, measurement string) ([]string, error) {
	var out []string
	err := db.indexOf(database, rp, func(r *rpState) {
		set := map[string]struct{}{}
		for name, m := range r.idx.measurements {
			if measurement == "" || name == measurement {
				for k := range m.postings {
					set[k] = struct{}{}
				}
			}
		}
		out = slices.Sorted(maps.Keys(set))
	})
	return out, err
}

// TagValues returns the values of tag key among the series of measurement
// ("" = all measurements) matching filter (nil = all).
func (db *DB) TagValues(database, rp, measurement, key string, filter TagFilter) ([]string, error) {
	var out []string
	err := db.indexOf(database, rp, func(r *rpState) {
		set := map[string]struct{}{}
		for name, m := range r.idx.measurements {
			if measurement != "" && name != measurement {
				continue
			}
			for v, ids := range m.postings[key] {
				if _, ok := set[v]; ok {
					continue
				}
				for id := range ids {
					if filter == nil || filter.Match(m.series[id].Tags) {
						set[v] = struct{}{}
						break
					}
				}
			}
		}
		out = slices.Sorted(maps.Keys(set))
	})
	return out, err
}

// Series returns the series of a measurement matching filter (nil = all),
// sorted by key. With measurement "" it returns the matching series of all
// measurements.
func (db *DB) Series(database, rp, measurement string, filter TagFilter) ([]Series, error) {
	var out []Series
	err := db.indexOf(database, rp, func(r *rpState) {
		for _, name := range r.idx.measurementNames() {
			if measurement != "" && name != measurement {
				continue
			}
			out = append(out, r.idx.matchSeries(r.idx.measurements[name], filter)...)
		}
	})
	return out, err
}

// SeriesByID returns one series.
func (db *DB) SeriesByID(database, rp string, id uint64) (Series, bool, error) {
	var s Series
	var ok bool
	err := db.indexOf(database, rp, func(r *rpState) {
		if p := r.idx.byID[id]; p != nil {
			s, ok = *p, true
		}
	})
	return s, ok, err
}

// FieldKeys returns the fields of a measurement with their ids and types.
func (db *DB) FieldKeys(database, rp, measurement string) ([]FieldInfo, error) {
	var out []FieldInfo
	err := db.indexOf(database, rp, func(r *rpState) {
		if m := r.idx.measurements[measurement]; m != nil {
			out = m.sortedFields()
		}
	})
	return out, err
}

// Field returns one field of a measurement.
func (db *DB) Field(database, rp, measurement, field string) (FieldInfo, bool, error) {
	var f FieldInfo
	var ok bool
	err := db.indexOf(database, rp, func(r *rpState) {
		if m := r.idx.measurements[measurement]; m != nil {
			f, ok = m.fields[field]
		}
	})
	return f, ok, err
}

// Partitions returns the time ranges [Start, Last] of the data partitions
// of a retention policy, in time order.
func (db *DB) Partitions(database, rp string) ([]PartitionInfo, error) {
	var out []PartitionInfo
	err := db.indexOf(database, rp, func(r *rpState) {
		for _, p := range r.parts {
			out = append(out, PartitionInfo{Start: p.start, Last: p.last})
		}
	})
	return out, err
}

// PartitionInfo is the time range of a data partition: nanoseconds
// [Start, Last], both inclusive.
type PartitionInfo struct {
	Start, Last int64
}

func (p PartitionInfo) String() string { return fmt.Sprintf("[%d, %d]", p.Start, p.Last) }
