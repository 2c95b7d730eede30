package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/accretedb/accrete/rulelang"
)

// runFmt implements "accrete fmt [-w] FILE...": it prints the canonical form
// of rules files on stdout or, with -w, rewrites the files that are not in
// canonical form. A file with syntax errors is reported on stderr and left
// alone. The exit code is 0 on success, 1 when any file could not be
// formatted, and 2 for bad usage.
func runFmt(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: accrete fmt [-w] FILE...")
		fmt.Fprintln(stderr, "Prints rules files in canonical form.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, name := range fs.Args() {
		if err := formatFile(name, *write, stdout); err != nil {
			printDiagnostics(stderr, "fmt", err)
			code = 1
		}
	}
	return code
}

func formatFile(name string, write bool, stdout io.Writer) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	f, err := rulelang.ParseFile(name, src)
	if err != nil {
		return err
	}
	out := rulelang.Format(f)
	if !write {
		_, err := stdout.Write(out)
		return err
	}
	if bytes.Equal(src, out) {
		return nil
	}
	return writeFileAtomic(name, out)
}

// writeFileAtomic replaces the file name with data, keeping its permissions:
// it writes a temporary file next to it and renames it over the original,
// so that a failure leaves the original intact.
func writeFileAtomic(name string, data []byte) error {
	info, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".accrete-fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
