package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"iostrat"
	"iostrat/strategies"
)

// runList starts each strategy once to ask it what it is, so the listing
// says what really runs on this machine, not what should.
func runList(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("list", []string{"iostrat list [-v]"},
		"Starts every strategy once with its default options and prints its name,\n"+
			"model, backend and whether it runs on this machine; with -v, then every\n"+
			"knob of each, one per line.")
	verbose := fs.Bool("v", false, "also print every knob of every strategy, one per line")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return err
	}
	type described struct {
		info iostrat.Info
		err  error
	}
	var all []described
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMODEL\tBACKEND\tSTATUS")
	for _, s := range strategies.Everything() {
		info, err := describe(s)
		status := "ok"
		if err != nil {
			status = "unavailable: " + err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name(), orDash(info.Model), orDash(info.Backend), status)
		info.Name = s.Name()
		all = append(all, described{info, err})
	}
	if err := tw.Flush(); err != nil || !*verbose {
		return err
	}
	// Knob values can be long: each gets a line of its own, after the
	// table, so none widens a column.
	for _, d := range all {
		if d.err != nil {
			continue
		}
		fmt.Fprintf(stdout, "\n%s knobs:\n", d.info.Name)
		for _, k := range d.info.Knobs {
			fmt.Fprintf(stdout, "  %s\n", k)
		}
	}
	return nil
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
