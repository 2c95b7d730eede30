package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateRun = flag.Bool("update-run", false, "rewrite the golden files of testdata/run")

// TestRunGolden runs every testdata/run/*.rules file through accrete run
// and compares stdout with the .out file, stderr with the .err file (empty
// when missing) and the exit code with the one the .err file implies (1
// when it is not empty). A first line "// run: FLAGS" gives extra flags.
func TestRunGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/run/*.rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, file := range files {
		name := strings.TrimSuffix(file, ".rules")
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"-check"}
			if first, _, _ := strings.Cut(string(src), "\n"); strings.HasPrefix(first, "// run:") {
				args = append(args, strings.Fields(strings.TrimPrefix(first, "// run:"))...)
			}
			args = append(args, file)
			var stdout, stderr bytes.Buffer
			code := runRun(args, &stdout, &stderr)
			if *updateRun {
				writeGolden(t, name+".out", stdout.String())
				writeGolden(t, name+".err", stderr.String())
				return
			}
			wantOut := readGolden(t, name+".out")
			wantErr := readGolden(t, name+".err")
			if got := stdout.String(); got != wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
			}
			if got := stderr.String(); got != wantErr {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, wantErr)
			}
			wantCode := 0
			if wantErr != "" {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
		})
	}
}

func readGolden(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeGolden(t *testing.T, path, content string) {
	t.Helper()
	if content == "" {
		os.Remove(path)
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunExamplesExact pins the output of shared/EXAMPLES.md §1 and §2
// literally, independent of the golden files.
func TestRunExamplesExact(t *testing.T) {
	f := func(file, want string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := runRun([]string{file}, &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit code %d, stderr:\n%s", file, code, stderr.String())
		}
		if got := stdout.String(); got != want {
			t.Errorf("%s: output:\n%s\nwant:\n%s", file, got, want)
		}
	}
	f("testdata/run/example1.rules", "dept d1 60000 80\n"+
		"dept d2 30000 95\n"+
		"dept d1 50000 80\n"+
		"dept d1 50000 85\n"+
		"dept d1 43333.333333333336 87\n")
	f("testdata/run/example2.rules", "understaffed d1 1\nunderstaffed d2 0\n")
}

// TestRunSeveralFiles runs files through one engine: later files use the
// types and rules of earlier ones; redeclaring a type is a diagnostic, and
// then nothing runs.
func TestRunSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := write("a.rules", `type Employee : <id: string, deptId: string, salary: number>
Employee(id: "e1", deptId: "d1", salary: 10)
rule big : {e: Employee} / e.salary > 100 ==> big(e.id, e.salary)
`)
	b := write("b.rules", `Employee(id: "e1", deptId: "d1", salary: 500)
retract Employee(id: "e2")
type Department : <id: string>
rule staffed : {d: Department, n: COUNT(e.id)} / {e: Employee} / e.deptId == d.id ==> print(d.id, n)
Department(id: "d1")
`)
	c := write("c.rules", `type Employee : <id: string, salary: number>
`)
	f := func(files []string, wantCode int, wantOut, wantErr string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := runRun(files, &stdout, &stderr)
		if got := stdout.String(); got != wantOut {
			t.Errorf("%v: output %q, want %q", files, got, wantOut)
		}
		if got := stderr.String(); got != wantErr {
			t.Errorf("%v: stderr:\n%s\nwant:\n%s", files, got, wantErr)
		}
		if code != wantCode {
			t.Errorf("%v: exit code %d, want %d", files, code, wantCode)
		}
	}
	f([]string{a, b}, 1, "big(\"e1\", 500)\nd1 1\n", b+":2:1: cannot retract Employee(id: \"e2\"): no such fact\n")
	f([]string{a, c, b}, 1, "", c+":1:6: duplicate type Employee (first declared at "+a+":1:6)\n")
}

// TestRunUsage checks the exit codes of bad invocations.
func TestRunUsage(t *testing.T) {
	f := func(args []string, wantCode int, wantErr string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := runRun(args, &stdout, &stderr); code != wantCode {
			t.Errorf("%v: exit code %d, want %d", args, code, wantCode)
		}
		if !strings.Contains(stderr.String(), wantErr) {
			t.Errorf("%v: stderr %q does not contain %q", args, stderr.String(), wantErr)
		}
	}
	f(nil, 2, "usage: accrete run")
	f([]string{"-nope", "x.rules"}, 2, "flag provided but not defined")
	f([]string{"testdata/run/missing.rules"}, 1, "no such file")
	f([]string{"testdata/run/bad.rules.txt"}, 1, "bad.rules.txt:2:")
}
