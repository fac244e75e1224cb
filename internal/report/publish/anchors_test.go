package publish

import (
	"bytes"
	"strings"
	"testing"

	"iostrat/internal/golden"
	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
)

// anchorsPage is the page of testdata/anchors.txt: strategies beside the
// plain-Go, Rust and C anchors, with gnet n/a.
func anchorsPage(t *testing.T) (*Page, []byte) {
	t.Helper()
	f, err := raw.Read(reporttest.GoldenPath("anchors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p := samplePage(t, f)
	return p, p.Markdown()
}

func TestMarkdownAnchorsGolden(t *testing.T) {
	_, md := anchorsPage(t)
	golden.Check(t, reporttest.GoldenPath("anchors.md.golden"), md)
}

// The anchors' columns come after the strategies', in italics, with
// their versions under the table; an anchor that could not be built says
// n/a and why; no anchor ever leads a row.
func TestMarkdownAnchorColumns(t *testing.T) {
	p, md := anchorsPage(t)
	page := string(md)
	for _, want := range []string{
		"| benchmark | cpus | unit | goroutine | futures | thread | *anchor-go* | *anchor-tokio-ct* | *anchor-rust-vtable* | *anchor-pthread* | leading group |",
		"*anchor-tokio-ct*, *anchor-rust-vtable*: tokio 1.24.2, rustc 1.95.0",
		"- `gnet`: n/a: go build -C anchors/gnet",
		"n/a: anchor-gnet skipped: anchor gnet: go build",
		"| futures ÷ *anchor-tokio-ct* | `Spawn/tasks=10000` | 1 | sec/task |",
		"| iocp_uring ÷ *anchor-liburing* | `Nop/batch=1` | 1 | sec/nop |",
		"| thread ÷ *anchor-pthread* | `Spawn/tasks=10000` | 1 | sec/task |",
		"make bench-report ANCHORS=1",
		"anchors/rust/build.sh anchors-bin",
		"  anchors-bin/rustanchor -bench Spawn -cpus 1 -benchtime 400x\n",
		"-iostrat.skip-impls=thread -iostrat.anchors\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, g := range p.Summary.Groups {
		for _, r := range g.Rows {
			for _, i := range r.Verdict.Leaders {
				if summary.IsAnchor(g.Strategies[i]) {
					t.Errorf("%s: anchor %s leads", r.Label(), g.Strategies[i])
				}
			}
			if v := r.Verdict; v.Kind != summary.NoData && summary.IsAnchor(g.Strategies[v.Best]) {
				t.Errorf("%s: anchor %s is best", r.Label(), g.Strategies[v.Best])
			}
		}
	}
	// rust-vtable's Spawn (55 ns) is below futures' (60 ns): the ratio
	// says so, and the row's verdict is still among the strategies.
	if !bytes.Contains(md, []byte("| futures ÷ *anchor-rust-vtable* | `Spawn/tasks=10000` | 1 | sec/task | 60")) {
		t.Error("no futures ÷ rust-vtable ratio row")
	}
}
