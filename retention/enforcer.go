package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/storage"
)

// Namespace is the storage metadata namespace of retention definitions.
const Namespace = "retention"

// defPrefix prefixes the metadata key of a definition: "def/" + name.
const defPrefix = "def/"

// DefaultInterval is the default period of Enforcer.Run.
const DefaultInterval = time.Minute

// Options configure an Enforcer. A nil *Options or a zero field means the
// default.
type Options struct {
	// Interval is the period of Run. The default is DefaultInterval (1m).
	Interval time.Duration
	// Clock gives the time of write checks and of Run's enforcements. The
	// default is time.Now.
	Clock func() time.Time
	// Logger receives every removal and enforcement error. The default
	// discards them.
	Logger *slog.Logger
	// Exempt, when not nil, exempts writes to a measurement from the
	// retention check: writes to it are never rejected (enforcement still
	// removes its old points). Wire continuous-aggregate targets here, whose
	// refreshes write buckets starting before a cutoff. It is called under
	// the storage's write lock and must be quick and not call the storage.
	Exempt func(database, rp, measurement string) bool
	// Guard, when not nil, is asked before a definition deletes points of
	// a measurement; an error stops that deletion and becomes the
	// definition's LastError. Wire the sources of continuous aggregates
	// here as long as the aggregate engine recomputes (and so loses)
	// materialized buckets whose source points are deleted.
	Guard func(database, rp, measurement string) error
}

// Status is what enforcement did for one definition.
type Status struct {
	// LastRun is the time of the last enforcement, zero before the first.
	LastRun time.Time `json:"last_run,omitzero"`
	// LastCutoff is the cutoff of the last enforcement.
	LastCutoff time.Time `json:"last_cutoff,omitzero"`
	// PointsRemoved counts the points removed since start.
	PointsRemoved int64 `json:"points_removed"`
	// LastError is the error of the last enforcement, "" when it succeeded.
	LastError string `json:"last_error,omitempty"`
}

// Removal is what one retention removed in one enforcement.
type Removal struct {
	Database, RetentionPolicy string
	// Measurement is the measurement whose points were range-deleted, ""
	// for the whole partitions of a retention policy.
	Measurement string
	// Definition names the per-measurement retention, "" for a policy's.
	Definition string
	Cutoff     time.Time
	// Partitions counts the whole partitions dropped (policies only) and
	// Points the points range-deleted. Points of dropped partitions are not
	// counted: dropping them reads nothing.
	Partitions int
	Points     int64
}

// Report is the result of one enforcement.
type Report struct {
	Time     time.Time
	Removals []Removal
	// Errors are the failures of single retentions; the others still ran.
	Errors []error
}

// Counter is a metric of removed data per database, policy and measurement
// ("" for partitions of a policy).
type Counter struct {
	Database, RetentionPolicy, Measurement string
	Points                                 int64
	Partitions                             int64
}

// Metrics are the enforcement totals since start.
type Metrics struct {
	Runs, Errors int64
	Removed      []Counter // sorted by database, policy, measurement
}

// Enforcer stores per-measurement retentions and enforces them and the
// storage's retention policies. Create it with Open.
type Enforcer struct {
	// Set by Open, never changed.
	db       *storage.DB
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	exempt   func(database, rp, measurement string) bool
	guard    func(database, rp, measurement string) error

	// defs is the current set of definitions by name, replaced whole
	// (copy on write) holding mu; the write observer reads it lock-free.
	defs atomic.Pointer[map[string]Definition]

	// run serializes enforcements.
	run sync.Mutex

	mu struct {
		sync.Mutex
		// status per definition name.
		status map[string]*Status
		// removed totals per counter key.
		removed      map[[3]string]*Counter
		runs, errors int64
	}
}

