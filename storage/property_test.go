package storage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// refModel is the plain in-memory model the property test compares the
// engine with: rp → series key → field → time → value, plus the set of
// indexed series per RP.
type refModel struct {
	data   map[string]map[string]map[string]map[int64]model.FieldValue
	series map[string]map[string]model.Point // rp → key → a point of the series (measurement, tags)
}

func newRefModel() *refModel {
	return &refModel{data: map[string]map[string]map[string]map[int64]model.FieldValue{}, series: map[string]map[string]model.Point{}}
}

func (m *refModel) write(rp string, pts []model.Point) {
	if m.data[rp] == nil {
		m.data[rp] = map[string]map[string]map[int64]model.FieldValue{}
		m.series[rp] = map[string]model.Point{}
	}
	for _, p := range pts {
		key := string(p.SeriesKey())
		m.series[rp][key] = p
		fs := m.data[rp][key]
		if fs == nil {
			fs = map[string]map[int64]model.FieldValue{}
			m.data[rp][key] = fs
		}
		for _, f := range p.Fields {
			if fs[f.Key] == nil {
				fs[f.Key] = map[int64]model.FieldValue{}
			}
			fs[f.Key][p.Time] = f.Value
		}
	}
}

func (m *refModel) delete(rp, measurement string, f TagFilter, minT, maxT int64) {
	for key, p := range m.series[rp] {
		if measurement != "" && p.Measurement != measurement || f != nil && !f.Match(p.Tags) {
			continue
		}
		for _, vals := range m.data[rp][key] {
			for ts := range vals {
				if ts >= minT && ts <= maxT {
					delete(vals, ts)
				}
			}
		}
		if minT == math.MinInt64 && maxT == math.MaxInt64 {
			delete(m.series[rp], key)
			delete(m.data[rp], key)
		}
	}
}

func (m *refModel) dropBefore(rp string, t int64) {
	for _, fs := range m.data[rp] {
		for _, vals := range fs {
			for ts := range vals {
				if ts < t {
					delete(vals, ts)
				}
			}
		}
	}
}

// propertyFields gives each field a fixed type so writes never conflict.
var propertyFields = []struct {
	name string
	gen  func(r *rand.Rand) model.FieldValue
}{
	{"f", func(r *rand.Rand) model.FieldValue { return model.Float(math.Round(r.NormFloat64()*1000) / 8) }},
	{"i", func(r *rand.Rand) model.FieldValue { return model.Int(r.Int64N(2000) - 1000) }},
	{"u", func(r *rand.Rand) model.FieldValue { return model.Uint(r.Uint64()) }},
	{"s", func(r *rand.Rand) model.FieldValue { return model.String(fmt.Sprintf("v%d", r.IntN(20))) }},
	{"b", func(r *rand.Rand) model.FieldValue { return model.Bool(r.IntN(2) == 0) }},
}

const propHour = int64(time.Hour)

func randomPoints(r *rand.Rand, n int) []model.Point {
	pts := make([]model.Point, 0, n)
	for range n {
		m := []string{"cpu", "mem"}[r.IntN(2)]
		tags := []string{"host", fmt.Sprintf("h%d", r.IntN(4))}
		if r.IntN(3) > 0 {
			tags = append(tags, "region", []string{"east", "west"}[r.IntN(2)])
		}
		// Six one-hour partitions; times on a coarse grid so that
		// overwrites are frequent.
		ts := r.Int64N(6*propHour/int64(time.Minute)) * int64(time.Minute)
		if r.IntN(10) == 0 {
			ts = -ts // before the epoch
		}
		var fields []model.Field
		for _, f := range propertyFields {
			if r.IntN(2) == 0 {
				fields = append(fields, fv(f.name, f.gen(r)))
			}
		}
		if len(fields) == 0 {
			fields = append(fields, fv("i", model.Int(r.Int64N(10))))
		}
		pts = append(pts, pt(m, ts, tags, fields...))
	}
	return pts
}

func randomFilter(r *rand.Rand) TagFilter {
	switch r.IntN(6) {
	case 0:
		return nil
	case 1:
		return TagEq{"host", fmt.Sprintf("h%d", r.IntN(4))}
	case 2:
		return TagNeq{"region", "east"}
	case 3:
		return TagRegex{"host", regexp.MustCompile(`h[01]`)}
	case 4:
		return And{TagEq{"region", "west"}, TagNotRegex{"host", regexp.MustCompile(`h3`)}}
	}
	return Or{TagEq{"host", "h2"}, TagEq{"region", ""}}
}

