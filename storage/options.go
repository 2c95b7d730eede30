package storage

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Durability says when a write is acknowledged.
type Durability int

const (
	// DurabilityEveryWrite acknowledges a write once the write-ahead log
	// holding it is fsynced. Concurrent writers share fsyncs (group commit),
	// so the cost per write falls as concurrency rises. Nothing acknowledged
	// is lost, also on power loss.
	DurabilityEveryWrite Durability = iota
	// DurabilityPeriodic acknowledges a write once it is applied and handed
	// to the operating system; a background syncer fsyncs the write-ahead
	// log every Options.SyncInterval. A process crash loses nothing; an
	// operating-system crash or power loss loses at most the writes of the
	// last SyncInterval plus the duration of one fsync.
	DurabilityPeriodic
	// DurabilityNone never fsyncs the write-ahead log explicitly; the
	// operating system writes it back when it likes (Pebble syncs when it
	// flushes memtables and on Close). A process crash loses at most the
	// writes still in Pebble's log buffer; a power loss may lose more.
	DurabilityNone
)

// String returns the configuration name of the mode: "every_write",
// "periodic" or "none".
func (d Durability) String() string {
	switch d {
	case DurabilityEveryWrite:
		return "every_write"
	case DurabilityPeriodic:
		return "periodic"
	case DurabilityNone:
		return "none"
	}
	return fmt.Sprintf("Durability(%d)", int(d))
}

// ParseDurability parses "every_write", "periodic" or "none".
func ParseDurability(s string) (Durability, error) {
	switch s {
	case "every_write":
		return DurabilityEveryWrite, nil
	case "periodic":
		return DurabilityPeriodic, nil
	case "none":
		return DurabilityNone, nil
	}
	return 0, fmt.Errorf("invalid durability %q: want every_write, periodic or none", s)
}

// Options configure a DB. A nil *Options or a zero field means the default
// (see DefaultOptions).
type Options struct {
	// Durability says when writes are acknowledged. The default is
	// DurabilityEveryWrite.
	Durability Durability
	// SyncInterval is the period of the background fsync in
	// DurabilityPeriodic mode and so the bound of its loss window. The
	// default is 100ms.
	SyncInterval time.Duration
	// PartitionDuration is the time span of one data partition of a
	// retention policy that does not set its own shard duration. The default
	// is 24h.
	PartitionDuration time.Duration
	// CompactionDelay is how long after its end a partition is considered
	// closed, so that background compaction folds its recent blocks into
	// chunks. The default is 10m.
	CompactionDelay time.Duration
	// CompactionInterval is the period of the background compaction loop.
	// The default is 30s; a negative value disables background compaction
	// (DB.Compact still works).
	CompactionInterval time.Duration
	// MaxBlocks is the number of write batches that may add recent blocks to
	// one series in one partition before the series is compacted even though
	// its partition is still open. The default is 256.
	MaxBlocks int
	// MaxChunkPoints is the most values one compacted chunk holds. The
	// default is 2048: about 5.7 hours at a 10 s interval, so that a query
	// of a few hours decodes little beyond its range, for about 11% more
	// disk than chunks of 10,000 points.
	MaxChunkPoints int
	// MaxSeriesKeyLen is the longest accepted series key in bytes. The
	// default is 65535 (InfluxDB's limit).
	MaxSeriesKeyLen int
	// CacheSize is the size of Pebble's block cache in bytes. The default is
	// 256 MiB. Pebble allocates its memtables outside the cache but reserves
	// their size in it, so the cache holds data blocks only in what the
	// memtables leave: a cache no larger than the memtables caches nothing
	// after heavy writes. With the defaults Pebble's memory is about 256 MiB
	// in all: one or two 64 MiB memtables while writing and 128–192 MiB of
	// cached blocks (none while writes stall behind 4 unflushed memtables).
	CacheSize int64
	// MemTableSize is the size of one Pebble memtable in bytes. The default
	// is 64 MiB. One or two memtables are in use while writing, at most 4
	// (writes stall then); keep CacheSize above 2 × MemTableSize so that
	// blocks stay cached under heavy writes.
	MemTableSize uint64
	// Logger receives operational messages. The default discards them.
	Logger *slog.Logger
	// Clock returns the current time; it decides which partitions are
	// closed. The default is time.Now.
	Clock func() time.Time

	// fs replaces the operating system's file system in tests.
	fs vfs.FS
}

// DefaultOptions returns the defaults every zero field of Options means.
func DefaultOptions() *Options {
	return &Options{
		Durability:         DurabilityEveryWrite,
		SyncInterval:       100 * time.Millisecond,
		PartitionDuration:  24 * time.Hour,
		CompactionDelay:    10 * time.Minute,
		CompactionInterval: 30 * time.Second,
		MaxBlocks:          256,
		MaxChunkPoints:     2048,
		MaxSeriesKeyLen:    65535,
		CacheSize:          256 << 20,
		MemTableSize:       64 << 20,
		Logger:             slog.New(slog.DiscardHandler),
		Clock:              time.Now,
	}
}

// withDefaults returns a copy of o with every zero field set to its default.
func (o *Options) withDefaults() *Options {
	d := DefaultOptions()
	if o == nil {
		return d
	}
	c := *o
	if c.SyncInterval <= 0 {
		c.SyncInterval = d.SyncInterval
	}
	if c.PartitionDuration <= 0 {
		c.PartitionDuration = d.PartitionDuration
	}
	if c.CompactionDelay == 0 {
		c.CompactionDelay = d.CompactionDelay
	}
	if c.CompactionInterval == 0 {
		c.CompactionInterval = d.CompactionInterval
	}
	if c.MaxBlocks <= 0 {
		c.MaxBlocks = d.MaxBlocks
	}
	if c.MaxChunkPoints <= 0 {
		c.MaxChunkPoints = d.MaxChunkPoints
	}
	if c.MaxSeriesKeyLen <= 0 {
		c.MaxSeriesKeyLen = d.MaxSeriesKeyLen
	}
	if c.CacheSize <= 0 {
		c.CacheSize = d.CacheSize
	}
	if c.MemTableSize == 0 {
		c.MemTableSize = d.MemTableSize
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Clock == nil {
		c.Clock = d.Clock
	}
	return &c
}
