package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/accretedb/accrete/internal/tsbsgen"
	"github.com/accretedb/accrete/model"
)

// The benchmarks use the TSBS cpu-only day of tsbsgen: 100 hosts with 10
// tags, 10 integer fields, one point every 10 s: 864,000 points, 8.64 M
// values, written in batches of 10,000 lines that span all hosts (100 time
// steps of 100 hosts), as TSBS loaders send them.

const tsbsValues = tsbsgen.Hosts * tsbsgen.Day * tsbsgen.Fields

var (
	tsbsOnce    sync.Once
	tsbsBatches [][]model.Point
)

// tsbsData returns the day as batches of 10,000 points. The slices are
// shared: the benchmarks only read them.
func tsbsData() [][]model.Point {
	tsbsOnce.Do(func() { tsbsBatches = tsbsgen.CPU(tsbsgen.Day, tsbsgen.Fields) })
	return tsbsBatches
}

// tsbsLines returns the day as line-protocol bodies of 10,000 lines.
func tsbsLines() [][]byte {
	var out [][]byte
	for _, batch := range tsbsData() {
		var body []byte
		for i := range batch {
			body = model.AppendLine(body, &batch[i])
		}
		out = append(out, body)
	}
	return out
}

func benchOpen(b *testing.B, dir string, d Durability) *DB {
	db, err := Open(dir, &Options{Durability: d, CompactionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.CreateDatabase("benchmark"); err != nil {
		b.Fatal(err)
	}
	return db
}

// ingestTSBS writes the day with the given number of concurrent writers.
func ingestTSBS(b *testing.B, db *DB, writers int, write func(i int) error) {
	n := len(tsbsData())
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += writers {
				if err := write(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchIngest writes the day into a fresh database of durability d per
// iteration, with the given number of concurrent writers calling write
// for each batch index, and reports the values written per second.
func benchIngest(b *testing.B, d Durability, writers int, write func(db *DB, i int) error) {
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		db := benchOpen(b, b.TempDir(), d)
		b.StartTimer()
		start := time.Now()
		ingestTSBS(b, db, writers, func(i int) error { return write(db, i) })
		elapsed += time.Since(start)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(tsbsValues)*float64(b.N)/elapsed.Seconds(), "values/s")
}

// BenchmarkIngestTSBS writes the TSBS day as []model.Point batches
// (parsing excluded) into a fresh database per iteration.
func BenchmarkIngestTSBS(b *testing.B) {
	data := tsbsData()
	for _, d := range []Durability{DurabilityEveryWrite, DurabilityPeriodic, DurabilityNone} {
		for _, writers := range []int{1, 2} {
			b.Run(fmt.Sprintf("durability=%s/writers=%d", d, writers), func(b *testing.B) {
				benchIngest(b, d, writers, func(db *DB, i int) error { return db.Write("benchmark", "", data[i]) })
			})
		}
	}
}

// BenchmarkIngestTSBSLines is BenchmarkIngestTSBS including line-protocol
// parsing (model.ParseLines) of 10,000-line bodies.
func BenchmarkIngestTSBSLines(b *testing.B) {
	bodies := tsbsLines()
	for _, writers := range []int{1, 2} {
		b.Run(fmt.Sprintf("durability=periodic/writers=%d", writers), func(b *testing.B) {
			benchIngest(b, DurabilityPeriodic, writers, func(db *DB, i int) error {
				pts, err := model.ParseLines(bodies[i], model.ParseOptions{})
				if err != nil {
					return err
				}
				return db.Write("benchmark", "", pts)
			})
		})
	}
}

// BenchmarkIngestTSBSDecoded is BenchmarkIngestTSBSLines with the
// server's decoder: model.Decoder and WriteDecoded, one decoder per
// writer, in the default durability (every_write) and periodic.
func BenchmarkIngestTSBSDecoded(b *testing.B) {
	bodies := tsbsLines()
	for _, d := range []Durability{DurabilityEveryWrite, DurabilityPeriodic} {
		for _, writers := range []int{1, 2} {
			b.Run(fmt.Sprintf("durability=%s/writers=%d", d, writers), func(b *testing.B) {
				decs := make([]model.Decoder, len(bodies))
				benchIngest(b, d, writers, func(db *DB, i int) error {
					dec := &decs[i%writers]
					batch, err := dec.Decode(bodies[i], model.ParseOptions{})
					if err != nil {
						return err
					}
					return db.WriteDecoded("benchmark", "", batch)
				})
			})
		}
	}
}

// dirSize returns the total size of the files under dir. Files that
// vanish during the walk (the engine removes obsolete logs and tables in
// the background) are not counted.
func dirSize(b *testing.B, dir string) int64 {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path != dir {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}

// BenchmarkDiskPerValue ingests the day, compacts it and reports the bytes
// of the whole directory per stored value: "bytes/value" at rest (after a
// reopen, which deletes the write-ahead-log files Pebble keeps for
// recycling), "bytes/value-open" right after compaction with those files,
// and "bytes/value-before-compaction" with recent blocks only.
func BenchmarkDiskPerValue(b *testing.B) {
	data := tsbsData()
	b.ReportAllocs()
	var atRest, open, beforeCompaction float64
	for b.Loop() {
		dir := b.TempDir()
		db := benchOpen(b, dir, DurabilityPeriodic)
		ingestTSBS(b, db, 1, func(i int) error { return db.Write("benchmark", "", data[i]) })
		if err := db.pdb.Flush(); err != nil {
			b.Fatal(err)
		}
		beforeCompaction = float64(dirSize(b, dir)) / tsbsValues
		if err := db.Compact(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		open = float64(dirSize(b, dir)) / tsbsValues
		db, err := Open(dir, &Options{CompactionInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		atRest = float64(dirSize(b, dir)) / tsbsValues
	}
	b.ReportMetric(atRest, "bytes/value")
	b.ReportMetric(open, "bytes/value-open")
	b.ReportMetric(beforeCompaction, "bytes/value-before-compaction")
}

// BenchmarkScanField reads one field of all 100 series over the whole day
// after compaction, through one Reader and one reused Cursor.
func BenchmarkScanField(b *testing.B) {
	data := tsbsData()
	dir := b.TempDir()
	db := benchOpen(b, dir, DurabilityNone)
	defer db.Close()
	ingestTSBS(b, db, 1, func(i int) error { return db.Write("benchmark", "", data[i]) })
	for _, compacted := range []bool{true, false} {
		name := "compacted"
		if !compacted {
			name = "recent-blocks"
			// Write the day again into a second RP left uncompacted.
			if err := db.CreateRetentionPolicy("benchmark", RetentionPolicy{Name: "raw"}); err != nil {
				b.Fatal(err)
			}
			ingestTSBS(b, db, 1, func(i int) error { return db.Write("benchmark", "raw", data[i]) })
		} else if err := db.Compact(context.Background()); err != nil {
			b.Fatal(err)
		}
		rp := map[bool]string{true: "autogen", false: "raw"}[compacted]
		b.Run(name, func(b *testing.B) {
			series, err := db.Series("benchmark", rp, "cpu", nil)
			if err != nil || len(series) != tsbsgen.Hosts {
				b.Fatalf("series: %d, %v", len(series), err)
			}
			fi, _, _ := db.Field("benchmark", rp, "cpu", "usage_user")
			rid, _ := db.RetentionPolicyID("benchmark", rp)
			r, err := db.NewReader()
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			c := r.NewCursor()
			defer c.Close()
			b.ReportAllocs()
			var sum int64
			n := 0
			for b.Loop() {
				n = 0
				for _, s := range series {
					if err := c.SeekRP(rid, s.ID, fi.ID, math.MinInt64, math.MaxInt64); err != nil {
						b.Fatal(err)
					}
					for c.Next() {
						cols := c.Columns()
						n += len(cols.Ints)
						for _, v := range cols.Ints {
							sum += v
						}
					}
					if err := c.Err(); err != nil {
						b.Fatal(err)
					}
				}
				if n != tsbsgen.Hosts*tsbsgen.Day {
					b.Fatalf("scanned %d values, want %d", n, tsbsgen.Hosts*tsbsgen.Day)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "values/s")
			_ = sum
		})
	}
}
