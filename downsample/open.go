package downsample

import (
	"hash/maphash"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/accretedb/accrete/aggregate"
	"github.com/accretedb/accrete/model"
)

// config is a registered Config with what the engine keeps in memory for
// it. cfg, id, outs, iv, grace and lowerIdx never change after compile;
// everything else is guarded by Engine.mu.
type config struct {
	id       uint32
	cfg      Config
	outs     []output
	iv       int64
	grace    int64
	lowerIdx []int // for a tier: per output, the lower tier's output it merges

	start int64 // the first bucket downsampled

	lower  *config   // the tier whose target is the source; nil for raw data
	uppers []*config // the tiers reading the target

	// w is the watermark: every bucket before it has been written (or is
	// being written by the flush that moved it); the buckets from w on are
	// open, held in open.
	w int64
	// open holds the open buckets by a hash of the series' tags (see
	// hashTags), colliding series chained.
	open map[uint64]*openSeries
	// nOpen counts the buckets of open; bytes estimates their memory.
	nOpen int
	bytes int64
	// marked holds the (series, bucket) pairs marked since the last flush
	// took its snapshot, so that a burst of late points writes one marker.
	marked map[mark]struct{}
	// redo holds the closed (series, bucket) pairs the next flush
	// re-aggregates without a marker: buckets a flush took while a change
	// folded into them was still to commit, and that change aborted.
	redo map[mark]struct{}
	// pending is set when a flush left markers for this config (a tier
	// marked by its lower tier, or a failed flush).
	pending bool
	// markGen counts the markers written, so that a flush knows whether
	// one was written after its snapshot.
	markGen uint64

	// bf is the history still to write (nil when none); changed by
	// flushes, under Engine.flushMu and mu.
	bf *backfill

	stats Status

	// retainedFrom and sourceFrom are the last retention cutoffs of the
	// target and the source; guarded by Engine.flushMu.
	retainedFrom, sourceFrom int64
	// retainCut is the cutoff of the retention delete of the target
	// running or done (minTime before the first): the tiers above take
	// deletes before it for retention. Guarded by Engine.mu.
	retainCut int64
}

// mark is a (series, bucket) pair with a marker.
type mark struct {
	series string
	bucket int64
}

// openSeries holds the open buckets of one series, in no particular
// order (there are one or two).
type openSeries struct {
	hash    uint64
	key     string     // the series key (appendSeriesKey)
	tags    model.Tags // owned copy
	next    *openSeries
	buckets []*openBucket
	// dead is set when the series left its config's map.
	dead bool
	// sib caches the same series' entries in the other configs of the
	// source, so that a point looks its series up once for all of them.
	sib []sibling
}

type sibling struct {
	c *config
	s *openSeries
}

// sibling returns the cached open series of c with the same tags, nil
// when none is cached or it left its map.
func (s *openSeries) sibling(c *config) *openSeries {
	for _, x := range s.sib {
		if x.c == c && !x.s.dead {
			return x.s
		}
	}
	return nil
}

func (s *openSeries) setSibling(c *config, o *openSeries) {
	for i := range s.sib {
		if s.sib[i].c == c {
			s.sib[i].s = o
			return
		}
	}
	s.sib = append(s.sib, sibling{c, o})
}

// hashTags hashes a tag set for the open-bucket maps: one hash per point
// serves every config of its source.
func hashTags(seed maphash.Seed, tags model.Tags) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, t := range tags {
		h.WriteString(t.Key)
		h.WriteByte(0)
		h.WriteString(t.Value)
		h.WriteByte(0)
	}
	return h.Sum64()
}

func tagsEqual(a, b model.Tags) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func cloneTags(tags model.Tags) (model.Tags, int64) {
	out := make(model.Tags, len(tags))
	n := int64(len(tags)) * int64(unsafe.Sizeof(model.Tag{}))
	for i, t := range tags {
		out[i] = model.Tag{Key: strings.Clone(t.Key), Value: strings.Clone(t.Value)}
		n += int64(len(t.Key) + len(t.Value))
	}
	return out, n
}

