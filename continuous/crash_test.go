package continuous

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

// The crash test runs a child process that writes, deletes and refreshes
// until it is killed with SIGKILL — half of the time right as a refresh
// starts, otherwise at a random moment. After the last kill the parent
// reopens the data, refreshes everything and compares every target with a
// from-scratch computation over the source data that survived.

const crashChildEnv = "ACCRETE_CONTINUOUS_CRASH_DIR"

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestCrashRefresh")
	}
	if err := crashChild(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func crashChild(dir string) error {
	db, err := storage.Open(dir, &storage.Options{Durability: storage.DurabilityPeriodic, CompactionInterval: time.Second / 2})
	if err != nil {
		return err
	}
	if err := db.CreateDatabase("db"); err != nil {
		return err
	}
	e, err := Open(db, &Options{MaxBatchBuckets: 20})
	if err != nil {
		return err
	}
	for _, d := range propertyDefs() {
		if _, err := e.Put(d); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	hosts, dcs := []string{"a", "b", "c"}, []string{"x", "y", ""}
	ctx := context.Background()
	for {
		now := time.Now()
		switch op := rng.IntN(10); {
		case op < 6:
			var pts []model.Point
			for range 1 + rng.IntN(30) {
				tags := model.Tags{{Key: "host", Value: hosts[rng.IntN(3)]}}
				if dc := dcs[rng.IntN(3)]; dc != "" {
					tags = append(model.Tags{{Key: "dc", Value: dc}}, tags...)
				}
				ts := now.Add(-time.Duration(rng.IntN(240)) * time.Second).Truncate(time.Second).UnixNano()
				fields := []model.Field{{Key: "f", Value: model.Float(float64(rng.IntN(81)-40) / 4)}}
				if rng.IntN(2) == 0 {
					fields = append(fields, model.Field{Key: "i", Value: model.Int(int64(rng.IntN(100)))})
				}
				if rng.IntN(3) == 0 {
					fields = append(fields, model.Field{Key: "s", Value: model.String(fmt.Sprint("v", rng.IntN(5)))})
				}
				pts = append(pts, model.Point{Measurement: "m", Tags: tags, Fields: fields, Time: ts})
			}
			if err := db.Write("db", "", pts); err != nil {
				return err
			}
			fmt.Println("write")
		case op < 7:
			lo := now.Add(-time.Duration(rng.IntN(240)) * time.Second).UnixNano()
			var f storage.TagFilter
			if rng.IntN(2) == 0 {
				f = storage.TagEq{Key: "host", Value: hosts[rng.IntN(3)]}
			}
			if err := db.DeleteSeries("db", "", "m", f, lo, lo+int64(rng.IntN(60))*int64(time.Second)); err != nil {
				return err
			}
			fmt.Println("delete")
		default:
			fmt.Println("refresh")
			if rng.IntN(4) == 0 {
				if _, err := e.RefreshRange(ctx, "ten", now.Add(-5*time.Minute), now); err != nil {
					return err
				}
			}
			for _, name := range []string{"ten", "seven", "minute", "all"} {
				if _, err := e.Refresh(ctx, name, now); err != nil {
					return err
				}
			}
			fmt.Println("refreshed")
		}
	}
}

func TestCrashRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	dir := t.TempDir()
	kills := 12
	killedInRefresh := 0
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		inRefresh := i%2 == 0
		deadline := time.Now().Add(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		sc := bufio.NewScanner(out)
		refreshes := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error:") {
				t.Fatalf("child: %s", line)
			}
			if line == "refresh" {
				refreshes++
			}
			if inRefresh && line == "refresh" && refreshes > 1+i%3 {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				killedInRefresh++
				break
			}
			if !inRefresh && time.Now().After(deadline) {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cmd.Wait()
	}
	if killedInRefresh < kills/2 {
		t.Fatalf("only %d of %d kills were during a refresh", killedInRefresh, kills)
	}

	db, err := storage.Open(dir, &storage.Options{CompactionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Hour)
	for _, name := range []string{"ten", "seven", "minute", "all"} {
		if _, err := e.Refresh(context.Background(), name, now); err != nil {
			t.Fatal(err)
		}
	}
	defs := map[string]Definition{}
	for _, d := range propertyDefs() {
		defs[d.Name] = d
	}
	m := modelOf(t, db, "m")
	horizon := map[string][2]int64{}
	for name := range defs {
		horizon[name] = [2]int64{math.MinInt64, math.MaxInt64}
	}
	want := expected(defs, m, horizon)
	total := 0
	for name, d := range defs {
		got := dump(t, db, "", d.Target, time.Second)
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s after %d kills:\ngot\n\t%s\nwant\n\t%s", name, kills, strings.Join(got, "\n\t"), strings.Join(want[name], "\n\t"))
		}
		total += len(got)
	}
	if total == 0 {
		t.Fatal("nothing was materialized")
	}
	t.Logf("%d kills (%d during a refresh), %d target points checked", kills, killedInRefresh, total)
}

// modelOf reads a measurement of db into a model.
func modelOf(t testing.TB, db *storage.DB, measurement string) *srcModel {
	t.Helper()
	m := &srcModel{series: map[string]*modelSeries{}}
	series, err := db.Series("db", "", measurement, nil)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := db.FieldKeys("db", "", measurement)
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, s := range series {
		for _, f := range fields {
			cols, err := r.ReadAll("db", "", s.ID, f.ID, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatal(err)
			}
			var pts []model.Point
			for i, ts := range cols.Times {
				pts = append(pts, model.Point{Measurement: measurement, Tags: s.Tags,
					Fields: []model.Field{{Key: f.Name, Value: cols.Value(i)}}, Time: ts})
			}
			m.write(pts)
		}
	}
	return m
}
