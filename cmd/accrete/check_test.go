package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemp writes a file in a temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckClean(t *testing.T) {
	path := writeTemp(t, "ok.rules", `type Department : <id: string, name: string>
type Employee : <id: string, deptId: string, salary: number>
Department(id: "d1", name: "Research")
rule dept_avg : {d: Department, avg_sal: AVG(e.salary)} / {e: Employee} / e.deptId == d.id ==> print("avg", d.id, avg_sal)
`)
	var out, errOut bytes.Buffer
	if code := runCheck([]string{path}, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d, stderr:\n%s", code, errOut.String())
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("unexpected output: stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestCheckReportsEveryDiagnostic(t *testing.T) {
	bad := writeTemp(t, "bad.rules", `type T : <id: string, n: number>
T(id: "a", n: "x")
U(id: 1)
rule r : {t: T, c: COUNT(s.id)} / {s: T} / t.n > 1 ==> print(t.id + t.n)
`)
	syntax := writeTemp(t, "syntax.rules", "type T : <id string>\nrule r : {t: T} ==> print(t.id\n")
	ok := writeTemp(t, "ok.rules", "type T : <id: string>\n")
	var out, errOut bytes.Buffer
	code := runCheck([]string{bad, ok, syntax}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	want := bad + ":2:15: field n of T is number, but the value is string\n" +
		bad + ":3:1: unknown type U\n" +
		bad + ":4:36: source s is not connected to the main variable t by join conditions\n" +
		bad + ":4:67: invalid operation +: mismatched types string and number\n" +
		syntax + ":1:14: expected ':' after the field name, found identifier string\n" +
		syntax + ":3:1: expected ',' or ')', found end of file\n"
	if errOut.String() != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", errOut.String(), want)
	}
	if out.Len() != 0 {
		t.Fatalf("stdout %q", out.String())
	}
}

func TestCheckUsageAndMissingFile(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runCheck(nil, &out, &errOut); code != 2 {
		t.Fatalf("no arguments: exit code %d, want 2", code)
	}
	if !strings.HasPrefix(errOut.String(), "usage: accrete check FILE...\n") {
		t.Fatalf("usage: %q", errOut.String())
	}
	errOut.Reset()
	if code := runCheck([]string{"-nope"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown flag: exit code %d, want 2", code)
	}
	errOut.Reset()
	missing := filepath.Join(t.TempDir(), "missing.rules")
	if code := runCheck([]string{missing}, &out, &errOut); code != 1 {
		t.Fatalf("missing file: exit code %d, want 1", code)
	}
	want := "accrete check: open " + missing + ": no such file or directory\n"
	if errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
}

func TestCheckIsACommand(t *testing.T) {
	path := writeTemp(t, "x.rules", "retract T(id: \"a\")\n")
	var out, errOut bytes.Buffer
	if code := run([]string{"check", path}, &out, &errOut); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if want := path + ":1:9: unknown type T\n"; errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
}