// series returns the open series with tags, nil when there is none.
func (c *config) series(h uint64, tags model.Tags) *openSeries {
	for s := c.open[h]; s != nil; s = s.next {
		if tagsEqual(s.tags, tags) {
			return s
		}
	}
	return nil
}

// openBucket is the partial state of one open (series, bucket).
type openBucket struct {
	start int64
	// last is the latest time folded (for a tier, the latest lower
	// bucket): a point at or before it may overwrite one already folded,
	// so the bucket becomes stale.
	last int64
	// stale buckets are re-aggregated from the stored data when they
	// close instead of written from their states.
	stale  bool
	states []aggregate.State  // per output; nil: no values
	inline [4]aggregate.State // states of up to four outputs
	bytes  int64
}

func (c *config) bucketOf(t int64) int64 {
	b := t - t%c.iv
	if t < 0 && t%c.iv != 0 {
		b -= c.iv
	}
	return b
}

// bucketUp returns the first bucket boundary at or after t.
func (c *config) bucketUp(t int64) int64 {
	b := c.bucketOf(t)
	if b < t {
		b += c.iv
	}
	return b
}

// closedBefore returns the watermark the clock allows: every bucket
// starting before it has ended at least Grace ago.
func (c *config) closedBefore(now int64) int64 { return c.bucketOf(now - c.grace) }

// bucket returns the open bucket starting at start of the series with
// tags (hash h), creating it when create is set (nil when not).
func (c *config) bucket(h uint64, tags model.Tags, start int64, create bool) *openBucket {
	b, _ := c.bucketIn(c.series(h, tags), h, tags, start, create)
	return b
}

// bucketIn is bucket with the series already looked up (s, nil when it
// has no open bucket); it also returns the series.
func (c *config) bucketIn(s *openSeries, h uint64, tags model.Tags, start int64, create bool) (*openBucket, *openSeries) {
	if s != nil {
		for _, b := range s.buckets {
			if b.start == start {
				return b, s
			}
		}
	}
	if !create {
		return nil, s
	}
	if s == nil {
		s = &openSeries{hash: h, key: string(appendSeriesKey(nil, tags)), next: c.open[h]}
		var n int64
		s.tags, n = cloneTags(tags)
		c.open[h] = s
		c.bytes += seriesOverhead + int64(len(s.key)) + n
	}
	b := &openBucket{start: start, last: minTime}
	if len(c.outs) <= len(b.inline) {
		b.states = b.inline[:len(c.outs):len(c.outs)]
		b.bytes = bucketOverhead
	} else {
		b.states = make([]aggregate.State, len(c.outs))
		b.bytes = bucketOverhead + int64(len(c.outs))*16
	}
	c.bytes += b.bytes
	s.buckets = append(s.buckets, b)
	c.nOpen++
	return b, s
}

// seriesBytes is what an open series adds to the memory estimate.
func seriesBytes(s *openSeries) int64 {
	n := seriesOverhead + int64(len(s.key)) + int64(len(s.tags))*int64(unsafe.Sizeof(model.Tag{}))
	for _, t := range s.tags {
		n += int64(len(t.Key) + len(t.Value))
	}
	return n
}

// takeBefore removes and returns the open buckets starting before w.
func (c *config) takeBefore(w int64) []taken {
	var out []taken
	for h, head := range c.open {
		var chain *openSeries
		for s := head; s != nil; {
			next := s.next
			keep := s.buckets[:0]
			for _, b := range s.buckets {
				if b.start < w {
					out = append(out, taken{series: s.key, s: s, b: b})
					c.nOpen--
					c.bytes -= b.bytes
					continue
				}
				keep = append(keep, b)
			}
			clear(s.buckets[len(keep):])
			s.buckets = keep
			if len(keep) == 0 {
				c.bytes -= seriesBytes(s)
				s.dead = true
			} else {
				s.next = chain
				chain = s
			}
			s = next
		}
		if chain == nil {
			delete(c.open, h)
		} else {
			c.open[h] = chain
		}
	}
	return out
}

type taken struct {
	series string
	s      *openSeries
	b      *openBucket
}

