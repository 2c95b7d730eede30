package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/accretedb/accrete/rete"
	"github.com/accretedb/accrete/rulelang"
)

// runRun implements "accrete run [-trace] [-batch] [-check] FILE...": it
// runs rules programs statement by statement through one engine and
// prints the output of the actions that fire.
//
// Output, on stdout: print writes its arguments separated by one space
// (strings raw, numbers in their shortest round-trip form without an
// exponent when 1e-6 <= |x| < 1e21, booleans true/false); a named action
// writes name(arg, ...) with strings quoted as Go's %q does. With -trace,
// every fire, update and withdrawal is also announced on a line starting
// with "# ", followed by the rule's explanation for the main fact
// (aggregate values, contributing facts, threshold results), each line
// starting with "#   ".
//
// The files run in order through one engine, as one program: each file is
// checked as a continuation of the files before it (rulelang's
// Program.Extend), so it sees their types and rules. When a file does not
// check, the diagnostics are printed on stderr and nothing runs. Runtime errors (a
// fact of a type not declared yet, a retraction of a missing key) are
// printed on stderr as file:line:col: message and the run continues with
// the next statement. The exit code is 0 when everything ran cleanly, 1
// after any error, and 2 for bad usage.
func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	trace := fs.Bool("trace", false, "also print fires, updates and withdrawals with the explanation of each activation")
	batch := fs.Bool("batch", false, "apply each run of consecutive facts and retractions as one step (default: each statement is a step)")
	check := fs.Bool("check", false, "recompute every activation from scratch after each step and stop on a mismatch (slow; for debugging the engine)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: accrete run [-trace] [-batch] [-check] FILE...")
		fmt.Fprintln(stderr, "Runs rules programs and prints the output of their actions.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	var progs []*rulelang.Program
	var prev *rulelang.Program
	failed := false
	for _, name := range fs.Args() {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "accrete run: %v\n", err)
			failed = true
			continue
		}
		f, err := rulelang.ParseFile(name, src)
		if err != nil {
			// Checking a file with syntax errors would only report
			// consequences of them.
			writeDiagnostics(stderr, err)
			failed = true
			continue
		}
		var p *rulelang.Program
		if prev == nil {
			p, err = rulelang.Check(f)
		} else {
			p, err = prev.Extend(f)
		}
		if err != nil {
			writeDiagnostics(stderr, err)
			failed = true
			continue
		}
		progs = append(progs, p)
		prev = p
	}
	if failed {
		return 1
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	e := rete.New(&rete.Options{Check: *check})
	e.Subscribe(func(ev rete.Event) {
		if *trace {
			writeTrace(out, e, &ev)
		}
		for _, a := range ev.Actions {
			out.WriteString(a.String())
			out.WriteByte('\n')
		}
	})
	code := 0
	opts := &rete.ExecOptions{
		Batch: *batch,
		Report: func(se *rete.StmtError) {
			out.Flush()
			fmt.Fprintln(stderr, se.Error())
			code = 1
		},
	}
	for _, p := range progs {
		if err := e.Exec(p, opts); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "accrete run: %v\n", err)
			return 1
		}
	}
	return code
}

// writeDiagnostics writes the diagnostics of a rulelang error, one per line.
func writeDiagnostics(w io.Writer, err error) {
	var list rulelang.ErrorList
	if !errors.As(err, &list) {
		fmt.Fprintf(w, "accrete run: %v\n", err)
		return
	}
	for _, d := range list {
		fmt.Fprintln(w, d.Error())
	}
}

// writeTrace announces an event and explains the activation.
func writeTrace(w *bufio.Writer, e *rete.Engine, ev *rete.Event) {
	fmt.Fprintf(w, "# %s %s", ev.Kind, ev.Rule)
	for _, f := range ev.Facts {
		if k := f.Key(); k.Type != rulelang.TypeInvalid {
			fmt.Fprintf(w, " %s", k)
		} else {
			fmt.Fprintf(w, " %s", f)
		}
	}
	w.WriteByte('\n')
	key := ev.Key()
	if key.Type == rulelang.TypeInvalid {
		return
	}
	x, err := e.Explain(ev.Rule, key)
	if err != nil {
		// The main fact is gone (a withdrawal after its retraction).
		return
	}
	lines := strings.Split(strings.TrimSuffix(x.String(), "\n"), "\n")
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "# %s\n", l)
	}
}
