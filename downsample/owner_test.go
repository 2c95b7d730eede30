package downsample

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accretedb/accrete/continuous"
)

// TestTargetsNotShared wires a continuous-aggregate engine and a downsample
// engine to ask each other, as the server does, and checks that neither
// takes a measurement the other writes, in either order, while other
// targets, other databases and freed targets stay available.
func TestTargetsNotShared(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	if err := db.CreateDatabase("other"); err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{}
	var dsp atomic.Pointer[Engine]
	aggs, err := continuous.Open(db, &continuous.Options{Clock: clk.now, TargetOwner: func(database, rp, m string) string {
		if d := dsp.Load(); d != nil {
			return d.TargetOwner(database, rp, m)
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer aggs.Close()
	ds := openEngine(t, db, clk, &Options{TargetOwner: aggs.TargetOwner})
	defer ds.Close()
	dsp.Store(ds)

	mean := []continuous.Field{{Field: "usage", Function: "mean"}}
	agg := func(name, db, target string) continuous.Definition {
		return continuous.Definition{Name: name, Database: db, Source: "cpu", Target: target,
			Interval: continuous.Duration(time.Minute), Fields: mean}
	}
	if err := aggs.Register(agg("a1", "db", "cpu_agg")); err != nil {
		t.Fatal(err)
	}
	cfg, err := NewDownsample("cpu", "cpu_agg", time.Minute).Database("db", "").Mean("usage").Build()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = "d1"
	err = ds.Register(cfg)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `target "cpu_agg" is already written by continuous aggregate "a1"`) {
		t.Fatalf("downsample onto an aggregate's target: %v", err)
	}
	if got := ds.TargetOwner("db", "autogen", "cpu_agg"); got != "" {
		t.Fatalf("a rejected config owns %q", got)
	}

	cfg.Target, cfg.Name = "cpu_ds", "d2"
	if err := ds.Register(cfg); err != nil {
		t.Fatal(err)
	}
	err = aggs.Register(agg("a2", "db", "cpu_ds"))
	if !errors.Is(err, continuous.ErrInvalid) || !strings.Contains(err.Error(), `target "cpu_ds" is already written by downsample "d2"`) {
		t.Fatalf("aggregate onto a downsample's target: %v", err)
	}
	if _, err := aggs.Put(agg("a2", "db", "cpu_ds")); !errors.Is(err, continuous.ErrInvalid) {
		t.Fatalf("Put of an aggregate onto a downsample's target: %v", err)
	}
	// The same measurement name in another database is another measurement.
	if err := aggs.Register(agg("a3", "other", "cpu_ds")); err != nil {
		t.Fatal(err)
	}
	// A freed target can be taken by the other engine.
	if err := ds.Remove("d2"); err != nil {
		t.Fatal(err)
	}
	if err := aggs.Register(agg("a2", "db", "cpu_ds")); err != nil {
		t.Fatal(err)
	}
	if got, want := aggs.TargetOwner("db", "autogen", "cpu_ds"), `continuous aggregate "a2"`; got != want {
		t.Fatalf("TargetOwner = %q, want %q", got, want)
	}
}
