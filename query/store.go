package query

import (
	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
	"github.com/accretedb/accrete/storage/chunk"
)

// Store is the storage engine as queries read it: the series index and
// snapshots of the data. *storage.DB satisfies it. Its methods must be
// safe for concurrent use.
type Store interface {
	// NewReader opens a consistent point-in-time view of the data.
	NewReader() (*storage.Reader, error)
	// Measurements returns the sorted measurement names of a retention
	// policy ("" is the database's default).
	Measurements(database, rp string) ([]string, error)
	// Series returns the series of a measurement matched by filter (nil
	// matches all), sorted by key. The caller owns the slice; the series'
	// Tags must not be modified.
	Series(database, rp, measurement string, filter storage.TagFilter) ([]storage.Series, error)
	// FieldKeys returns the fields of a measurement with their ids and
	// types.
	FieldKeys(database, rp, measurement string) ([]storage.FieldInfo, error)
	// Partitions returns the time ranges of the data partitions of a
	// retention policy, in time order.
	Partitions(database, rp string) ([]storage.PartitionInfo, error)
}

// Snapshot is what one statement reads: the series index, the fields of
// measurements and the values of series fields. The values come from one
// point-in-time view of the data. A Snapshot is safe for concurrent use;
// its cursors are not (each reader opens its own).
type Snapshot interface {
	// Measurements returns the names of the measurements of a retention
	// policy ("" is the database's default), sorted.
	Measurements(db, rp string) ([]string, error)
	// Series returns the series of a measurement matched by f (nil matches
	// all), sorted by series key.
	Series(db, rp, measurement string, f storage.TagFilter) ([]storage.Series, error)
	// Fields returns the fields of a measurement sorted by name, and none
	// for a measurement without fields.
	Fields(db, rp, measurement string) ([]storage.FieldInfo, error)
	// Partitions returns the time ranges of the data partitions of a
	// retention policy in time order: every stored time lies in one.
	Partitions(db, rp string) ([]storage.PartitionInfo, error)
	// NewCursor returns an unpositioned cursor over field values.
	NewCursor() Cursor
}

// Cursor reads the values of one series field in a time range, in
// ascending time order, a batch at a time. *storage.Cursor satisfies it.
type Cursor interface {
	// Seek positions the cursor before the values of the field of the
	// series with times in [minT, maxT].
	Seek(db, rp string, series uint64, field uint32, minT, maxT int64) error
	// Next advances to the next non-empty batch and reports whether there
	// is one.
	Next() bool
	// Columns returns the current batch, valid until the next Next or Seek.
	Columns() *chunk.Columns
	// Last returns the newest value of the field of the series with a
	// time in [minT, maxT] and its time, ok false when there is none. It
	// reads backwards and stops at that value. It leaves the cursor
	// unpositioned.
	Last(db, rp string, series uint64, field uint32, minT, maxT int64) (t int64, v model.FieldValue, ok bool, err error)
	// Err returns the error that stopped Next.
	Err() error
	// Close releases the cursor.
	Close() error
}

// StoreSnapshot is the Snapshot of a [Store]: the store's series index and
// one storage.Reader for the data. Close it when the statement is done.
type StoreSnapshot struct {
	store Store
	r     *storage.Reader
}

// NewSnapshot opens a snapshot of s.
func NewSnapshot(s Store) (*StoreSnapshot, error) {
	r, err := s.NewReader()
	if err != nil {
		return nil, err
	}
	return &StoreSnapshot{store: s, r: r}, nil
}

// Close releases the view of the data.
func (s *StoreSnapshot) Close() error { return s.r.Close() }

// Measurements implements Snapshot.
func (s *StoreSnapshot) Measurements(db, rp string) ([]string, error) {
	return s.store.Measurements(db, rp)
}

// Series implements Snapshot.
func (s *StoreSnapshot) Series(db, rp, measurement string, f storage.TagFilter) ([]storage.Series, error) {
	return s.store.Series(db, rp, measurement, f)
}

// Fields implements Snapshot.
func (s *StoreSnapshot) Fields(db, rp, measurement string) ([]storage.FieldInfo, error) {
	return s.store.FieldKeys(db, rp, measurement)
}

// Partitions implements Snapshot.
func (s *StoreSnapshot) Partitions(db, rp string) ([]storage.PartitionInfo, error) {
	return s.store.Partitions(db, rp)
}

// NewCursor implements Snapshot.
func (s *StoreSnapshot) NewCursor() Cursor { return s.r.NewCursor() }
