package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage/chunk"
	"github.com/cockroachdb/pebble/v2"
)

// DB is an open accrete storage directory. All methods are safe for
// concurrent use. Writes (Write, Batch.Commit) and schema changes are
// serialized with each other; reads never block writes and see a
// consistent point-in-time view (see Reader).
type DB struct {
	// Set at Open, never changed.
	opts  *Options
	pdb   *pebble.DB
	dir   string
	log   *slog.Logger
	clock func() time.Time

	// maint serializes compaction with deletes and drops, which rewrite or
	// remove the keys compaction reads. Lock order: maint, mu, state, dirty.
	maint sync.Mutex

	// mu serializes all changes: writes, deletes, catalog changes.
	mu struct {
		sync.Mutex
		seq       uint64 // last sequence number given to a write batch
		nextRPID  uint32 // next retention policy id
		observers []Observer
		blockEnc  *chunk.Encoder // encodes recent blocks, uncompressed
		key, val  []byte         // scratch of the write path
	}

	// state guards the catalog, series indexes and partition lists for
	// readers. Changes hold mu and state.Lock.
	state struct {
		sync.RWMutex
		dbs map[string]*database
		rps map[uint32]*rpState
	}

	// dirty tracks where recent blocks wait for compaction.
	dirty struct {
		sync.Mutex
		parts  map[partRef]int64 // partition → clock (ns) of its last write
		series map[seriesRef]int // series in a partition → batches since compaction
		urgent bool              // some series exceeded Options.MaxBlocks
	}

	stats struct {
		batches, values            atomic.Uint64
		compactions, compactedKeys atomic.Uint64
		deletes, droppedPartitions atomic.Uint64
		walFlushes                 atomic.Uint64
	}

	// users counts running calls; Close waits for them.
	users   sync.WaitGroup
	closing atomic.Bool

	kick   chan struct{}  // wakes the compactor
	arenas chan *colArena // column arrays of write batches for reuse (ingest_arena.go)
	stop   chan struct{}  // closed by Close
	bgDone sync.WaitGroup
}

type partRef struct {
	rp    uint32
	start int64
}

type seriesRef struct {
	part   partRef
	series uint64
}

// Open opens or creates the storage directory dir.
func Open(dir string, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{o.Logger},
		FS:                          o.fs,
	}
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("cannot open storage in %q: %w", dir, err)
	}
	db := &DB{
		opts:   o,
		pdb:    pdb,
		dir:    dir,
		log:    o.Logger,
		clock:  o.Clock,
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		arenas: make(chan *colArena, arenas),
	}
	db.mu.blockEnc = chunk.NewEncoder(&chunk.Options{Compression: chunk.NoCompression})
	db.state.dbs = map[string]*database{}
	db.state.rps = map[uint32]*rpState{}
	db.dirty.parts = map[partRef]int64{}
	db.dirty.series = map[seriesRef]int{}
	if err := db.load(); err != nil {
		pdb.Close()
		return nil, err
	}
	if o.Durability == DurabilityPeriodic {
		db.bgDone.Add(1)
		go db.syncLoop()
	}
	if o.CompactionInterval > 0 {
		db.bgDone.Add(1)
		go db.compactLoop()
	}
	return db, nil
}

// pebbleLogger sends Pebble's messages to the injected logger.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "component", "pebble")
	panic("pebble: " + msg)
}

// load checks the format version and reads the catalog, counters, indexes
// and partition lists.
func (db *DB) load() error {
	v, err := db.get(versionKey)
	if err != nil {
		return err
	}
	if v == nil {
		b := db.pdb.NewBatch()
		_ = b.Set(versionKey, be64(formatVersion), nil)
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("cannot initialize storage: %w", err)
		}
	} else if len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion {
		return fmt.Errorf("%w: version %x, want %d", ErrIncompatible, v, formatVersion)
	}
	if v, err := db.get(seqKey); err != nil {
		return err
	} else if len(v) == 8 {
		db.mu.seq = binary.BigEndian.Uint64(v)
	}
	db.mu.nextRPID = 1
	if v, err := db.get(rpIDKey); err != nil {
		return err
	} else if len(v) == 8 {
		db.mu.nextRPID = uint32(binary.BigEndian.Uint64(v))
	}

	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceCatalog}, UpperBound: []byte{spaceCatalog + 1}})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		d, err := decodeCatalogEntry(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		db.state.dbs[d.name] = d
		for _, rp := range d.rps {
			db.state.rps[rp.id] = rp
		}
	}
	if err := it.Close(); err != nil {
		return err
	}

	it, err = db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{spaceIndex}, UpperBound: []byte{spaceIndex + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	now := db.clock().UnixNano()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 6 {
			return fmt.Errorf("%w: index key %x", ErrCorrupt, k)
		}
		rp := db.state.rps[binary.BigEndian.Uint32(k[1:])]
		if rp == nil {
			return fmt.Errorf("%w: index key %x of an unknown retention policy", ErrCorrupt, k)
		}
		if err := db.loadIndexEntry(rp, k, it.Value(), now); err != nil {
			return err
		}
	}
	return it.Error()
}

