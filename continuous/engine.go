package continuous

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/storage"
)

// Options configure an Engine. A nil *Options or a zero field means the
// default.
type Options struct {
	// Logger receives refresh failures and lifecycle messages. The default
	// discards them.
	Logger *slog.Logger
	// Clock returns the current time: the age of source data against its
	// retention, and the time Query and RefreshRange refresh at. The
	// default is time.Now.
	Clock func() time.Time
	// SourceRetention, when not nil, returns how long the points of a
	// measurement are kept (0: as long as its retention policy keeps them)
	// by retention rules of its own; the retention package's
	// Enforcer.Duration fits. Buckets older than the shortest retention of
	// their source are frozen: deletes there are retention and leave them
	// as they are. It must be safe for concurrent use and may not change
	// data (it is called by the storage observer).
	SourceRetention func(database, rp, measurement string) time.Duration
	// MaxBatchBuckets bounds the (group, bucket) pairs one refresh batch
	// computes and commits, and so the memory of a refresh: catching up
	// after downtime or recomputing a large range proceeds in batches of
	// this size, each committed on its own. The default is 50000.
	MaxBatchBuckets int
	// TargetOwner, when not nil, names what else writes a measurement
	// ("" when nothing does): an aggregate whose target it names is
	// rejected, so that two engines never write one measurement. The
	// downsample engine's TargetOwner fits. It must be safe for concurrent
	// use and must not call back into this engine.
	TargetOwner func(database, rp, measurement string) string
}

// DefaultOptions returns the defaults every zero field of Options means.
func DefaultOptions() *Options {
	return &Options{
		Logger:          slog.New(slog.DiscardHandler),
		Clock:           time.Now,
		MaxBatchBuckets: 50000,
	}
}

func (o *Options) withDefaults() *Options {
	d := DefaultOptions()
	if o == nil {
		return d
	}
	c := *o
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	if c.MaxBatchBuckets <= 0 {
		c.MaxBatchBuckets = d.MaxBatchBuckets
	}
	return &c
}

// Engine runs the continuous aggregates of one storage database: the
// registry of definitions, the dirty-bucket tracking on the write path and
// the refreshes that materialize buckets. All methods are safe for
// concurrent use.
type Engine struct {
	// Set by Open, never changed.
	db       *storage.DB
	log      *slog.Logger
	clock    func() time.Time
	maxBatch int
	srcRet   func(database, rp, measurement string) time.Duration
	owner    func(database, rp, measurement string) string

	// drop is what the last drop the observer accepted forgot of the
	// aggregates in memory, until the next change: observers see changes
	// one at a time under the storage's write lock, and an aborted change
	// is reported before the next one starts.
	drop struct {
		sync.Mutex
		c    *storage.Change
		undo []dropUndo
	}

	// cat is the current registry, replaced (under regMu) on every change.
	cat atomic.Pointer[catalog]
	// seq numbers dirty markers; it starts above every stored one.
	seq atomic.Uint64
	// kick wakes schedulers when work appears (registration, enable,
	// backfill).
	kick chan struct{}

	// regMu serializes registry changes. Lock order: regMu, agg.refresh,
	// agg.mu. The storage write lock is taken inside all of them (commits)
	// and the observer takes none of them.
	regMu  sync.Mutex
	closed atomic.Bool
}

// record is the stored form of a definition.
type record struct {
	ID         uint32     `json:"id"`
	Definition Definition `json:"definition"`
}

