package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/accretedb/accrete/rulelang"
)

// runCheck implements "accrete check FILE...": it parses and checks rules
// files and prints every diagnostic as file:line:col: message on stderr.
// The exit code is 0 when all files are clean, 1 when any has a diagnostic
// or cannot be read, and 2 for bad usage.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: accrete check FILE...")
		fmt.Fprintln(stderr, "Checks rules files and reports every error as file:line:col: message.")
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
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "accrete check: %v\n", err)
			code = 1
			continue
		}
		if _, err := rulelang.Compile(name, src); err != nil {
			printDiagnostics(stderr, "check", err)
			code = 1
		}
	}
	return code
}

// printDiagnostics writes the diagnostics of a rulelang error, one per line.
func printDiagnostics(w io.Writer, cmd string, err error) {
	var list rulelang.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintf(w, "accrete %s: %v\n", cmd, err)
		return
	}
	for _, d := range list {
		fmt.Fprintln(w, d.Error())
	}
}
