package influxcompat

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accretedb/accrete/model"
	"github.com/accretedb/accrete/storage"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of testdata scripts (review the diff!)")

// The scripts in testdata/ drive a fresh database per file. Each block is a
// command line, an input, a line "----" and the expected output, ended by
// an empty line:
//
//	write [db=NAME] [rp=NAME] [precision=s]
//	cpu,host=a v=1 0
//	----
//	ok
//
//	query [db=NAME] [rp=NAME] [epoch=UNIT] [chunk=N] [now=RFC3339] [readonly=true]
//	SELECT mean(v) FROM cpu
//	----
//	{"statement_id":0,"series":[...]}
//
// A query's output has one line per emitted result, or "parse error: ..."
// when the query does not parse. now defaults to 2016-01-02T00:00:00Z; db
// to "db", which every script starts with.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScript(t, f) })
	}
}

type scriptBlock struct {
	line     int
	cmd      string
	args     map[string]string
	input    string
	expected string
}

func parseScript(t *testing.T, path string) []scriptBlock {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []scriptBlock
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<24)
	n := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		n++
		return sc.Text(), true
	}
	for {
		line, ok := next()
		if !ok {
			break
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b := scriptBlock{line: n, args: map[string]string{}}
		fields := strings.Fields(line)
		b.cmd = fields[0]
		for _, a := range fields[1:] {
			k, v, _ := strings.Cut(a, "=")
			b.args[k] = v
		}
		var in []string
		for {
			l, ok := next()
			if !ok {
				t.Fatalf("%s:%d: block without ----", path, b.line)
			}
			if l == "----" {
				break
			}
			in = append(in, l)
		}
		b.input = strings.Join(in, "\n")
		var out []string
		for {
			l, ok := next()
			if !ok || l == "" {
				break
			}
			out = append(out, l)
		}
		b.expected = strings.Join(out, "\n")
		blocks = append(blocks, b)
	}
	return blocks
}

func runScript(t *testing.T, path string) {
	blocks := parseScript(t, path)
	store := openStore(t)
	e := NewExecutor(store, nil)
	changed := false
	for i := range blocks {
		b := &blocks[i]
		got := runBlock(t, store, e, b)
		if got != b.expected {
			if *rewrite {
				b.expected = got
				changed = true
				continue
			}
			t.Errorf("%s:%d: %s %s\n%s\ngot:\n%s\nwant:\n%s", path, b.line, b.cmd, b.args, b.input, got, b.expected)
		}
	}
	if changed {
		var sb strings.Builder
		for i, b := range blocks {
			if i > 0 {
				sb.WriteString("\n")
			}
			sb.WriteString(b.cmd)
			for _, k := range sortedKeys(b.args) {
				fmt.Fprintf(&sb, " %s=%s", k, b.args[k])
			}
			fmt.Fprintf(&sb, "\n%s\n----\n%s\n", b.input, b.expected)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// openStore opens a storage engine in a temporary directory with database
// "db".
func openStore(t testing.TB) *storage.DB {
	t.Helper()
	db, err := storage.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := db.CreateDatabase("db"); err != nil {
		t.Fatal(err)
	}
	return db
}

var scriptNow = time.Date(2016, 1, 2, 0, 0, 0, 0, time.UTC)

func runBlock(t *testing.T, store *storage.DB, e *Executor, b *scriptBlock) string {
	db := b.args["db"]
	if db == "" {
		db = "db"
	}
	switch b.cmd {
	case "write":
		prec := model.Nanosecond
		if p, ok := b.args["precision"]; ok {
			var err error
			if prec, err = model.ParsePrecision(p); err != nil {
				t.Fatalf("line %d: %v", b.line, err)
			}
		}
		pts, err := model.ParseLines([]byte(b.input), model.ParseOptions{Precision: prec, Now: scriptNow.UnixNano()})
		if err != nil {
			return "error: " + err.Error()
		}
		if err := store.Write(db, b.args["rp"], pts); err != nil {
			return "error: " + err.Error()
		}
		return "ok"
	case "query":
		opts := Options{Database: db, RetentionPolicy: b.args["rp"], Epoch: b.args["epoch"], ReadOnly: b.args["readonly"] == "true"}
		if b.args["db"] == "none" {
			opts.Database = ""
		}
		if c, ok := b.args["chunk"]; ok {
			opts.ChunkSize, _ = strconv.Atoi(c)
		}
		now := scriptNow
		if s, ok := b.args["now"]; ok {
			var err error
			if now, err = time.Parse(time.RFC3339Nano, s); err != nil {
				t.Fatalf("line %d: %v", b.line, err)
			}
		}
		opts.Now = func() time.Time { return now }
		var out []string
		err := e.Execute(context.Background(), b.input, opts, func(r *Result) error {
			j, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("line %d: %v", b.line, err)
			}
			out = append(out, string(j))
			return nil
		})
		if err != nil {
			out = append(out, "parse error: "+err.Error())
		}
		return strings.Join(out, "\n")
	}
	t.Fatalf("line %d: unknown command %q", b.line, b.cmd)
	return ""
}
