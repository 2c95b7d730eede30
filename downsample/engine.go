package downsample

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/storage"
)

// DefaultMaxOpenBuckets is the default of Options.MaxOpenBuckets.
const DefaultMaxOpenBuckets = 1 << 20

// Options configure an Engine. A nil *Options or a zero field means the
// default.
type Options struct {
	// Clock gives the time that closes buckets. The default is time.Now.
	Clock func() time.Time
	// Logger receives flush errors. The default discards them.
	Logger *slog.Logger
	// MaxOpenBuckets bounds the open buckets a config reading raw data
	// holds in memory. A point that would open one more bucket is not held
	// in memory: its bucket is marked (in the point's own batch) and
	// re-aggregated from the stored raw data when it closes. Such points
	// are counted in Status.Overflowed. The default is
	// DefaultMaxOpenBuckets (1 Mi) per config.
	MaxOpenBuckets int
	// SourceRetention, when not nil, tells how long a source measurement
	// is kept by retention outside the engine (a retention policy or a
	// per-measurement retention); deleting source points older than that
	// does not change downsampled buckets. It is called under the storage's
	// write lock and must be quick and not call the storage.
	SourceRetention func(database, rp, measurement string) time.Duration
	// TargetOwner, when not nil, names what else writes a measurement
	// ("" when nothing does): a config whose target it names is rejected,
	// so that two engines never write one measurement. The continuous
	// engine's TargetOwner fits. It must be safe for concurrent use and
	// must not call back into this engine.
	TargetOwner func(database, rp, measurement string) string
}

// DefaultOptions returns the default options.
func DefaultOptions() *Options {
	return &Options{Clock: time.Now, MaxOpenBuckets: DefaultMaxOpenBuckets}
}

// mkey names a measurement of a retention policy.
type mkey struct{ db, rp, m string }

// Engine is the registry of downsample configs and runs them: it observes
// every write of the storage, folds source points into open buckets and
// writes closed buckets to the targets. Create it with Open.
type Engine struct {
	// Set by Open, never changed.
	db      *storage.DB
	log     *slog.Logger
	clock   func() time.Time
	maxOpen int
	owner   func(database, rp, measurement string) string
	srcRet  func(database, rp, measurement string) time.Duration
	wake    chan struct{}

	seed   maphash.Seed  // of hashTags
	seq    atomic.Uint64 // last marker sequence number
	closed atomic.Bool

	// flushMu serializes flushes, registrations and removals, which
	// change the watermarks and the tier links.
	flushMu sync.Mutex

	mu struct {
		sync.Mutex
		// byName holds every config; bySource the configs reading raw data
		// by source measurement; both guarded by mu, as is everything a
		// config keeps in memory (see config).
		byName   map[string]*config
		bySource map[mkey][]*config
		// takes counts the flushes that moved a watermark; observed is
		// its value when the last write was folded (see Aborted).
		takes, observed uint64
	}
}

// record is a config as stored.
type record struct {
	ID uint32 `json:"id"`
	// Start is the first bucket the config downsamples.
	Start  int64  `json:"start"`
	Config Config `json:"config"`
}

