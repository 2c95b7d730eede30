package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

const messy = `// Departments.
type   Department:<id:string,name:string>
Department( id : "d1" , name:"R&D" )   // first
rule r:{d:Department}/d.name=="x"and not d.id!="y"==>print(d.id)
`

const canonical = `// Departments.
type Department : <id: string, name: string>
Department(id: "d1", name: "R&D") // first
rule r : {d: Department} / d.name == "x" AND NOT d.id != "y" ==> print(d.id)
`

func TestFmtPrintsCanonicalForm(t *testing.T) {
	path := writeTemp(t, "messy.rules", messy)
	var out, errOut bytes.Buffer
	if code := runFmt([]string{path}, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, errOut.String())
	}
	if out.String() != canonical {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out.String(), canonical)
	}
	if got, _ := os.ReadFile(path); string(got) != messy {
		t.Fatal("fmt without -w changed the file")
	}
}

func TestFmtWriteRewritesFiles(t *testing.T) {
	path := writeTemp(t, "messy.rules", messy)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"fmt", "-w", path}, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, errOut.String())
	}
	if out.Len() != 0 || errOut.Len() != 0 {
		t.Fatalf("unexpected output: stdout %q, stderr %q", out.String(), errOut.String())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != canonical {
		t.Fatalf("file:\n%s\nwant:\n%s", got, canonical)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("permissions %v, want 0600", info.Mode().Perm())
	}
	entries, err := os.ReadDir(strings.TrimSuffix(path, "messy.rules"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("directory should hold only the file: %v %v", entries, err)
	}
}

func TestFmtLeavesBrokenFilesAlone(t *testing.T) {
	broken := "type T : <id: string>\nrule r : {t: T} / t.id = \"a\" ==> print(t.id)\n"
	path := writeTemp(t, "broken.rules", broken)
	ok := writeTemp(t, "ok.rules", "type   T:<id:string>\n")
	var out, errOut bytes.Buffer
	if code := runFmt([]string{"-w", path, ok}, &out, &errOut); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if want := path + ":2:24: unexpected '=': use '==' to compare\n"; errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut.String(), want)
	}
	if got, _ := os.ReadFile(path); string(got) != broken {
		t.Fatal("fmt -w changed a file with syntax errors")
	}
	if got, _ := os.ReadFile(ok); string(got) != "type T : <id: string>\n" {
		t.Fatalf("the other file was not formatted: %q", got)
	}
	var usage bytes.Buffer
	if code := runFmt(nil, &out, &usage); code != 2 || !strings.HasPrefix(usage.String(), "usage: accrete fmt [-w] FILE...\n") {
		t.Fatalf("no arguments: exit code %d, stderr %q", code, usage.String())
	}
}
