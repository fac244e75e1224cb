package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"iostrat"
	"iostrat/strategies"
)

// runList starts each strategy once to ask it what it is, so the listing
// says what really runs on this machine, not what should.
func runList(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print every knob of every strategy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("list takes no arguments, got %q", fs.Args())
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODEL\tBACKEND\tSTATUS")
	for _, s := range strategies.Everything() {
		info, err := describe(s)
		status := "ok"
		if err != nil {
			status = "unavailable: " + err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name(), orDash(info.Model), orDash(info.Backend), status)
		if *verbose && err == nil {
			for _, k := range info.Knobs {
				fmt.Fprintf(tw, "\t  %s\t\t\n", k)
			}
		}
	}
	return tw.Flush()
}

// describe starts s with default options and returns its Info.
func describe(s iostrat.Strategy) (iostrat.Info, error) {
	rt, err := s.Start(iostrat.Options{Logf: func(string, ...any) {}})
	if err != nil {
		return iostrat.Info{}, err
	}
	defer rt.Close()
	return rt.Info(), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