// Open loads the configs stored in db, rebuilds their open buckets from
// the stored data and observes db's writes from then on.
func Open(db *storage.DB, opts *Options) (*Engine, error) {
	o := DefaultOptions()
	if opts != nil {
		if opts.Clock != nil {
			o.Clock = opts.Clock
		}
		if opts.MaxOpenBuckets > 0 {
			o.MaxOpenBuckets = opts.MaxOpenBuckets
		}
		o.Logger, o.SourceRetention, o.TargetOwner = opts.Logger, opts.SourceRetention, opts.TargetOwner
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{db: db, log: o.Logger, clock: o.Clock, maxOpen: o.MaxOpenBuckets, srcRet: o.SourceRetention, owner: o.TargetOwner,
		wake: make(chan struct{}, 1), seed: maphash.MakeSeed()}
	e.mu.byName = map[string]*config{}
	e.mu.bySource = map[mkey][]*config{}

	var recs []record
	err := db.IterMeta(namespace, []byte{keyConfig}, func(_, v []byte) error {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: config record: %v", errCorrupt, err)
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var maxSeq uint64
	for _, kind := range []byte{keyMarker, keyRange} {
		err := db.IterMeta(namespace, []byte{kind}, func(k, _ []byte) error {
			var s uint64
			if kind == keyMarker && len(k) >= 21 {
				s = binary.BigEndian.Uint64(k[13:21])
			} else if kind == keyRange && len(k) == 13 {
				s = binary.BigEndian.Uint64(k[5:])
			}
			maxSeq = max(maxSeq, s)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	e.seq.Store(maxSeq)
	// Lower tiers first.
	pending := recs
	for len(pending) > 0 {
		var next []record
		for _, r := range pending {
			if l := e.lowerOf(r.Config); l == nil && e.isTarget(r.Config.Database, r.Config.RetentionPolicy, r.Config.Source, recs) {
				next = append(next, r)
				continue
			}
			c, err := e.compile(r.ID, r.Config)
			if err != nil {
				return nil, fmt.Errorf("stored downsample %q: %w", r.Config.Name, err)
			}
			w, ok, err := db.GetMeta(namespace, watermarkKey(r.ID))
			if err != nil {
				return nil, err
			}
			if !ok || len(w) != 8 {
				return nil, fmt.Errorf("%w: downsample %q has no watermark", errCorrupt, r.Config.Name)
			}
			c.w, c.start = readTime(w), r.Start
			v, ok, err := db.GetMeta(namespace, backfillKey(r.ID))
			if err != nil {
				return nil, err
			}
			if ok {
				bf, err := decodeBackfill(v)
				if err != nil {
					return nil, fmt.Errorf("downsample %q: %w", r.Config.Name, err)
				}
				c.bf, c.pending = &bf, true
			}
			e.install(c)
		}
		if len(next) == len(pending) {
			return nil, fmt.Errorf("%w: downsample tiers %s read each other", errCorrupt, next[0].Config.Name)
		}
		pending = next
	}
	e.mu.Lock()
	db.AddObserver(observer{e})
	err = e.rebuild(nil)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return e, nil
}

// isTarget reports whether a measurement is the target of one of recs.
func (e *Engine) isTarget(db, rp, m string, recs []record) bool {
	for _, r := range recs {
		if r.Config.Database == db && r.Config.RetentionPolicy == rp && r.Config.Target == m {
			return true
		}
	}
	return false
}

// lowerOf returns the registered config whose target is c's source.
// The caller holds mu or has the engine to itself.
func (e *Engine) lowerOf(c Config) *config {
	for _, l := range e.mu.byName {
		if l.cfg.Database == c.Database && l.cfg.RetentionPolicy == c.RetentionPolicy && l.cfg.Target == c.Source {
			return l
		}
	}
	return nil
}

// install adds a compiled config to the maps. The caller holds mu or has
// the engine to itself.
func (e *Engine) install(c *config) {
	e.mu.byName[c.cfg.Name] = c
	if c.lower != nil {
		c.lower.uppers = append(c.lower.uppers, c)
		return
	}
	k := mkey{c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source}
	e.mu.bySource[k] = append(e.mu.bySource[k], c)
}

// compile links a normalized config to its lower tier and checks the tier.
func (e *Engine) compile(id uint32, cfg Config) (*config, error) {
	c := &config{id: id, cfg: cfg, outs: cfg.outputs(), iv: int64(cfg.Interval), grace: int64(cfg.Grace)}
	c.open = map[uint64]*openSeries{}
	c.marked = map[mark]struct{}{}
	c.redo = map[mark]struct{}{}
	c.retainCut = minTime
	l := e.lowerOf(cfg)
	if l == nil {
		return c, nil
	}
	var errs []string
	if cfg.SourceRetention != 0 {
		errs = append(errs, fmt.Sprintf("source_retention is not allowed: the source %q is the target of downsample %q, whose retention applies", cfg.Source, l.cfg.Name))
	}
	if c.iv%l.iv != 0 {
		errs = append(errs, fmt.Sprintf("interval %s is not a multiple of the interval %s of the lower tier %q", cfg.Interval, l.cfg.Interval, l.cfg.Name))
	}
	c.lowerIdx = make([]int, len(c.outs))
	for i, o := range c.outs {
		j := slices.IndexFunc(l.outs, func(lo output) bool { return lo.name == o.input })
		switch {
		case j < 0:
			errs = append(errs, fmt.Sprintf("field %q is not an output of the lower tier %q (it has %s)", o.input, l.cfg.Name, outputNames(l.outs)))
		case l.outs[j].fn != o.fn:
			errs = append(errs, fmt.Sprintf("field %q: %s cannot be computed exactly from the lower tier's %s; use %s", o.input, o.fn, l.outs[j].fn, l.outs[j].fn))
		}
		c.lowerIdx[i] = j
	}
	if len(errs) > 0 {
		return nil, invalidList(cfg.Name, errs)
	}
	c.lower = l
	return c, nil
}

func outputNames(outs []output) string {
	s := ""
	for i, o := range outs {
		if i > 0 {
			s += ", "
		}
		s += o.name
	}
	return s
}

// Register validates cfg and adds it (each tier of a config with Tiers).
// Errors wrap ErrInvalid (naming the config and what is wrong) or
// ErrExists. A new config's watermark is the bucket holding the current
// time (a tier: its first bucket after the lower tier's watermark): its
// open buckets are built from the source data from there on, and the
// older buckets (the history) are backfilled by the flushes that follow,
// a range of buckets at a time (see Status.Backfill).
func (e *Engine) Register(cfg Config) error {
	_, err := e.put(cfg, false)
	return err
}

// Put creates the configs cfg stands for, or replaces those that changed
// (a replaced config starts again like a new one; its target keeps what it
// has). It reports whether anything changed. It is for configuration files
// applied at every start.
func (e *Engine) Put(cfg Config) (changed bool, err error) {
	return e.put(cfg, true)
}

func (e *Engine) put(cfg Config, replace bool) (bool, error) {
	if e.closed.Load() {
		return false, ErrClosed
	}
	cs, err := cfg.Expand()
	if err != nil {
		return false, err
	}
	norm := make([]Config, len(cs))
	for i, c := range cs {
		if norm[i], err = c.normalized(); err != nil {
			return false, err
		}
		if norm[i].RetentionPolicy, err = e.resolveRP(c); err != nil {
			return false, err
		}
	}
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	// A changed tier takes the tiers above it along: they are registered
	// again over the new one.
	redo := make([]bool, len(norm))
	for i, c := range norm {
		e.mu.Lock()
		old := e.mu.byName[c.Name]
		e.mu.Unlock()
		switch {
		case old == nil:
			redo[i] = true
		case !replace:
			return false, fmt.Errorf("%w: %q", ErrExists, c.Name)
		case !sameConfig(old.cfg, c) || (i > 0 && redo[i-1]):
			redo[i] = true
		}
	}
	for i := len(norm) - 1; i >= 0; i-- {
		if !redo[i] {
			continue
		}
		e.mu.Lock()
		old := e.mu.byName[norm[i].Name]
		e.mu.Unlock()
		if old == nil {
			continue
		}
		if err := e.removeLocked(old); err != nil {
			return false, err
		}
	}
	changed := false
	for i, c := range norm {
		if !redo[i] {
			continue
		}
		if err := e.registerLocked(c); err != nil {
			return changed, err
		}
		changed = true
	}
	e.poke()
	return changed, nil
}

func sameConfig(a, b Config) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// resolveRP checks the database and returns the retention policy's name.
func (e *Engine) resolveRP(c Config) (string, error) {
	info, err := e.db.Database(c.Database)
	if err != nil {
		return "", fmt.Errorf("%w %q: database %q: %v", ErrInvalid, c.Name, c.Database, err)
	}
	for _, p := range info.RetentionPolicies {
		if (c.RetentionPolicy == "" && p.Default) || p.Name == c.RetentionPolicy {
			return p.Name, nil
		}
	}
	if c.RetentionPolicy == "" {
		return "", fmt.Errorf("%w %q: database %q has no default retention policy", ErrInvalid, c.Name, c.Database)
	}
	return "", fmt.Errorf("%w %q: database %q has no retention policy %q", ErrInvalid, c.Name, c.Database, c.RetentionPolicy)
}

// registerLocked adds a normalized config. The caller holds flushMu.
func (e *Engine) registerLocked(cfg Config) error {
	e.mu.Lock()
	var errs []string
	for _, o := range e.mu.byName {
		oc := o.cfg
		if oc.Database != cfg.Database || oc.RetentionPolicy != cfg.RetentionPolicy {
			continue
		}
		if oc.Target == cfg.Target {
			errs = append(errs, fmt.Sprintf("target %q is already written by downsample %q", cfg.Target, oc.Name))
		}
		if oc.Source == cfg.Target && e.lowerOf(oc) == nil {
			errs = append(errs, fmt.Sprintf("target %q is the raw source of downsample %q; register the lower tier first", cfg.Target, oc.Name))
		}
	}
	if e.owner != nil {
		if o := e.owner(cfg.Database, cfg.RetentionPolicy, cfg.Target); o != "" {
			errs = append(errs, fmt.Sprintf("target %q is already written by %s", cfg.Target, o))
		}
	}
	// A cycle: following sources through targets leads back to cfg.
	for m, seen := cfg.Source, 0; seen <= len(e.mu.byName); seen++ {
		if m == cfg.Target {
			errs = append(errs, fmt.Sprintf("tiers would form a cycle through %q", cfg.Target))
			break
		}
		l := e.lowerOf(Config{Database: cfg.Database, RetentionPolicy: cfg.RetentionPolicy, Source: m})
		if l == nil {
			break
		}
		m = l.cfg.Source
	}
	var c *config
	var err error
	if len(errs) == 0 {
		c, err = e.compile(0, cfg)
	}
	e.mu.Unlock()
	if len(errs) > 0 {
		return invalidList(cfg.Name, errs)
	}
	if err != nil {
		return err
	}
	var next uint32 = 1
	v, ok, err := e.db.GetMeta(namespace, []byte{keyNextID})
	if err != nil {
		return err
	}
	if ok && len(v) == 4 {
		next = binary.BigEndian.Uint32(v)
	}
	c.id = next
	if c.lower != nil {
		e.mu.Lock()
		c.w = c.bucketUp(c.lower.w)
		e.mu.Unlock()
	} else {
		c.w = c.bucketOf(e.clock().UnixNano())
	}
	// Every bucket is downsampled: the history before the watermark is
	// backfilled, and writes into it meanwhile leave markers.
	c.start = minTime
	c.bf = &backfill{from: minTime, next: minTime, end: c.w}
	c.pending = true
	rec, err := json.Marshal(record{ID: c.id, Start: c.start, Config: cfg})
	if err != nil {
		return err
	}
	b := e.db.NewBatch()
	defer b.Discard()
	if err := b.SetMeta(namespace, []byte{keyNextID}, binary.BigEndian.AppendUint32(nil, next+1)); err != nil {
		return err
	}
	if err := b.SetMeta(namespace, configKey(cfg.Name), rec); err != nil {
		return err
	}
	if err := b.SetMeta(namespace, watermarkKey(c.id), appendTime(nil, c.w)); err != nil {
		return err
	}
	if err := b.SetMeta(namespace, backfillKey(c.id), c.bf.encode()); err != nil {
		return err
	}
	if err := b.Commit(); err != nil {
		return err
	}
	e.mu.Lock()
	e.install(c)
	e.mu.Unlock()
	// A write that was committing when the config was installed was not
	// seen by the observer: the barrier waits for it to land, and the open
	// buckets are then built from the stored data (dropping what the
	// observer folded meanwhile, which is stored too), so that they hold
	// every write exactly once; the backfill's first snapshot comes later.
	berr := e.barrier()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, head := range c.open {
		for s := head; s != nil; s = s.next {
			s.dead = true
		}
	}
	c.open, c.nOpen, c.bytes = map[uint64]*openSeries{}, 0, 0
	return errors.Join(berr, e.rebuild(c))
}

// barrier commits an empty change: once it returns, every write that was
// committing when it started has landed.
func (e *Engine) barrier() error {
	b := e.db.NewBatch()
	defer b.Discard()
	if err := b.DeleteMeta(namespace, []byte{keyBackfill}); err != nil {
		return err
	}
	return b.Commit()
}

// Remove removes a config (and its markers and partial states); its
// target keeps the points written. A config read by a higher tier cannot
// be removed before it.
func (e *Engine) Remove(name string) error {
	e.flushMu.Lock()
	defer e.flushMu.Unlock()
	e.mu.Lock()
	c := e.mu.byName[name]
	e.mu.Unlock()
	if c == nil {
		return errNotFound(name)
	}
	return e.removeLocked(c)
}

func (e *Engine) removeLocked(c *config) error {
	e.mu.Lock()
	if len(c.uppers) > 0 {
		e.mu.Unlock()
		return fmt.Errorf("%w %q: downsample %q reads its target %q; remove it first", ErrInvalid, c.cfg.Name, c.uppers[0].cfg.Name, c.cfg.Target)
	}
	e.mu.Unlock()
	b := e.db.NewBatch()
	defer b.Discard()
	if err := b.DeleteMeta(namespace, configKey(c.cfg.Name)); err != nil {
		return err
	}
	if err := b.DeleteMeta(namespace, watermarkKey(c.id)); err != nil {
		return err
	}
	if err := b.DeleteMeta(namespace, backfillKey(c.id)); err != nil {
		return err
	}
	for _, kind := range []byte{keyMarker, keyRange, keyState} {
		if err := b.DeleteMetaPrefix(namespace, appendID(nil, kind, c.id)); err != nil {
			return err
		}
	}
	if err := b.Commit(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.mu.byName, c.cfg.Name)
	if l := c.lower; l != nil {
		l.uppers = slices.DeleteFunc(l.uppers, func(u *config) bool { return u == c })
	} else {
		k := mkey{c.cfg.Database, c.cfg.RetentionPolicy, c.cfg.Source}
		e.mu.bySource[k] = slices.DeleteFunc(e.mu.bySource[k], func(o *config) bool { return o == c })
		if len(e.mu.bySource[k]) == 0 {
			delete(e.mu.bySource, k)
		}
	}
	for _, head := range c.open {
		for s := head; s != nil; s = s.next {
			s.dead = true
		}
	}
	c.open, c.nOpen, c.bytes = nil, 0, 0
	return nil
}

// TargetOwner names the downsample config writing a measurement, or
// returns "" when none does. It fits continuous.Options.TargetOwner.
func (e *Engine) TargetOwner(database, rp, measurement string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.mu.byName {
		if c.cfg.Database == database && c.cfg.RetentionPolicy == rp && c.cfg.Target == measurement {
			return fmt.Sprintf("downsample %q", c.cfg.Name)
		}
	}
	return ""
}

// Get returns a registered config.
func (e *Engine) Get(name string) (Config, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.mu.byName[name]
	if c == nil {
		return Config{}, errNotFound(name)
	}
	return c.cfg, nil
}

// List returns the registered configs sorted by name.
func (e *Engine) List() []Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Config, 0, len(e.mu.byName))
	for _, c := range e.mu.byName {
		out = append(out, c.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ForSource returns the configs reading a measurement of a database (raw
// or as a higher tier), sorted by name.
func (e *Engine) ForSource(database, measurement string) []Config {
	var out []Config
	for _, c := range e.List() {
		if c.Database == database && c.Source == measurement {
			out = append(out, c)
		}
	}
	return out
}

// IsTarget reports whether a measurement is the target of a config.
func (e *Engine) IsTarget(database, rp, measurement string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.mu.byName {
		if c.cfg.Database == database && c.cfg.Target == measurement && (rp == "" || c.cfg.RetentionPolicy == rp) {
			return true
		}
	}
	return false
}

// Close writes every open bucket to its target (so that a clean shutdown
// loses nothing) and stops folding writes into memory. Writes after Close
// are still recorded for re-aggregation at the next Open.
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	return e.flushAll(true)
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// errNoData is returned internally for a bucket without values.
var errNoData = errors.New("no data")
