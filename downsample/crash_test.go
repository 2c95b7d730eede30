package downsample

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

const crashEnv = "ACCRETE_DOWNSAMPLE_CRASH_DIR"

// crashConfig is the chain the crash test streams into: raw → 100ms →
// 500ms, all seven functions.
func crashConfig() Config {
	c := allFunctions()
	c.Tiers = []Tier{{Interval: Duration(100 * time.Millisecond)}, {Interval: Duration(500 * time.Millisecond)}}
	return c
}

// TestCrashChild is the process TestCrashSIGKILL kills: it streams random
// points (in order, late, overwrites, deletes) into a database with the
// engine's scheduler running, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrashSIGKILL")
	}
	if err := crashChild(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func crashChild(dir string) error {
	db, err := storage.Open(filepath.Join(dir, "data"), &storage.Options{Durability: storage.DurabilityEveryWrite, CompactionInterval: time.Second})
	if err != nil {
		return err
	}
	if _, err := db.Database("db"); err != nil {
		if err := db.CreateDatabase("db"); err != nil {
			return err
		}
	}
	e, err := Open(db, nil)
	if err != nil {
		return err
	}
	// The first run records where the points start: after the configs'
	// first buckets.
	floorFile := filepath.Join(dir, "floor")
	b, err := os.ReadFile(floorFile)
	if err != nil {
		if _, err := e.Put(crashConfig()); err != nil {
			return err
		}
		b = []byte(strconv.FormatInt(time.Now().Add(time.Second).Truncate(time.Millisecond).UnixNano(), 10))
		if err := os.WriteFile(floorFile, b, 0o644); err != nil {
			return err
		}
	}
	floor, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return err
	}
	go e.Run(context.Background())
	fmt.Println("running")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	hosts := []string{"a", "b", "c"}
	for {
		now := time.Now().UnixNano()
		var pts []model.Point
		for range 1 + rng.IntN(20) {
			ts := now - int64(rng.IntN(50))*int64(time.Millisecond)
			if rng.IntN(8) == 0 {
				ts = now - int64(rng.IntN(1500))*int64(time.Millisecond) // late
			}
			ts = max(ts, floor) / int64(time.Millisecond) * int64(time.Millisecond)
			p := model.Point{Measurement: "cpu", Tags: model.Tags{{Key: "host", Value: hosts[rng.IntN(3)]}}, Time: ts,
				Fields: []model.Field{{Key: "v", Value: model.Float(float64(rng.IntN(200) - 100))}}}
			if rng.IntN(3) > 0 {
				p.Fields = append(p.Fields, model.Field{Key: "n", Value: model.Int(int64(rng.IntN(10)))})
			}
			pts = append(pts, p)
		}
		if err := db.Write("db", "", pts); err != nil {
			return err
		}
		if rng.IntN(40) == 0 {
			lo := max(now-int64(rng.IntN(2000))*int64(time.Millisecond), floor)
			if err := db.DeleteSeries("db", "", "cpu", storage.TagEq{Key: "host", Value: hosts[rng.IntN(3)]}, lo, lo+int64(rng.IntN(300))*int64(time.Millisecond)); err != nil {
				return err
			}
		}
		time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
}

// TestCrashSIGKILL kills a process streaming points into a two-tier
// chain several times, then checks that both tiers equal a recompute
// from the raw data: nothing lost, nothing counted twice.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 256)
		n, _ := out.Read(buf)
		if !strings.Contains(string(buf[:n]), "running") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %s", buf[:n])
		}
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	db, err := storage.Open(filepath.Join(dir, "data"), &storage.Options{Durability: storage.DurabilityNone, CompactionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clk := &fakeClock{}
	clk.set(time.Duration(time.Now().Add(time.Hour).UnixNano()))
	e := openEngine(t, db, clk, nil)
	defer e.Close()
	for range 2 {
		if err := e.Flush(clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "floor"))
	if err != nil {
		t.Fatal(err)
	}
	floor, _ := strconv.ParseInt(string(b), 10, 64)
	raw := readAll(t, db, "cpu")
	for k, r := range raw {
		if r.time < floor {
			t.Fatalf("raw point %s before the floor", k)
		}
	}
	c1, err := e.Get("cpu_100ms")
	if err != nil {
		t.Fatal(err)
	}
	got1, got2 := readAll(t, db, "cpu_100ms"), readAll(t, db, "cpu_500ms")
	if len(raw) == 0 || len(got1) == 0 || len(got2) == 0 {
		t.Fatalf("%d raw points, %d and %d buckets", len(raw), len(got1), len(got2))
	}
	if d := diffRows(got1, batchRecompute(raw, int64(100*time.Millisecond), c1.outputs())); d != "" {
		t.Fatalf("cpu_100ms differs from a recompute:\n%s", d)
	}
	if d := diffRows(got2, batchRecompute(raw, int64(500*time.Millisecond), c1.outputs())); d != "" {
		t.Fatalf("cpu_500ms differs from a recompute:\n%s", d)
	}
	t.Logf("%d raw points, %d and %d buckets", len(raw), len(got1), len(got2))
}
