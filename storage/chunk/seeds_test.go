package chunk

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/accretedb/accrete/model"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// TestFuzzSeeds keeps the seed corpora in testdata/fuzz equal to what
// fuzzSeeds generates; run it with -update-seeds after changing either.
func TestFuzzSeeds(t *testing.T) {
	for fuzzer, seeds := range fuzzSeeds(t) {
		for name, args := range seeds {
			path := filepath.Join("testdata", "fuzz", fuzzer, name)
			want := marshalSeed(args...)
			if *updateSeeds {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("seed %s is missing or stale (%v); run go test -run TestFuzzSeeds -update-seeds", path, err)
			}
		}
	}
}

// marshalSeed writes a seed in the "go test fuzz v1" corpus format.
func marshalSeed(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", a)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", a)
		default:
			panic(fmt.Sprintf("BUG: seed argument of type %T", a))
		}
	}
	return b.Bytes()
}

// seedTimes encodes n timestamps from start with the given gap for
// fuzzTimes.
func seedTimes(start int64, n int, gap uint64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(start))
	for range n - 1 {
		if gap <= 0xf8 {
			b = append(b, byte(gap-1))
		} else {
			b = append(b, 0xff)
			b = binary.LittleEndian.AppendUint64(b, gap-1)
		}
	}
	return b
}

func fuzzSeeds(t *testing.T) map[string]map[string][]any {
	regular := seedTimes(1451606400e9, 600, 10)
	huge := seedTimes(math.MinInt64, 4, 1<<62)
	one := seedTimes(-1, 1, 1)
	repeat := func(n int, pattern ...byte) []byte {
		return bytes.Repeat(pattern, n)
	}
	raw := func(vals ...uint64) []byte { // op 2: any 64 bits
		var b []byte
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(append(b, 2), v)
		}
		return b
	}
	seeds := map[string]map[string][]any{
		"FuzzChunkFloat": {
			"one":       {one, raw(math.Float64bits(1.5)), false},
			"specials":  {seedTimes(0, 6, 1), raw(0x7ff8000000000001, 0xfff0000000000000, 1<<63, 0, 0x7ff0000000000001, math.MaxUint64), true},
			"walk":      {regular, repeat(300, 1, 3, 5, 9), true},
			"small":     {huge, repeat(4, 3, 7), false},
			"unchanged": {regular, repeat(600, 0), true},
		},
		"FuzzChunkInt": {
			"one":      {one, raw(math.MaxInt64), false},
			"extremes": {seedTimes(0, 6, 1), raw(1<<63, math.MaxInt64, 1<<63, 0, math.MaxUint64, 1), true},
			"walk":     {regular, repeat(300, 1, 1, 1, 255), true},
			"steps":    {huge, repeat(2, 3, 0, 128, 3, 255, 127), false},
			"constant": {regular, repeat(600, 0), false},
		},
		"FuzzChunkUint": {
			"one":      {one, raw(math.MaxUint64), false},
			"extremes": {seedTimes(0, 5, 1), raw(math.MaxUint64, 0, math.MaxUint64, 1, 1<<63), true},
			"counter":  {regular, repeat(600, 1, 100), true},
		},
		"FuzzChunkString": {
			"one-empty":  {one, []byte{2}, false},
			"dictionary": {regular, append([]byte{1, 4, 'i', 'n', 'f', 'o', 1, 5, 'e', 'r', 'r', 'o', 'r'}, repeat(300, 0, 0, 0, 1)...), true},
			"plain":      {seedTimes(5, 4, 3), []byte{1, 3, 'a', '"', '\\', 1, 0, 2, 1, 2, 0xff, 0}, false},
		},
		"FuzzChunkBool": {
			"one":     {one, []byte{1}, false},
			"pattern": {regular, repeat(200, 1, 0, 0), true},
			"nine":    {seedTimes(-100, 9, 50), []byte{1, 1, 1, 1, 1, 1, 1, 1, 1}, false},
		},
		"FuzzDecode": {
			"empty":   {[]byte{}, false},
			"garbage": {[]byte("not a chunk at all"), true},
			"version": {[]byte{2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0}, false},
		},
	}
	// Valid chunks of every type, compressed or not, for FuzzDecode to
	// mutate.
	decodeSeeds := seeds["FuzzDecode"]
	for _, fuzzer := range []string{"FuzzChunkFloat", "FuzzChunkInt", "FuzzChunkUint", "FuzzChunkString", "FuzzChunkBool"} {
		typ := map[string]model.FieldType{"FuzzChunkFloat": model.TypeFloat, "FuzzChunkInt": model.TypeInteger,
			"FuzzChunkUint": model.TypeUnsigned, "FuzzChunkString": model.TypeString, "FuzzChunkBool": model.TypeBoolean}[fuzzer]
		for name, args := range seeds[fuzzer] {
			comp := NoCompression
			if args[2].(bool) {
				comp = Zstd
			}
			b, err := NewEncoder(&Options{Compression: comp}).AppendColumns(nil, fuzzColumns(typ, args[0].([]byte), args[1].([]byte)))
			if err != nil {
				t.Fatalf("seed %s/%s: %v", fuzzer, name, err)
			}
			decodeSeeds[typ.String()+"-"+name] = []any{b, false}
			decodeSeeds[typ.String()+"-"+name+"-truncated"] = []any{b[:len(b)*2/3], true}
		}
	}
	return seeds
}