// Open loads the aggregates stored in db and starts tracking the buckets
// writes and deletes dirty. Only one Engine may be opened per storage DB.
func Open(db *storage.DB, opts *Options) (*Engine, error) {
	o := opts.withDefaults()
	e := &Engine{db: db, log: o.Logger, clock: o.Clock, maxBatch: o.MaxBatchBuckets, srcRet: o.SourceRetention, owner: o.TargetOwner,
		kick: make(chan struct{}, 1)}
	var aggs []*agg
	err := db.IterMeta(namespace, []byte{keyDefinition}, func(k, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: definition %q: %v", ErrCorrupt, k[1:], err)
		}
		n, err := r.Definition.normalized()
		if err != nil {
			return fmt.Errorf("%w: stored definition: %v", ErrCorrupt, err)
		}
		a, err := compile(r.ID, n)
		if err != nil {
			return fmt.Errorf("%w: stored definition: %v", ErrCorrupt, err)
		}
		aggs = append(aggs, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var maxSeq uint64
	for _, a := range aggs {
		v, ok, err := db.GetMeta(namespace, watermarkKey(a.id))
		if err != nil {
			return nil, err
		}
		if ok {
			w, r, good := readSpan(v)
			if !good {
				return nil, fmt.Errorf("%w: watermark of %q: %x", ErrCorrupt, a.def.Name, v)
			}
			a.setWatermark(w, r)
		}
		for _, kind := range []byte{keyMarker, keyRange, keyAllRange} {
			err := db.IterMeta(namespace, appendID(nil, kind, a.id), func(k, _ []byte) error {
				a.work.Store(true)
				if len(k) >= 8 {
					maxSeq = max(maxSeq, seqOf(k))
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	e.seq.Store(maxSeq)
	cat, err := buildCatalog(aggs, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: stored definitions: %v", ErrCorrupt, err)
	}
	e.updateRetention(cat)
	e.cat.Store(cat)
	db.AddObserver(observer{e})
	return e, nil
}

// Close stops the engine: later calls fail with ErrClosed and writes are no
// longer tracked. It does not close the storage DB. Close does not wait for
// running refreshes; stop schedulers first.
func (e *Engine) Close() error {
	e.closed.Store(true)
	return nil
}

// updateRetention refreshes how long the source data of each aggregate is
// kept.
func (e *Engine) updateRetention(cat *catalog) {
	for _, a := range cat.byName {
		e.updateRetentionOf(a, cat)
	}
}

// updateRetentionOf refreshes how long a's source data is kept: the lower
// level's Retention for an aggregate of an aggregate, else the source
// retention policy's duration.
func (e *Engine) updateRetentionOf(a *agg, cat *catalog) {
	var r int64
	if b := cat.lower[a]; b != nil && b.lower.def.Retention > 0 {
		r = int64(b.lower.def.Retention)
	} else if info, err := e.db.Database(a.src.db); err == nil {
		for _, p := range info.RetentionPolicies {
			if p.Name == a.src.rp {
				r = int64(p.Duration)
			}
		}
	}
	a.srcRetention.Store(r)
}

// lookup returns the registered aggregate name.
func (e *Engine) lookup(name string) (*agg, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	a := e.cat.Load().byName[name]
	if a == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return a, nil
}

// Register validates def and adds it. It fails with an error wrapping
// ErrExists when the name is taken and ErrInvalid (naming the aggregate and
// what is wrong) for a bad definition. The first refresh materializes the
// source's whole history; later ones what changed and what closed.
func (e *Engine) Register(def Definition) error {
	if e.closed.Load() {
		return ErrClosed
	}
	n, err := def.normalized()
	if err != nil {
		return err
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	if e.cat.Load().byName[n.Name] != nil {
		return fmt.Errorf("%w: %q", ErrExists, n.Name)
	}
	return e.register(n)
}

// Put registers def, or updates the aggregate of that name. An update that
// changes only Enabled, Every, For, Lag or Query keeps what is
// materialized; any other change deletes the target's data and partial
// states and materializes the new definition from scratch. It reports
// whether the aggregate was created. The configuration file is applied with
// Put at start.
func (e *Engine) Put(def Definition) (created bool, err error) {
	if e.closed.Load() {
		return false, ErrClosed
	}
	n, err := def.normalized()
	if err != nil {
		return false, err
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	old := e.cat.Load().byName[n.Name]
	if old == nil {
		return true, e.register(n)
	}
	resolved, err := e.resolve(n)
	if err != nil {
		return false, err
	}
	if sameSubstance(old.def, resolved) {
		return false, e.updateFlags(old, resolved)
	}
	if err := e.unregister(old); err != nil {
		return false, err
	}
	if err := e.db.DeleteSeries(old.tgt.db, old.tgt.rp, old.tgt.m, nil, math.MinInt64, math.MaxInt64); err != nil &&
		!errors.Is(err, storage.ErrDatabaseNotFound) && !errors.Is(err, storage.ErrRetentionPolicyNotFound) {
		return false, fmt.Errorf("cannot delete the target of %q: %w", n.Name, err)
	}
	return false, e.register(n)
}

// resolve checks the database and retention policies of a normalized
// definition and fills in the default retention policy.
func (e *Engine) resolve(n Definition) (Definition, error) {
	info, err := e.db.Database(n.Database)
	if err != nil {
		return n, invalid(n.Name, "database %q not found", n.Database)
	}
	has := func(rp string) bool {
		for _, p := range info.RetentionPolicies {
			if p.Name == rp {
				return true
			}
		}
		return false
	}
	if n.RetentionPolicy == "" {
		for _, p := range info.RetentionPolicies {
			if p.Default {
				n.RetentionPolicy = p.Name
			}
		}
		if n.RetentionPolicy == "" {
			return n, invalid(n.Name, "database %q has no default retention policy", n.Database)
		}
	} else if !has(n.RetentionPolicy) {
		return n, invalid(n.Name, "retention policy %q not found in database %q", n.RetentionPolicy, n.Database)
	}
	if n.TargetRetentionPolicy == "" || n.TargetRetentionPolicy == n.RetentionPolicy {
		n.TargetRetentionPolicy = ""
	} else if !has(n.TargetRetentionPolicy) {
		return n, invalid(n.Name, "target retention policy %q not found in database %q", n.TargetRetentionPolicy, n.Database)
	}
	if n.Source == n.Target && n.TargetRetentionPolicy == "" {
		return n, invalid(n.Name, "target %q is the source", n.Target)
	}
	return n, nil
}

// register adds a normalized definition. The caller holds regMu.
func (e *Engine) register(n Definition) error {
	n, err := e.resolve(n)
	if err != nil {
		return err
	}
	if e.owner != nil {
		rp := n.TargetRetentionPolicy
		if rp == "" {
			rp = n.RetentionPolicy
		}
		if o := e.owner(n.Database, rp, n.Target); o != "" {
			return invalid(n.Name, "target %q is already written by %s", n.Target, o)
		}
	}
	next := uint32(1)
	if v, ok, err := e.db.GetMeta(namespace, []byte{keyNextID}); err != nil {
		return err
	} else if ok && len(v) == 4 {
		next = binary.BigEndian.Uint32(v)
	}
	a, err := compile(next, n)
	if err != nil {
		return err
	}
	cat, err := buildCatalog(append(e.cat.Load().without(""), a), a)
	if err != nil {
		return err
	}
	if err := e.checkTypes(a, cat); err != nil {
		return err
	}
	rec, err := json.Marshal(record{ID: a.id, Definition: n})
	if err != nil {
		return err
	}
	b := e.db.NewBatch()
	_ = b.SetMeta(namespace, []byte{keyNextID}, binary.BigEndian.AppendUint32(nil, next+1))
	_ = b.SetMeta(namespace, definitionKey(n.Name), rec)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("cannot register %q: %w", n.Name, err)
	}
	e.updateRetention(cat)
	e.cat.Store(cat)
	e.wake()
	return nil
}

// checkTypes rejects functions that do not accept the type of a source
// field already stored.
func (e *Engine) checkTypes(a *agg, cat *catalog) error {
	fields, err := e.db.FieldKeys(a.src.db, a.src.rp, a.src.m)
	if err != nil {
		return nil
	}
	b := cat.lower[a]
	for i, o := range a.outputs {
		if b != nil && b.merge[i] >= 0 {
			continue
		}
		for _, f := range fields {
			if f.Name == o.input && !o.fn.Accepts(f.Type) {
				return invalid(a.def.Name, "function %s does not accept field %q of type %s", o.fn, o.input, f.Type)
			}
		}
	}
	return nil
}

// updateFlags stores the settings of def that do not change what is
// computed. The caller holds regMu.
func (e *Engine) updateFlags(a *agg, def Definition) error {
	rec, err := json.Marshal(record{ID: a.id, Definition: def})
	if err != nil {
		return err
	}
	b := e.db.NewBatch()
	_ = b.SetMeta(namespace, definitionKey(def.Name), rec)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("cannot update %q: %w", def.Name, err)
	}
	a.setCurrent(def)
	e.wake()
	return nil
}

// Unregister removes an aggregate with its partial states, dirty markers
// and watermark. The target's data stays (as with InfluxQL's DROP
// CONTINUOUS QUERY). It waits for a running refresh of the aggregate.
func (e *Engine) Unregister(name string) error {
	a, err := e.lookup(name)
	if err != nil {
		return err
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	if e.cat.Load().byName[name] != a {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return e.unregister(a)
}

// unregister removes a. The caller holds regMu.
func (e *Engine) unregister(a *agg) error {
	cat := e.cat.Load()
	a.refresh.Lock()
	defer a.refresh.Unlock()
	b := e.db.NewBatch()
	_ = b.DeleteMeta(namespace, definitionKey(a.def.Name))
	_ = b.DeleteMeta(namespace, watermarkKey(a.id))
	for _, kind := range []byte{keyMarker, keyRange, keyAllRange, keyState} {
		_ = b.DeleteMetaPrefix(namespace, appendID(nil, kind, a.id))
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("cannot unregister %q: %w", a.def.Name, err)
	}
	a.mu.Lock()
	a.mu.dropped = true
	a.mu.Unlock()
	next, err := buildCatalog(cat.without(a.def.Name), nil)
	if err != nil {
		panic("BUG: removing an aggregate broke the catalog: " + err.Error())
	}
	e.updateRetention(next)
	e.cat.Store(next)
	return nil
}

// Get returns the definition of an aggregate, or an error wrapping
// ErrNotFound.
func (e *Engine) Get(name string) (Definition, error) {
	a, err := e.lookup(name)
	if err != nil {
		return Definition{}, err
	}
	return a.definition(), nil
}

// definition returns the current definition with its settings.
func (a *agg) definition() Definition {
	d := *a.cur.Load()
	d.GroupBy = slices.Clone(d.GroupBy)
	d.Fields = slices.Clone(d.Fields)
	return d
}

// TargetOwner names the continuous aggregate writing a measurement, or
// returns "" when none does. It fits downsample.Options.TargetOwner.
func (e *Engine) TargetOwner(database, rp, measurement string) string {
	if a := e.cat.Load().byTarget[mkey{database, rp, measurement}]; a != nil {
		return fmt.Sprintf("continuous aggregate %q", a.def.Name)
	}
	return ""
}

// List returns the definitions of all aggregates, sorted by name.
func (e *Engine) List() []Definition {
	if e.closed.Load() {
		return nil
	}
	var out []Definition
	for _, a := range e.cat.Load().order {
		out = append(out, a.definition())
	}
	slices.SortFunc(out, func(x, y Definition) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// Enable lets the scheduler refresh the aggregate again.
func (e *Engine) Enable(name string) error { return e.setEnabled(name, true) }

// Disable stops the scheduler from refreshing the aggregate. Writes keep
// marking its buckets dirty, so enabling it later catches up exactly.
func (e *Engine) Disable(name string) error { return e.setEnabled(name, false) }

func (e *Engine) setEnabled(name string, on bool) error {
	a, err := e.lookup(name)
	if err != nil {
		return err
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	d := a.definition()
	if d.Enabled == on {
		return nil
	}
	d.Enabled = on
	return e.updateFlags(a, d)
}

// Pending returns the enabled aggregates due for a refresh at now: those
// never refreshed and those whose last refresh lies before the latest
// boundary of their Every (default Interval; aligned like the buckets, plus
// Lag) at or before now. They are in dependency order: an aggregate comes
// after the aggregate whose target it reads.
func (e *Engine) Pending(now time.Time) []Definition {
	var out []Definition
	for _, a := range e.pending(now) {
		out = append(out, a.definition())
	}
	return out
}

func (e *Engine) pending(now time.Time) []*agg {
	if e.closed.Load() {
		return nil
	}
	var out []*agg
	for _, a := range e.cat.Load().order {
		if a.due(now) {
			out = append(out, a)
		}
	}
	return out
}

// every returns how often the scheduler refreshes a.
func (a *agg) every() time.Duration {
	if d := a.cur.Load(); d.Every > 0 {
		return time.Duration(d.Every)
	}
	return time.Duration(a.def.Interval)
}

// due reports whether a is enabled and due at now.
func (a *agg) due(now time.Time) bool {
	next, ok := a.nextDue()
	return ok && !now.Before(next)
}

// nextDue returns when a is next due, and false when it is disabled: at
// once when it never ran, else at the first boundary of its Every (aligned
// like its buckets, plus Lag) after its last run.
func (a *agg) nextDue() (time.Time, bool) {
	a.mu.Lock()
	last, dropped := a.mu.lastProcessed, a.mu.dropped
	a.mu.Unlock()
	d := a.cur.Load()
	if !d.Enabled || dropped {
		return time.Time{}, false
	}
	if last.IsZero() {
		return time.Time{}, true
	}
	ev, lag := int64(a.every()), int64(d.Lag)
	t := last.UnixNano() - lag - a.offset
	q := t / ev
	if t%ev < 0 {
		q--
	}
	return time.Unix(0, (q+1)*ev+a.offset+lag), true
}

// MarkProcessed records t as the time the aggregate was last processed,
// which Pending compares with Every. Refresh calls it; it does not move the
// watermark, which only a refresh advances.
func (e *Engine) MarkProcessed(name string, t time.Time) error {
	a, err := e.lookup(name)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.mu.lastProcessed = t
	a.mu.Unlock()
	return nil
}

// wake tells schedulers that work may have appeared.
func (e *Engine) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// sourceFields returns the fields of a's source, by name.
func (e *Engine) sourceFields(a *agg) (map[string]storage.FieldInfo, error) {
	fields, err := e.db.FieldKeys(a.src.db, a.src.rp, a.src.m)
	if err != nil {
		return nil, err
	}
	out := make(map[string]storage.FieldInfo, len(fields))
	for _, f := range fields {
		out[f.Name] = f
	}
	return out, nil
}

// checkField checks that an output reading a raw field accepts its type.
func (a *agg) checkField(o output, f storage.FieldInfo) error {
	if !o.fn.Accepts(f.Type) {
		return invalid(a.def.Name, "function %s does not accept field %q of type %s", o.fn, o.input, f.Type)
	}
	return nil
}
