package downsample

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/storage"
)

// TestTierRetention checks each tier's own retention with a fake clock:
// raw points older than source_retention are removed and their writes
// rejected, 10 s buckets older than their retention are removed, and the
// 1 m tier keeps everything; and that changing a tier in a config file
// (Put) registers the tiers above it again.
func TestTierRetention(t *testing.T) {
	clk := &fakeClock{}
	clk.set(1000 * time.Second)
	db := openDB(t, t.TempDir())
	defer db.Close()
	e := openEngine(t, db, clk, nil)
	defer e.Close()
	cfg := Config{Name: "cpu", Database: "db", Source: "cpu", SourceRetention: Duration(2 * time.Minute),
		Fields: []Field{{Field: "v", Function: "sum"}},
		Tiers:  []Tier{{Interval: Duration(10 * time.Second), Retention: Duration(5 * time.Minute)}, {Interval: Duration(time.Minute)}}}
	if err := e.Register(cfg); err != nil {
		t.Fatal(err)
	}
	for s := int64(1020); s < 1620; s += 5 {
		write(t, db, fmt.Sprintf("cpu,host=a v=1 %d\n", s))
		clk.set(time.Duration(s+1) * time.Second)
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	clk.set(1800 * time.Second)
	if err := e.Flush(clk.now()); err != nil {
		t.Fatal(err)
	}
	oldest := func(m string) int64 {
		o := int64(1 << 62)
		for _, r := range readAll(t, db, m) {
			o = min(o, r.time/1e9)
		}
		return o
	}
	if o := oldest("cpu"); o < 1800-120 {
		t.Errorf("raw point at %d s kept past the 2m source retention (now 1800 s)", o)
	}
	if o := oldest("cpu_10s"); o < 1800-300 {
		t.Errorf("10s bucket at %d s kept past its 5m retention", o)
	}
	if o, n := oldest("cpu_1m"), len(readAll(t, db, "cpu_1m")); o != 1020 || n != 10 {
		t.Errorf("cpu_1m: oldest %d s, %d buckets; want 1020 s and 10 (kept forever)", o, n)
	}
	for _, r := range readAll(t, db, "cpu_1m") {
		if v := r.fields["v_sum"].FloatV(); v != 12 {
			t.Errorf("cpu_1m at %d s: sum %v, want 12", r.time/1e9, v)
		}
	}
	err := db.Write("db", "", mustParse(t, "cpu,host=a v=1 1500\n"))
	if !errors.Is(err, ErrTooOld) || !errors.Is(err, storage.ErrInvalidPoint) || !strings.Contains(err.Error(), `downsample "cpu_10s"`) {
		t.Fatalf("write older than the source retention: %v", err)
	}

	// A config file changes the lower tier: both tiers are registered
	// again, the upper one over the new lower one.
	cfg.Fields = append(cfg.Fields, Field{Field: "v", Function: "count"})
	changed, err := e.Put(cfg)
	if err != nil || !changed {
		t.Fatalf("Put: %v, %v", changed, err)
	}
	up, err := e.Get("cpu_1m")
	if err != nil || len(up.Fields) != 2 || up.Fields[1].As != "v_count" {
		t.Fatalf("upper tier after Put: %+v, %v", up, err)
	}
	if changed, err := e.Put(cfg); err != nil || changed {
		t.Fatalf("second Put: %v, %v", changed, err)
	}
}
