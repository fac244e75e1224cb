package main

import (
	"bytes"
	"strings"
	"testing"

	"iostrat/strategies"
)

// TestListVerbose: -v lists the same table, then each available
// strategy's knobs one per line, formatted by Knob.String, and no knob
// lands in the table.
func TestListVerbose(t *testing.T) {
	var plain, verbose bytes.Buffer
	if err := run(&plain, &bytes.Buffer{}, []string{"list"}); err != nil {
		t.Fatal(err)
	}
	if err := run(&verbose, &bytes.Buffer{}, []string{"list", "-v"}); err != nil {
		t.Fatal(err)
	}
	table, knobs, ok := strings.Cut(verbose.String(), "\n\n")
	if !ok || table+"\n" != plain.String() {
		t.Fatalf("list -v does not start with list's table:\n%s\nlist:\n%s", verbose.String(), plain.String())
	}
	if got, want := strings.Count(table, "\n")+1, len(strategies.Everything())+1; got != want {
		t.Errorf("table has %d lines, want %d (a header and one per strategy)", got, want)
	}
	info, err := describe(strategies.Everything()[0])
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString(strategies.Everything()[0].Name() + " knobs:\n")
	for _, k := range info.Knobs {
		want.WriteString("  " + k.String() + "\n")
	}
	if !strings.HasPrefix(knobs, want.String()) {
		t.Errorf("knobs of the first strategy:\n%s\nwant them to start with\n%s", knobs, want.String())
	}
}