// checkAgainstModel compares every series field, the index and a few
// sub-range reads with the model.
func checkAgainstModel(t *testing.T, db *DB, m *refModel, rps []string, r *rand.Rand, stage string) {
	t.Helper()
	reader, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, rp := range rps {
		series, err := db.Series("db", rp, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []string
		for _, s := range series {
			got = append(got, s.Key)
		}
		for k := range m.series[rp] {
			want = append(want, k)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: rp %s: series %q, want %q", stage, rp, got, want)
		}
		for _, s := range series {
			for _, f := range propertyFields {
				fi, ok, err := db.Field("db", rp, s.Measurement, f.name)
				if err != nil {
					t.Fatal(err)
				}
				vals := m.data[rp][s.Key][f.name]
				if !ok {
					if len(vals) > 0 {
						t.Fatalf("%s: field %s.%s unknown but has values", stage, s.Measurement, f.name)
					}
					continue
				}
				minT, maxT := int64(math.MinInt64), int64(math.MaxInt64)
				if r.IntN(2) == 0 {
					minT = (r.Int64N(12*60) - 6*60) * int64(time.Minute)
					maxT = minT + r.Int64N(3*60)*int64(time.Minute)
				}
				cols, err := reader.ReadAll("db", rp, s.ID, fi.ID, minT, maxT)
				if err != nil {
					t.Fatalf("%s: read %s %s: %v", stage, s.Key, f.name, err)
				}
				var wantTimes []int64
				for ts := range vals {
					if ts >= minT && ts <= maxT {
						wantTimes = append(wantTimes, ts)
					}
				}
				slices.Sort(wantTimes)
				if !slices.Equal(cols.Times, wantTimes) {
					t.Fatalf("%s: %s %s [%d,%d]: times\n got %v\nwant %v", stage, s.Key, f.name, minT, maxT, cols.Times, wantTimes)
				}
				for i, ts := range wantTimes {
					if got := cols.Value(i); !got.Equal(vals[ts]) {
						t.Fatalf("%s: %s %s @%d: got %v, want %v", stage, s.Key, f.name, ts, got, vals[ts])
					}
				}
			}
		}
		// Tag values of host among series of cpu.
		hosts, err := db.TagValues("db", rp, "cpu", "host", nil)
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, p := range m.series[rp] {
			if p.Measurement == "cpu" {
				v, _ := p.Tags.Get("host")
				set[v] = true
			}
		}
		var wantHosts []string
		for h := range set {
			wantHosts = append(wantHosts, h)
		}
		slices.Sort(wantHosts)
		if !slices.Equal(hosts, wantHosts) {
			t.Fatalf("%s: rp %s: cpu hosts %q, want %q", stage, rp, hosts, wantHosts)
		}
	}
}

func TestPropertyAgainstModel(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runProperty(t, seed) })
	}
}

func runProperty(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	dir := t.TempDir()
	opts := &Options{
		Durability:        DurabilityNone,
		PartitionDuration: time.Hour,
		MaxChunkPoints:    16 + r.IntN(64), // small chunks: many chunk boundaries
		MaxBlocks:         4,
	}
	db := openTestDB(t, opts, dir)
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateRetentionPolicy("db", RetentionPolicy{Name: "short", ShardDuration: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	rps := []string{"autogen", "short"}
	m := newRefModel()
	for step := range 120 {
		rp := rps[r.IntN(len(rps))]
		switch op := r.IntN(20); {
		case op < 12:
			pts := randomPoints(r, 1+r.IntN(40))
			if r.IntN(2) == 0 {
				b := db.NewBatch()
				if err := b.Write("db", rp, pts); err != nil {
					t.Fatal(err)
				}
				if err := b.SetMeta("test", []byte(fmt.Sprint(step)), []byte("x")); err != nil {
					t.Fatal(err)
				}
				if err := b.Commit(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			} else if err := db.Write("db", rp, pts); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			m.write(rp, pts)
		case op < 15:
			meas := []string{"", "cpu", "mem"}[r.IntN(3)]
			f := randomFilter(r)
			// On the minute grid of the point times, so bounds are hit.
			minT := (r.Int64N(12*60) - 6*60) * int64(time.Minute)
			maxT := minT + r.Int64N(4*60)*int64(time.Minute)
			if r.IntN(4) == 0 {
				minT, maxT = math.MinInt64, math.MaxInt64
			}
			if r.IntN(4) == 0 {
				rp = "" // every retention policy
			}
			if err := db.DeleteSeries("db", rp, meas, f, minT, maxT); err != nil {
				t.Fatal(err)
			}
			for _, x := range rps {
				if rp == "" || rp == x {
					m.delete(x, meas, f, minT, maxT)
				}
			}
		case op < 16:
			before := r.Int64N(3*propHour) - propHour
			dropped, err := db.DropPartitionsBefore("db", rp, before)
			if err != nil {
				t.Fatal(err)
			}
			// Only whole partitions go: drop in the model what they held.
			for _, p := range dropped {
				if p.Last >= before {
					t.Fatalf("dropped partition %v is not before %d", p, before)
				}
			}
			if len(dropped) > 0 {
				m.dropBefore(rp, dropped[len(dropped)-1].Last+1)
			}
		case op < 18:
			if err := db.Compact(context.Background()); err != nil {
				t.Fatal(err)
			}
		default:
			// Run the background compaction step directly.
			if err := db.compactPending(db.newCompactor()); err != nil {
				t.Fatal(err)
			}
		}
		if step%30 == 29 {
			checkAgainstModel(t, db, m, rps, r, fmt.Sprintf("step %d", step))
			if err := checkConsistency(db); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
	}
	checkAgainstModel(t, db, m, rps, r, "before compaction")
	if err := db.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkAgainstModel(t, db, m, rps, r, "after compaction")
	if err := checkConsistency(db); err != nil {
		t.Fatal(err)
	}
	// Late writes into compacted windows, read before and after a
	// later compaction.
	pts := randomPoints(r, 50)
	if err := db.Write("db", "autogen", pts); err != nil {
		t.Fatal(err)
	}
	m.write("autogen", pts)
	checkAgainstModel(t, db, m, rps, r, "late writes")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openTestDB(t, opts, dir)
	checkAgainstModel(t, db2, m, rps, r, "after reopen")
	if err := db2.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkAgainstModel(t, db2, m, rps, r, "after reopen and compaction")
	n := 0
	if err := db2.IterMeta("test", nil, func(k, v []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("metadata written with batches is missing")
	}
}
