package storage

import "github.com/accretedb/accrete/model"

// ChangeKind says what a Change did.
type ChangeKind int

// The kinds of changes observers see.
const (
	// ChangeWrite: points were written (Change.Writes).
	ChangeWrite ChangeKind = iota + 1
	// ChangeDelete: the points of Change.Series in [MinTime, MaxTime] were
	// deleted.
	ChangeDelete
	// ChangeDropMeasurement: a measurement with all its series (Change.Series)
	// and fields was dropped.
	ChangeDropMeasurement
	// ChangeDropPartitions: the whole partitions of a retention policy in
	// [MinTime, MaxTime] were dropped (retention).
	ChangeDropPartitions
	// ChangeDropRetentionPolicy: a retention policy was dropped.
	ChangeDropRetentionPolicy
	// ChangeDropDatabase: a database was dropped.
	ChangeDropDatabase
)

// Change describes one atomic change of time-series data, given to
// observers before it commits.
type Change struct {
	Kind ChangeKind
	// Seq is the sequence number of a ChangeWrite batch.
	Seq uint64
	// Writes holds the points of a ChangeWrite, grouped by database and
	// retention policy in the order of the Write calls. RetentionPolicy is
	// always resolved (never empty). Points are the callers' slices: read
	// them, never modify them.
	Writes []WriteSet
	// Database and RetentionPolicy name the target of the other kinds.
	// RetentionPolicy is empty for ChangeDropDatabase.
	Database, RetentionPolicy string
	// Measurement of ChangeDelete and ChangeDropMeasurement.
	Measurement string
	// Series whose data a ChangeDelete or ChangeDropMeasurement removes.
	Series []Series
	// MinTime and MaxTime bound (inclusively) the deleted time range of
	// ChangeDelete and ChangeDropPartitions.
	MinTime, MaxTime int64
}

// WriteSet is the points one batch writes to one retention policy.
type WriteSet struct {
	Database, RetentionPolicy string
	Points                    []model.Point
}

// Observer sees every change of time-series data before it commits and may
// add metadata to the same atomic batch (Batch.SetMeta, Batch.DeleteMeta):
// the continuous-aggregate engine records the buckets a change dirties this
// way, so that data and dirty markers commit together or not at all.
//
// BeforeCommit runs while the DB holds its write lock: it must be quick, it
// must not call methods of the DB that change data (deadlock), and it may
// read with GetMeta, IterMeta and Readers. Returning an error aborts the
// change: nothing of it is written and the caller gets the error.
// Observers run in the order they were added.
type Observer interface {
	BeforeCommit(b *Batch, c *Change) error
}

// AddObserver adds an observer for all later changes.
func (db *DB) AddObserver(o Observer) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.mu.observers = append(db.mu.observers, o)
}

// observe runs the observers. The caller holds db.mu.
func (db *DB) observe(b *Batch, c *Change) error {
	for _, o := range db.mu.observers {
		if err := o.BeforeCommit(b, c); err != nil {
			return err
		}
	}
	return nil
}