// Open loads the stored definitions of db and adds the Enforcer as an
// observer rejecting writes older than their retention. Call Run (or
// EnforceOnce) to enforce.
func Open(db *storage.DB, opts *Options) (*Enforcer, error) {
	e := &Enforcer{db: db}
	if opts != nil {
		e.log, e.now, e.interval, e.exempt, e.guard = opts.Logger, opts.Clock, opts.Interval, opts.Exempt, opts.Guard
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.interval <= 0 {
		e.interval = DefaultInterval
	}
	e.mu.status = map[string]*Status{}
	e.mu.removed = map[[3]string]*Counter{}
	defs := map[string]Definition{}
	err := db.IterMeta(Namespace, []byte(defPrefix), func(k, v []byte) error {
		var d Definition
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("%w: retention %q: %v", storage.ErrCorrupt, k[len(defPrefix):], err)
		}
		defs[d.Name] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot load retentions: %w", err)
	}
	e.defs.Store(&defs)
	db.AddObserver(observer{e})
	return e, nil
}

// Create stores a new definition. It fails with ErrInvalid for an invalid
// one or an unknown database or retention policy, and with ErrExists when
// the name is taken.
func (e *Enforcer) Create(def Definition) error {
	_, err := e.put(def, false)
	return err
}

// Put creates def or replaces the definition of the same name, and reports
// whether anything changed. The configuration file uses it at start.
func (e *Enforcer) Put(def Definition) (changed bool, err error) {
	return e.put(def, true)
}

func (e *Enforcer) put(def Definition, replace bool) (bool, error) {
	if err := def.Validate(); err != nil {
		return false, err
	}
	if _, err := e.db.Database(def.Database); err != nil {
		return false, fmt.Errorf("%w %q: unknown database %q", ErrInvalid, def.Name, def.Database)
	}
	if def.RetentionPolicy != "" {
		if _, err := e.db.RetentionPolicyID(def.Database, def.RetentionPolicy); err != nil {
			return false, fmt.Errorf("%w %q: unknown retention policy %q of database %q", ErrInvalid, def.Name, def.RetentionPolicy, def.Database)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, ok := (*e.defs.Load())[def.Name]
	if ok && !replace {
		return false, fmt.Errorf("%w: %q", ErrExists, def.Name)
	}
	if ok && old == def {
		return false, nil
	}
	v, err := json.Marshal(def)
	if err != nil {
		return false, fmt.Errorf("BUG: cannot encode retention: %w", err)
	}
	if err := e.commitMeta(func(b *storage.Batch) error {
		return b.SetMeta(Namespace, []byte(defPrefix+def.Name), v)
	}); err != nil {
		return false, err
	}
	defs := maps.Clone(*e.defs.Load())
	defs[def.Name] = def
	e.defs.Store(&defs)
	if ok {
		delete(e.mu.status, def.Name) // a changed definition starts afresh
	}
	return true, nil
}

// commitMeta commits a metadata-only batch.
func (e *Enforcer) commitMeta(fn func(*storage.Batch) error) error {
	b := e.db.NewBatch()
	if err := fn(b); err != nil {
		b.Discard()
		return err
	}
	return b.Commit()
}

// Delete removes a definition; the data it kept stays.
func (e *Enforcer) Delete(name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := (*e.defs.Load())[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err := e.commitMeta(func(b *storage.Batch) error {
		return b.DeleteMeta(Namespace, []byte(defPrefix+name))
	}); err != nil {
		return err
	}
	defs := maps.Clone(*e.defs.Load())
	delete(defs, name)
	e.defs.Store(&defs)
	delete(e.mu.status, name)
	return nil
}

// Get returns a definition.
func (e *Enforcer) Get(name string) (Definition, error) {
	d, ok := (*e.defs.Load())[name]
	if !ok {
		return Definition{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return d, nil
}

// List returns the definitions sorted by name.
func (e *Enforcer) List() []Definition {
	defs := *e.defs.Load()
	out := make([]Definition, 0, len(defs))
	for _, n := range slices.Sorted(maps.Keys(defs)) {
		out = append(out, defs[n])
	}
	return out
}

// Duration returns the shortest duration of the definitions keeping a
// measurement of retention policy rp (resolved, never ""), 0 when none
// does. It reads no storage state but the catalog, so a storage observer
// may call it.
func (e *Enforcer) Duration(database, rp, measurement string) time.Duration {
	var out time.Duration
	isDefault := false
	checked := false
	for _, d := range *e.defs.Load() {
		if d.Database != database || d.Measurement != measurement {
			continue
		}
		if d.RetentionPolicy == "" && !checked {
			checked = true
			if def, err := e.resolveRP(database, ""); err == nil {
				isDefault = def == rp
			}
		}
		if d.RetentionPolicy == rp || d.RetentionPolicy == "" && isDefault {
			if out == 0 || time.Duration(d.Duration) < out {
				out = time.Duration(d.Duration)
			}
		}
	}
	return out
}

// Status returns what enforcement did for a definition.
func (e *Enforcer) Status(name string) (Status, error) {
	if _, err := e.Get(name); err != nil {
		return Status{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.mu.status[name]; st != nil {
		return *st, nil
	}
	return Status{}, nil
}

// Metrics returns the enforcement totals since start.
func (e *Enforcer) Metrics() Metrics {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := Metrics{Runs: e.mu.runs, Errors: e.mu.errors}
	for _, k := range slices.SortedFunc(maps.Keys(e.mu.removed), func(a, b [3]string) int {
		return slices.Compare(a[:], b[:])
	}) {
		m.Removed = append(m.Removed, *e.mu.removed[k])
	}
	return m
}

// Run enforces every Interval, starting one Interval after the call, until
// ctx is done. Failures are logged and counted; they do not stop Run.
func (e *Enforcer) Run(ctx context.Context) {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.EnforceOnce(ctx, e.now()); err != nil && ctx.Err() == nil {
			e.log.Error("retention enforcement failed", "err", err)
		}
	}
}

// EnforceOnce removes, as of now, every point older than the cutoff of a
// retention policy or definition, and reports what it removed. A failing
// retention does not stop the others: its error is in Report.Errors and
// the returned error joins them.
func (e *Enforcer) EnforceOnce(ctx context.Context, now time.Time) (Report, error) {
	e.run.Lock()
	defer e.run.Unlock()
	rep := Report{Time: now}
	fail := func(err error) { rep.Errors = append(rep.Errors, err) }
	for _, d := range e.db.Databases() {
		for _, p := range d.RetentionPolicies {
			if p.Duration <= 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if err := e.enforcePolicy(&rep, d.Name, p, now); err != nil {
				fail(fmt.Errorf("retention policy %q.%q: %w", d.Name, p.Name, err))
			}
		}
	}
	for _, def := range e.List() {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := e.enforceDefinition(&rep, def, now)
		if err != nil {
			fail(fmt.Errorf("retention %q: %w", def.Name, err))
		}
		e.mu.Lock()
		if _, ok := (*e.defs.Load())[def.Name]; ok {
			st := e.mu.status[def.Name]
			if st == nil {
				st = &Status{}
				e.mu.status[def.Name] = st
			}
			st.LastRun, st.LastCutoff = now, now.Add(-time.Duration(def.Duration))
			st.LastError = ""
			if err != nil {
				st.LastError = err.Error()
			}
		}
		e.mu.Unlock()
	}
	e.mu.Lock()
	e.mu.runs++
	e.mu.errors += int64(len(rep.Errors))
	e.mu.Unlock()
	for _, err := range rep.Errors {
		e.log.Error("retention enforcement failed", "err", err)
	}
	return rep, errors.Join(rep.Errors...)
}

// enforcePolicy drops the partitions of a policy ending before its cutoff
// and deletes the older points of the partition straddling it.
func (e *Enforcer) enforcePolicy(rep *Report, database string, p storage.RetentionPolicy, now time.Time) error {
	cutoff := now.Add(-p.Duration)
	c := cutoff.UnixNano()
	dropped, err := e.db.DropPartitionsBefore(database, p.Name, c)
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		rm := Removal{Database: database, RetentionPolicy: p.Name, Cutoff: cutoff, Partitions: len(dropped)}
		e.record(rep, rm)
		e.log.Info("retention dropped partitions", "database", database, "retention_policy", p.Name,
			"cutoff", cutoff, "partitions", len(dropped),
			"from", time.Unix(0, dropped[0].Start).UTC(), "to", time.Unix(0, dropped[len(dropped)-1].Last).UTC())
	}
	parts, err := e.db.Partitions(database, p.Name)
	if err != nil {
		return err
	}
	if len(parts) == 0 || parts[0].Start >= c {
		return nil // nothing straddles the cutoff
	}
	ms, err := e.db.Measurements(database, p.Name)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := e.deleteBefore(rep, database, p.Name, m, "", cutoff); err != nil {
			return err
		}
	}
	return nil
}

// enforceDefinition deletes the points of a definition's measurement older
// than its cutoff.
func (e *Enforcer) enforceDefinition(rep *Report, def Definition, now time.Time) error {
	rp, err := e.resolveRP(def.Database, def.RetentionPolicy)
	if err != nil {
		return err
	}
	if e.guard != nil {
		if err := e.guard(def.Database, rp, def.Measurement); err != nil {
			return err
		}
	}
	return e.deleteBefore(rep, def.Database, rp, def.Measurement, def.Name, now.Add(-time.Duration(def.Duration)))
}

// resolveRP returns the name of policy rp of a database, the default
// policy's when rp is "".
func (e *Enforcer) resolveRP(database, rp string) (string, error) {
	if rp != "" {
		return rp, nil
	}
	info, err := e.db.Database(database)
	if err != nil {
		return "", err
	}
	for _, p := range info.RetentionPolicies {
		if p.Default {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("%w: database %q has no default retention policy", storage.ErrRetentionPolicyNotFound, database)
}

// deleteBefore deletes the points of a measurement older than cutoff, when
// there are any, and records them.
func (e *Enforcer) deleteBefore(rep *Report, database, rp, measurement, def string, cutoff time.Time) error {
	c := cutoff.UnixNano()
	n, err := e.countPoints(database, rp, measurement, c-1)
	if err != nil || n == 0 {
		return err
	}
	if err := e.db.DeleteSeries(database, rp, measurement, nil, math.MinInt64, c-1); err != nil {
		return err
	}
	e.record(rep, Removal{Database: database, RetentionPolicy: rp, Measurement: measurement, Definition: def,
		Cutoff: cutoff, Points: n})
	e.log.Info("retention deleted points", "database", database, "retention_policy", rp,
		"measurement", measurement, "retention", def, "cutoff", cutoff, "points", n)
	return nil
}

// countPoints counts the points (distinct series and times) of a
// measurement with times up to maxT.
func (e *Enforcer) countPoints(database, rp, measurement string, maxT int64) (int64, error) {
	series, err := e.db.Series(database, rp, measurement, nil)
	if err != nil || len(series) == 0 {
		return 0, err
	}
	fields, err := e.db.FieldKeys(database, rp, measurement)
	if err != nil {
		return 0, err
	}
	r, err := e.db.NewReader()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cur := r.NewCursor()
	defer cur.Close()
	var n int64
	times := map[int64]struct{}{}
	for _, s := range series {
		clear(times)
		for _, f := range fields {
			if err := cur.Seek(database, rp, s.ID, f.ID, math.MinInt64, maxT); err != nil {
				return 0, err
			}
			for cur.Next() {
				for _, t := range cur.Columns().Times {
					times[t] = struct{}{}
				}
			}
			if err := cur.Err(); err != nil {
				return 0, err
			}
		}
		n += int64(len(times))
	}
	return n, nil
}

// record adds a removal to the report, the metrics and the definition's
// status.
func (e *Enforcer) record(rep *Report, rm Removal) {
	rep.Removals = append(rep.Removals, rm)
	e.mu.Lock()
	defer e.mu.Unlock()
	k := [3]string{rm.Database, rm.RetentionPolicy, rm.Measurement}
	c := e.mu.removed[k]
	if c == nil {
		c = &Counter{Database: rm.Database, RetentionPolicy: rm.RetentionPolicy, Measurement: rm.Measurement}
		e.mu.removed[k] = c
	}
	c.Points += rm.Points
	c.Partitions += int64(rm.Partitions)
	if rm.Definition != "" {
		st := e.mu.status[rm.Definition]
		if st == nil {
			st = &Status{}
			e.mu.status[rm.Definition] = st
		}
		st.PointsRemoved += rm.Points
	}
}
