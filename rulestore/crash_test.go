package rulestore

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/storage"
)

// crashProgram counts the items of each batch; a batch with fewer than
// crashItems items would be a step applied in part.
const crashProgram = `type Batch : <id: number>
type Item : <id: string, batch: number>
rule partial : {b: Batch, n: COUNT(i.id)} / {i: Item} / i.batch == b.id AND n != 20 ==> partial(b.id, n)
`

const crashItems = 20

// crashChildEnv names the data directory of the child process of
// TestCrashLosesNothingAcknowledged.
const crashChildEnv = "ACCRETE_RULESTORE_CRASH_DIR"

// TestCrashChild is the child process of TestCrashLosesNothingAcknowledged:
// it posts batches as fast as it can and prints "ack N" once batch N is
// acknowledged, until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestCrashLosesNothingAcknowledged")
	}
	db, err := storage.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ensure("crash", []byte(crashProgram)); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	for k := 0; ; k++ {
		var b strings.Builder
		fmt.Fprintf(&b, "Batch(id: %d)\n", k)
		for i := range crashItems {
			fmt.Fprintf(&b, "Item(id: \"%d-%d\", batch: %d)\n", k, i, k)
		}
		changes, err := s.ParseFacts([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Step(changes); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "ack %d\n", k)
		out.Flush()
	}
}

// TestCrashLosesNothingAcknowledged kills a process that is storing steps
// at a random moment: after a restart, every acknowledged step is there,
// and every step is there whole or not at all.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for round := range 3 {
		dir := filepath.Join(t.TempDir(), "data")
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := -1
		sc := bufio.NewScanner(stdout)
		kill := time.Now().Add(time.Duration(300+round*200) * time.Millisecond)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked, _ = strconv.Atoi(n)
			}
			if time.Now().After(kill) && acked >= 3 {
				break
			}
		}
		cmd.Process.Kill()
		for sc.Scan() { // acknowledgements written before the kill
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				acked, _ = strconv.Atoi(n)
			}
		}
		cmd.Wait()
		if acked < 3 {
			t.Fatalf("round %d: child acknowledged only %d batches", round, acked+1)
		}

		db, err := storage.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(db, &Options{Check: true})
		if err != nil {
			t.Fatal(err)
		}
		batches, nb, _ := s.Facts("Batch", 0)
		_, ni, _ := s.Facts("Item", 0)
		if nb <= acked || ni != nb*crashItems {
			t.Errorf("round %d: %d batches and %d items after %d acknowledged batches", round, nb, ni, acked+1)
		}
		for i, b := range batches {
			if b.Values[0].Num != float64(i) {
				t.Errorf("round %d: batch %d is %v", round, i, b)
			}
		}
		if acts, err := s.Activations(""); err != nil || len(acts) != 0 {
			t.Errorf("round %d: partial batches: %v %v", round, acts, err)
		}
		t.Logf("round %d: %d batches acknowledged, %d stored", round, acked+1, nb)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
