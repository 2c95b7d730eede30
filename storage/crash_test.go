package storage

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
)

// The crash test re-executes the test binary as a child that writes
// batches in DurabilityEveryWrite mode, printing "ack N" after batch N's
// Write returned, while background compaction runs. The parent kills it
// with SIGKILL at a random moment, reopens the directory and checks that
// every acknowledged batch is entirely present and that no batch is
// partially present (data and its metadata key alike).

const (
	crashEnv       = "ACCRETE_STORAGE_CRASH_DIR"
	crashSeries    = 5
	crashPoints    = 4 // per series and batch
	crashFields    = 2
	crashBatchVals = crashSeries * crashPoints * crashFields
)

func crashOptions() *Options {
	return &Options{
		Durability:         DurabilityEveryWrite,
		PartitionDuration:  time.Minute,
		CompactionDelay:    time.Nanosecond,
		CompactionInterval: 3 * time.Millisecond,
		MaxBlocks:          8,
		MaxChunkPoints:     64,
	}
}

// crashBatch returns the points of batch n: times n seconds plus j ms, so
// a partition holds 60 batches.
func crashBatch(n int) []model.Point {
	var pts []model.Point
	for s := range crashSeries {
		for j := range crashPoints {
			pts = append(pts, pt("crash", int64(n)*int64(time.Second)+int64(j)*int64(time.Millisecond),
				[]string{"host", fmt.Sprintf("h%d", s)},
				fv("v", model.Int(int64(n))), fv("w", model.Float(float64(n)+0.5))))
		}
	}
	return pts
}

func crashMetaKey(n int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

// crashChild writes batches forever from the first number not stored.
func crashChild(dir string) {
	db, err := Open(dir, crashOptions())
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	if err := db.CreateDatabase("db"); err != nil {
		fmt.Println("create:", err)
		os.Exit(2)
	}
	next := 0
	_ = db.IterMeta("crash", nil, func(k, _ []byte) error {
		next = max(next, int(binary.BigEndian.Uint64(k))+1)
		return nil
	})
	for n := next; ; n++ {
		b := db.NewBatch()
		if err := b.Write("db", "", crashBatch(n)); err != nil {
			fmt.Println("write:", err)
			os.Exit(2)
		}
		_ = b.SetMeta("crash", crashMetaKey(n), []byte("done"))
		if err := b.Commit(); err != nil {
			fmt.Println("commit:", err)
			os.Exit(2)
		}
		fmt.Printf("ack %d\n", n)
	}
}

func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	kills := 25
	if testing.Short() {
		kills = 8
	}
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := map[int]bool{}
	deadline := time.Now().Add(45 * time.Second)
	for kill := 0; kill < kills && time.Now().Before(deadline); kill++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Wait for the first ack, then kill after a random delay.
		killAt := time.Duration(5+r.IntN(150)) * time.Millisecond
		var timer <-chan time.Time
		start := time.After(20 * time.Second)
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				n, found := strings.CutPrefix(line, "ack ")
				if !found {
					t.Fatalf("child: %s", line)
				}
				v, err := strconv.Atoi(n)
				if err != nil {
					t.Fatalf("child: %s", line)
				}
				acked[v] = true
				if timer == nil {
					timer = time.After(killAt)
				}
			case <-timer:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				timer = nil
				for line := range lines { // drain what was printed before death
					if n, ok := strings.CutPrefix(line, "ack "); ok {
						v, _ := strconv.Atoi(n)
						acked[v] = true
					}
				}
				break read
			case <-start:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				t.Fatal("child acknowledged nothing in 20s")
			}
		}
		_ = cmd.Wait()
		verifyCrashDir(t, dir, acked, kill)
	}
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged")
	}
	t.Logf("%d kills, %d acknowledged batches", kills, len(acked))
}

// verifyCrashDir reopens dir and checks the batches stored in it.
func verifyCrashDir(t *testing.T, dir string, acked map[int]bool, kill int) {
	t.Helper()
	opts := crashOptions()
	opts.CompactionInterval = -1
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", kill, err)
	}
	defer db.Close()
	if err := checkConsistency(db); err != nil {
		t.Fatalf("kill %d: %v", kill, err)
	}
	counts := map[int]int{}
	series, err := db.Series("db", "", "crash", nil)
	if err != nil {
		if len(acked) == 0 {
			return
		}
		t.Fatalf("kill %d: %v", kill, err)
	}
	r, err := db.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, s := range series {
		for _, f := range []string{"v", "w"} {
			fi, ok, _ := db.Field("db", "", "crash", f)
			if !ok {
				t.Fatalf("kill %d: field %s missing", kill, f)
			}
			cols, err := r.ReadAll("db", "", s.ID, fi.ID, math.MinInt64, math.MaxInt64)
			if err != nil {
				t.Fatalf("kill %d: %v", kill, err)
			}
			for i, ts := range cols.Times {
				n := int(ts / int64(time.Second))
				want := model.Int(int64(n))
				if f == "w" {
					want = model.Float(float64(n) + 0.5)
				}
				if !cols.Value(i).Equal(want) {
					t.Fatalf("kill %d: %s %s @%d = %v, want %v", kill, s.Key, f, ts, cols.Value(i), want)
				}
				counts[n]++
			}
		}
	}
	meta := map[int]bool{}
	_ = db.IterMeta("crash", nil, func(k, _ []byte) error {
		meta[int(binary.BigEndian.Uint64(k))] = true
		return nil
	})
	for n, c := range counts {
		if c != crashBatchVals {
			t.Fatalf("kill %d: batch %d is partially present: %d of %d values", kill, n, c, crashBatchVals)
		}
		if !meta[n] {
			t.Fatalf("kill %d: batch %d has data but not its metadata key", kill, n)
		}
	}
	for n := range meta {
		if counts[n] == 0 {
			t.Fatalf("kill %d: batch %d has its metadata key but no data", kill, n)
		}
	}
	for n := range acked {
		if counts[n] != crashBatchVals {
			t.Fatalf("kill %d: acknowledged batch %d has %d of %d values", kill, n, counts[n], crashBatchVals)
		}
	}
}
