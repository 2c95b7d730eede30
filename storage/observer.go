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
//
// A change can still abort after an observer accepted it: a later
// observer returns an error, or the commit of the batch fails. Whatever
// the observer added to the batch is then gone with it; an observer that
// keeps state in memory implements AbortObserver to undo it.
type Observer interface {
	BeforeCommit(b *Batch, c *Change) error
}

// AbortObserver is an Observer told about changes that abort after its
// BeforeCommit returned nil. Aborted is called with the same Change, still
// under the DB's write lock (the same rules as for BeforeCommit apply),
// before the caller gets the error; observers whose BeforeCommit did not
// run or failed are not called. A change that commits is never Aborted.
type AbortObserver interface {
	Observer
	Aborted(c *Change)
}

// AddObserver adds an observer for all later changes.
func (db *DB) AddObserver(o Observer) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.mu.observers = append(db.mu.observers, o)
}

// observe runs the observers. When one fails, the observers before it are
// told that c aborted. The caller holds db.mu.
func (db *DB) observe(b *Batch, c *Change) error {
	for i, o := range db.mu.observers {
		if err := o.BeforeCommit(b, c); err != nil {
			abortObservers(db.mu.observers[:i], c)
			return err
		}
	}
	return nil
}

// aborted tells every observer that c, which all of them accepted, did not
// commit. The caller holds db.mu.
func (db *DB) aborted(c *Change) { abortObservers(db.mu.observers, c) }

func abortObservers(obs []Observer, c *Change) {
	for _, o := range obs {
		if a, ok := o.(AbortObserver); ok {
			a.Aborted(c)
		}
	}
}
