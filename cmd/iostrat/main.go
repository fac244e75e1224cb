// Command iostrat lists the strategies, serves a protocol under any of
// them for outside load generators, drives load against any server, and
// builds the published benchmark report.
//
//	iostrat list [-v]
//	iostrat serve -strategy NAME [-proto http|echo|sink] [-addr HOST:PORT] [-loops N] [-trigger level|edge]
//	iostrat load [-addr HOST:PORT] [-proto http|echo] [-conns N] [-duration D] [-pipeline N | -rate R [-warmup D]] [-size N]
//	iostrat report [-quick] [-count N] [-bench REGEXP] [-seed N] [-out DIR] | -raw FILE [-out DIR]
//	iostrat version
//
// Run `iostrat help` for the commands and `iostrat help CMD` (or
// `iostrat CMD -h`) for a command's flags.
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
		{"serve", "serve HTTP/1.1 plaintext, echo or sink under a strategy until SIGINT/SIGTERM", runServe},
		{"load", "drive an echo or HTTP server, closed loop or open loop at a fixed rate", runLoad},
		{"report", "run the benchmarks and publish results/: tables, charts, comparison", runReport},
		{"agent", "run benchmark servers here for a remote client, on request, with a token", runAgent},
		{"version", "print the module version and the commit it was built from", runVersion},
	}
}

// run is the whole command, minus the process: it writes to stdout and
// stderr and returns the error main reports.
func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(stdout, args[1:])
	case "-version", "--version":
		return runVersion(stdout, stderr, args[1:])
	}
	if c, ok := lookup(args[0]); ok {
		return c.run(stdout, stderr, args[1:])
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// help prints the usage, or with a command name that command's usage,
// which is what the command prints for -h.
func help(stdout io.Writer, args []string) error {
	switch {
	case len(args) == 0:
		usage(stdout)
		return nil
	case len(args) > 1:
		return fmt.Errorf("help takes one command, got %q", args)
	}
	c, ok := lookup(args[0])
	if !ok {
		return fmt.Errorf("help: unknown command %q (run 'iostrat help' for the commands)", args[0])
	}
	return c.run(stdout, io.Discard, []string{"-h"})
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: iostrat <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'iostrat help <command>' or 'iostrat <command> -h' for a command's flags.")
}
