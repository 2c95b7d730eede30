package storage

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// walSyncCounter counts fsyncs of write-ahead-log files.
type walSyncCounter struct{ n atomic.Int64 }

func (c *walSyncCounter) fs() vfs.FS {
	return vfs.WithLogging(vfs.Default, func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if strings.HasPrefix(msg, "sync") && strings.HasSuffix(msg, ".log") {
			c.n.Add(1)
		}
	})
}

func TestDurabilityModesSyncTheLog(t *testing.T) {
	write := func(t *testing.T, db *DB, i int) {
		t.Helper()
		mustWrite(t, db, "", pt("cpu", int64(i), nil, fv("v", model.Int(int64(i)))))
	}
	open := func(t *testing.T, d Durability, c *walSyncCounter) *DB {
		db := openTestDB(t, &Options{Durability: d, SyncInterval: 20 * time.Millisecond, fs: c.fs()})
		if err := db.CreateDatabase("db"); err != nil {
			t.Fatal(err)
		}
		return db
	}
	t.Run("every_write", func(t *testing.T) {
		var c walSyncCounter
		db := open(t, DurabilityEveryWrite, &c)
		before := c.n.Load()
		for i := range 5 {
			write(t, db, i)
		}
		if got := c.n.Load() - before; got < 5 {
			t.Fatalf("5 acknowledged writes, %d log syncs", got)
		}
	})
	t.Run("periodic", func(t *testing.T) {
		var c walSyncCounter
		db := open(t, DurabilityPeriodic, &c)
		before := c.n.Load()
		for i := range 50 {
			write(t, db, i)
		}
		if got := c.n.Load() - before; got > 10 {
			t.Fatalf("50 writes within a few sync intervals caused %d log syncs", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for c.n.Load() == before {
			if time.Now().After(deadline) {
				t.Fatal("the periodic syncer never synced the log")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Idle: nothing written, nothing synced.
		time.Sleep(60 * time.Millisecond)
		idle := c.n.Load()
		time.Sleep(100 * time.Millisecond)
		if got := c.n.Load() - idle; got != 0 {
			t.Fatalf("%d log syncs while idle", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		var c walSyncCounter
		db := open(t, DurabilityNone, &c)
		before := c.n.Load()
		for i := range 20 {
			write(t, db, i)
		}
		time.Sleep(60 * time.Millisecond)
		if got := c.n.Load() - before; got != 0 {
			t.Fatalf("%d log syncs in mode none", got)
		}
	})
}
