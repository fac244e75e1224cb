// Command iostrat lists the strategies, serves a protocol under any of
// them for outside load generators, drives load against any server, and
// builds the published benchmark report.
//
//	iostrat list
//	iostrat serve -strategy NAME -proto echo|http [-addr HOST:PORT] [-loops N] [-trigger level|edge]
//	iostrat load -addr HOST:PORT -proto http|echo [-conns N] [-pipeline N] [-rate R] [-duration D]
//	iostrat report [-quick] [-count N] [-bench REGEXP] [-out DIR] | -raw FILE
//
// Run `iostrat help` for every command and flag.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Stdout, os.Stderr, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "iostrat:", err)
		os.Exit(1)
	}
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(stdout, stderr io.Writer, args []string) error
}

func commands() []command {
	return []command{
		{"list", "list the strategies, their backends and whether they run here", runList},
		{"serve", "serve echo or HTTP/1.1 plaintext under a strategy until SIGINT/SIGTERM", runServe},
		{"load", "drive an echo or HTTP server, closed loop or open loop at a fixed rate", runLoad},
		{"report", "run the benchmarks and publish results/: tables, charts, comparison", runReport},
	}
}

// run is the whole command, minus the process: it writes to stdout and
// stderr and returns the error main reports.
func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("no command given")
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(stdout, stderr, args[1:])
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: iostrat <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'iostrat <command> -h' for a command's flags.")
}
