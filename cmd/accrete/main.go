// Command accrete is the accrete time-series database and rule engine.
//
// Usage:
//
//	accrete <command> [flags] [arguments]
//
// Each command has its own flags; `accrete <command> -h` lists them.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: run parses its own flags from args and returns
// the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the database server", runServe},
		"version": {"print the version", runVersion},
		"run":     {"run a rules program and print its actions", runRun},
		"check":   {"check rules files and report errors as file:line:col", runCheck},
		"fmt":     {"print rules files in canonical form (-w rewrites them)", runFmt},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "accrete: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: accrete <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}
