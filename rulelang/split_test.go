package rulelang

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseInParts parses src cut into about n parts, however small.
func parseInParts(filename string, src []byte, n int) (*File, error) {
	bounds := splitPoints(src, n)
	if len(bounds) <= 2 {
		return parseWhole(filename, src)
	}
	return parseChunks(filename, src, bounds)
}

// checkSameAsWhole asserts that parsing src in n parts gives exactly the
// file (statements, positions, comments, line table) and diagnostics of
// parsing it in one piece.
func checkSameAsWhole(t *testing.T, name string, src []byte, n int) {
	t.Helper()
	want, werr := parseWhole(name, src)
	got, gerr := parseInParts(name, src, n)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("%s in %d parts: diagnostics differ\n--- whole\n%v\n--- in parts\n%v", name, n, werr, gerr)
	}
	if !reflect.DeepEqual(want.lines, got.lines) {
		t.Fatalf("%s in %d parts: line tables differ", name, n)
	}
	if d := treeDiff(want, got); d != "" {
		t.Fatalf("%s in %d parts: trees differ: %s", name, n, d)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s in %d parts: files differ (positions?)", name, n)
	}
}

func TestSplitPoints(t *testing.T) {
	src := []byte("type T : <id: string>\nT(id: \"a\")\n  T(id: \"b\")\nrule r : {t: T}\nx.y\nretract T(id: \"a\")\nT (id: \"c\")\n")
	var starts []string
	for _, b := range splitPoints(src, 100)[1:] {
		if b < len(src) {
			line, _, _ := strings.Cut(string(src[b:]), "\n")
			starts = append(starts, line)
		}
	}
	want := []string{`T(id: "a")`, `rule r : {t: T}`, `retract T(id: "a")`}
	if !reflect.DeepEqual(starts, want) {
		t.Fatalf("cut before %q, want %q", starts, want)
	}
}

func TestParseInPartsMatchesWhole(t *testing.T) {
	var inputs []string
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(path, "fuzz") {
			inputs = append(inputs, path)
		}
		return err
	})
	if err != nil || len(inputs) < 5 {
		t.Fatalf("testdata: %v, %d files", err, len(inputs))
	}
	for _, path := range inputs {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n := 2; n <= 9; n++ {
			checkSameAsWhole(t, path, src, n)
		}
	}
	for n := 2; n <= 9; n++ {
		checkSameAsWhole(t, "bench.rules", benchProgram(40, 400), n)
	}
}

// TestParseInPartsMutated cuts damaged programs: syntax errors, block
// comments and rules spanning the cuts, statements starting mid-line, a
// byte order mark.
func TestParseInPartsMutated(t *testing.T) {
	base := strings.SplitAfter(string(benchProgram(24, 120)), "\n")
	snippets := []string{
		"/* block\nrule hidden : {x: X}\nT(a: 1)\n*/\n",
		"rule broken : {e: Employee} / e.salary >\n",
		"Employee(id: \"x\", deptId: \"d1\"\n",
		"e.deptId == d.id\n",
		"retract Employee(id: \"e9\")\n",
		"retract\n",
		"\"unterminated\n",
		"x = 1\n",
		"// comment\n",
		"type Extra : <id: string>\n",
		"rule\nlate : {e: Employee} ==> print(e.id)\n",
		"Employee(\n",
		"@\n",
		"rule q : {e: Employee}\n/ e.salary > 1\n==> print(e.id)\n",
		"/* unterminated\n",
	}
	rng := rand.New(rand.NewPCG(6, 50))
	for round := 0; round < 200; round++ {
		lines := append([]string(nil), base...)
		for k := rng.IntN(4); k >= 0; k-- {
			i := rng.IntN(len(lines))
			switch rng.IntN(3) {
			case 0:
				lines[i] = snippets[rng.IntN(len(snippets))] + lines[i]
			case 1:
				if l := lines[i]; len(l) > 1 {
					j := rng.IntN(len(l) - 1)
					lines[i] = l[:j] + l[j+1:]
				}
			case 2:
				lines[i] = strings.TrimSuffix(lines[i], "\n") + " "
			}
		}
		src := strings.Join(lines, "")
		if round%50 == 0 {
			src = "\xEF\xBB\xBF" + src
		}
		for _, n := range []int{2, 3, 7} {
			checkSameAsWhole(t, fmt.Sprintf("round%d.rules", round), []byte(src), n)
		}
	}
}

// checkInParts checks f with its statements cut into n parts.
func checkInParts(f *File, n int) (*Program, error) {
	defer func(saved func(int) int) { checkPartsFor = saved }(checkPartsFor)
	checkPartsFor = func(int) int { return n }
	return Check(f)
}

// TestCheckInPartsMatchesWhole checks files with and without errors in
// parts and compares programs and diagnostics with checking them whole.
func TestCheckInPartsMatchesWhole(t *testing.T) {
	files, err := filepath.Glob("testdata/*.rules")
	if err != nil || len(files) < 3 {
		t.Fatalf("testdata: %v, %d files", err, len(files))
	}
	srcs := map[string][]byte{"bench.rules": benchProgram(40, 400)}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		srcs[name] = src
	}
	// Duplicate rules and bad facts in different parts.
	dup := string(benchProgram(8, 200))
	srcs["dup.rules"] = []byte(dup + "rule multi_0 : {e: Employee} ==> print(e.id)\nEmployee(id: 1)\n" +
		dup[strings.Index(dup, "\nDepartment(")+1:])
	for name, src := range srcs {
		// Check whatever parsed, syntax errors or not.
		f, _ := ParseFile(name, src)
		want, werr := checkInParts(f, 1)
		for n := 2; n <= 6; n++ {
			got, gerr := checkInParts(f, n)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("%s in %d parts: diagnostics differ\n--- whole\n%v\n--- in parts\n%v", name, n, werr, gerr)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s in %d parts: programs differ", name, n)
			}
		}
		if name == "dup.rules" && !strings.Contains(fmt.Sprint(werr), "duplicate rule multi_0") {
			t.Fatalf("dup.rules: %v", werr)
		}
	}
}

// TestLargeFileInParts runs ParseFile and Check on a file large enough to
// be cut on this machine (with two processors or more) and compares with
// the whole.
func TestLargeFileInParts(t *testing.T) {
	src := benchProgram(2000, 20000)
	if len(src) < 2*minPartSize {
		t.Fatalf("file of %d bytes is too small to be cut", len(src))
	}
	if numParts(len(src)) > 1 && len(splitPoints(src, numParts(len(src)))) < 3 {
		t.Fatal("no cut found in the generated file")
	}
	got, err := ParseFile("big.rules", src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := parseWhole("big.rules", src)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatal("ParseFile differs from parsing in one piece")
	}
	prog, err := Check(got)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := checkInParts(want, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(prog, whole) || len(prog.Stmts) != 3+20000+2000 {
		t.Fatalf("Check differs from checking in one piece (%d statements)", len(prog.Stmts))
	}
}