func (db *DB) loadIndexEntry(rp *rpState, k, v []byte, now int64) error {
	switch k[5] {
	case indexCounters:
		if len(v) != 12 {
			return fmt.Errorf("%w: counters %x", ErrCorrupt, v)
		}
		rp.idx.nextSeries = max(rp.idx.nextSeries, binary.BigEndian.Uint64(v))
		rp.idx.nextField = max(rp.idx.nextField, binary.BigEndian.Uint32(v[8:]))
	case indexSeries:
		_, id, err := parseSeriesIndexKey(k)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		m, tags, err := model.ParseSeriesKey(v)
		if err != nil {
			return fmt.Errorf("%w: series %d key %q: %v", ErrCorrupt, id, v, err)
		}
		rp.idx.addSeries(&Series{ID: id, Key: string(v), Measurement: m, Tags: tags})
	case indexField:
		_, m, f, err := parseFieldIndexKey(k)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		id, n := binary.Uvarint(v)
		if n <= 0 || len(v) != n+1 {
			return fmt.Errorf("%w: field %q.%q value %x", ErrCorrupt, m, f, v)
		}
		rp.idx.addField(m, FieldInfo{Name: f, ID: uint32(id), Type: model.FieldType(v[n])})
	case indexPartition:
		_, start, err := parsePartitionIndexKey(k)
		if err != nil || len(v) != 8 {
			return fmt.Errorf("%w: partition key %x", ErrCorrupt, k)
		}
		p := partition{start: start, last: unflip(binary.BigEndian.Uint64(v))}
		rp.parts = append(rp.parts, p) // keys are sorted by start
		// Unknown whether blocks wait: let the compactor look once.
		db.dirty.parts[partRef{rp.id, start}] = now
	default:
		return fmt.Errorf("%w: index key %x", ErrCorrupt, k)
	}
	return nil
}

// get returns a copy of the value of key, or nil when it is absent.
func (db *DB) get(key []byte) ([]byte, error) {
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return append([]byte{}, v...), nil
}

// enter registers a running call, failing when the DB is closed.
func (db *DB) enter() error {
	db.users.Add(1)
	if db.closing.Load() {
		db.users.Done()
		return ErrClosed
	}
	return nil
}

func (db *DB) leave() { db.users.Done() }

// Close stops background work, waits for running calls, syncs and closes
// the database. Close is idempotent; every other method fails with
// ErrClosed afterwards.
func (db *DB) Close() error {
	if db.closing.Swap(true) {
		return nil
	}
	close(db.stop)
	db.bgDone.Wait()
	db.users.Wait()
	var errs []error
	if err := db.pdb.LogData(nil, pebble.Sync); err != nil {
		errs = append(errs, err)
	}
	if err := db.pdb.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// syncLoop fsyncs the write-ahead log every SyncInterval in
// DurabilityPeriodic mode when something was written since the last sync.
func (db *DB) syncLoop() {
	defer db.bgDone.Done()
	t := time.NewTicker(db.opts.SyncInterval)
	defer t.Stop()
	var synced uint64
	for {
		select {
		case <-db.stop:
			return
		case <-t.C:
		}
		db.mu.Lock()
		seq := db.mu.seq
		db.mu.Unlock()
		if seq == synced {
			continue
		}
		if err := db.pdb.LogData(nil, pebble.Sync); err != nil {
			db.log.Error("periodic sync failed", "err", err)
			continue
		}
		synced = seq
	}
}

// forgetRP drops the dirty-tracking entries of a removed RP. The caller
// holds mu.
func (db *DB) forgetRP(rp uint32) {
	db.dirty.Lock()
	defer db.dirty.Unlock()
	for p := range db.dirty.parts {
		if p.rp == rp {
			delete(db.dirty.parts, p)
		}
	}
	for s := range db.dirty.series {
		if s.part.rp == rp {
			delete(db.dirty.series, s)
		}
	}
}

// Stats are counters and sizes of a DB, for monitoring.
type Stats struct {
	Databases, RetentionPolicies int
	Series                       int    // series in all indexes
	Partitions                   int    // data partitions
	Batches                      uint64 // write batches committed since Open
	Values                       uint64 // field values written since Open
	Compactions                  uint64 // series fields compacted since Open
	CompactedKeys                uint64 // blocks and chunks folded since Open
	Deletes                      uint64 // delete and drop operations since Open
	DroppedPartitions            uint64 // partitions dropped since Open
	WALFlushes                   uint64 // memtable flushes after compaction since Open
	DiskBytes                    uint64 // bytes of the Pebble directory (tables, WAL, manifest)
	PendingCompaction            int    // partitions that may hold recent blocks
}

// Stats returns current counters. It is cheap enough for a /metrics scrape.
func (db *DB) Stats() Stats {
	var s Stats
	db.state.RLock()
	s.Databases = len(db.state.dbs)
	s.RetentionPolicies = len(db.state.rps)
	for _, rp := range db.state.rps {
		s.Series += len(rp.idx.byID)
		s.Partitions += len(rp.parts)
	}
	db.state.RUnlock()
	db.dirty.Lock()
	s.PendingCompaction = len(db.dirty.parts)
	db.dirty.Unlock()
	s.Batches = db.stats.batches.Load()
	s.Values = db.stats.values.Load()
	s.Compactions = db.stats.compactions.Load()
	s.CompactedKeys = db.stats.compactedKeys.Load()
	s.Deletes = db.stats.deletes.Load()
	s.DroppedPartitions = db.stats.droppedPartitions.Load()
	s.WALFlushes = db.stats.walFlushes.Load()
	if db.enter() == nil {
		s.DiskBytes = db.pdb.Metrics().DiskSpaceUsage()
		db.leave()
	}
	return s
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
