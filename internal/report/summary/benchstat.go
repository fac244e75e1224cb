package summary

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
)

// BenchstatOutput is what one `go tool benchstat` run printed.
type BenchstatOutput struct {
	// Args are benchstat's arguments, for the page to show.
	Args []string
	// Text is benchstat's standard output without its leading config
	// lines (the page shows the provenance once).
	Text string
	// Warnings are benchstat's footnotes ("need >= 6 samples …") and
	// anything it printed on standard error, each once. benchstat exits
	// 0 on some errors, so these are checked rather than its status.
	Warnings []string
}

// Command is the benchstat command line, shell-quoted where needed.
func (b BenchstatOutput) Command() string {
	parts := []string{"go", "tool", "benchstat"}
	for _, a := range b.Args {
		parts = append(parts, process.Quote(a))
	}
	return strings.Join(parts, " ")
}

// A Benchstat runs `go tool benchstat`, the module's tool dependency.
// `go tool` resolves and checks the tool on every call, which takes
// longer than benchstat itself; a page runs benchstat once per group, so
// the tool's binary is resolved once (go tool -n) and run directly.
type Benchstat struct {
	r       process.Runner
	dir     string
	command []string // the binary, or "go tool benchstat" if it could not be resolved
}

// NewBenchstat resolves benchstat for the module in dir.
func NewBenchstat(ctx context.Context, r process.Runner, dir string) *Benchstat {
	b := &Benchstat{r: r, dir: dir, command: []string{"go", "tool", "benchstat"}}
	out, err := process.Output(ctx, r, dir, "go", "tool", "-n", "benchstat")
	if path := strings.TrimSpace(string(out)); err == nil && path != "" && !strings.ContainsAny(path, " \n") {
		b.command = []string{path}
	}
	return b
}

// Run runs benchstat with args. A failure to run it, or an error line
// ("benchstat: …") on its standard error, is an error; other standard
// error lines are warnings.
func (b *Benchstat) Run(ctx context.Context, args ...string) (BenchstatOutput, error) {
	var stdout, stderr bytes.Buffer
	err := b.r.Run(ctx, b.dir, &stdout, &stderr, b.command[0], append(b.command[1:len(b.command):len(b.command)], args...)...)
	out := BenchstatOutput{Args: args}
	if err != nil {
		return out, fmt.Errorf("%s: %w%s", out.Command(), err, process.Tail(stderr.Bytes(), 20))
	}
	for line := range strings.Lines(stderr.String()) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if msg, ok := strings.CutPrefix(line, "benchstat: "); ok {
			return out, fmt.Errorf("%s: %s", out.Command(), msg)
		}
		out.Warnings = appendUnique(out.Warnings, line)
	}
	out.Text = stripLeadingConfig(stdout.String())
	for _, w := range footnotes(out.Text) {
		out.Warnings = appendUnique(out.Warnings, w)
	}
	return out, nil
}

// stripLeadingConfig drops the config lines benchstat prints above its
// first table.
func stripLeadingConfig(text string) string {
	rest := text
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		if _, _, ok := raw.CutConfigLine(line); !ok {
			break
		}
		rest = after
	}
	return rest
}

// footnoteMarks are the superscript digits benchstat numbers its notes
// with.
const footnoteMarks = "⁰¹²³⁴⁵⁶⁷⁸⁹"

// footnotes returns the text of benchstat's footnote lines ("¹ need >= 6
// samples for confidence interval at level 0.95").
func footnotes(text string) []string {
	var notes []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		mark := strings.TrimLeft(line, footnoteMarks)
		if mark != line && strings.HasPrefix(mark, " ") {
			notes = appendUnique(notes, strings.TrimSpace(mark))
		}
	}
	return notes
}