// fold adds a value to output i of a bucket.
func (c *config) fold(b *openBucket, i int, t int64, v model.FieldValue) {
	s := b.states[i]
	if s == nil {
		if !c.outs[i].fn.Accepts(v.Type()) {
			return
		}
		s = aggregate.New(c.outs[i].fn, v.Type())
		b.states[i] = s
		sz := stateSize(s)
		b.bytes += sz
		c.bytes += sz
	} else if s.InputType() != v.Type() {
		return // a field keeps its type; the storage rejects others
	}
	if v.Type() == model.TypeFloat {
		s.(aggregate.FloatAdder).AddFloat(t, v.FloatV())
		return
	}
	s.Add(t, v)
}

// Memory estimates (64-bit): a map entry with its key header and the
// series struct; a bucket struct with its pointer and states slice.
const (
	seriesOverhead = 8 + 8 + int64(unsafe.Sizeof(openSeries{})) + 16
	bucketOverhead = 8 + int64(unsafe.Sizeof(openBucket{}))
)

var stateSizes sync.Map // reflect.Type → int64

// stateSize estimates the bytes of a state (its struct; the seven
// downsample functions keep nothing behind pointers).
func stateSize(s aggregate.State) int64 {
	t := reflect.TypeOf(s)
	if v, ok := stateSizes.Load(t); ok {
		return v.(int64)
	}
	n := int64(t.Size())
	if t.Kind() == reflect.Pointer {
		n += int64(t.Elem().Size())
	}
	stateSizes.Store(t, n)
	return n
}

// Status reports what a config holds and has done since the engine
// opened.
type Status struct {
	// Watermark: every bucket starting before it has been written.
	Watermark time.Time `json:"watermark"`
	// OpenBuckets counts the buckets held in memory and OpenBytes
	// estimates their memory.
	OpenBuckets int   `json:"open_buckets"`
	OpenBytes   int64 `json:"open_bytes"`
	// Overflowed counts points that would have opened a bucket beyond
	// Options.MaxOpenBuckets; their buckets are re-aggregated from the
	// stored data.
	Overflowed int64 `json:"overflowed"`
	// PointsFolded counts source points (or lower-tier buckets) folded
	// into open buckets.
	PointsFolded int64 `json:"points_folded"`
	// BucketsWritten counts buckets written from their open state,
	// BucketsRecomputed those re-aggregated from stored data (late points,
	// overwrites, deletes, the history) and BucketsDeleted those whose data
	// is all gone.
	BucketsWritten    int64 `json:"buckets_written"`
	BucketsRecomputed int64 `json:"buckets_recomputed"`
	BucketsDeleted    int64 `json:"buckets_deleted"`
	// Flushes counts flushes that wrote something; LastFlush is the time
	// of the last one.
	Flushes   int64     `json:"flushes"`
	LastFlush time.Time `json:"last_flush,omitzero"`
	// LastError is the error of the last flush, "" when it succeeded.
	LastError string `json:"last_error,omitempty"`
	// Backfill is the progress of the history written after the
	// registration; nil when it is done.
	Backfill *Backfill `json:"backfill,omitempty"`
}

// Status returns the status of a config.
func (e *Engine) Status(name string) (Status, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.mu.byName[name]
	if c == nil {
		return Status{}, errNotFound(name)
	}
	return c.status(), nil
}

// status reads the status. The caller holds Engine.mu.
func (c *config) status() Status {
	s := c.stats
	s.Watermark = time.Unix(0, c.w).UTC()
	s.OpenBuckets, s.OpenBytes = c.nOpen, c.bytes
	if bf := c.bf; bf != nil {
		next, from := bf.next, bf.from
		if next == minTime { // the first step has not run
			next, from = bf.end, bf.end
		}
		s.Backfill = &Backfill{From: time.Unix(0, from).UTC(), Next: time.Unix(0, next).UTC(), End: time.Unix(0, bf.end).UTC(),
			Remaining: (bf.end - next) / c.iv}
		if bf.next == minTime {
			s.Backfill.Remaining = -1
		}
	}
	return s
}
