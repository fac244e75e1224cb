package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
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
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// A benchstat runs `go tool benchstat`, the module's tool dependency.
// `go tool` resolves and checks the tool on every call, which costs about
// a second on a busy machine; a page runs benchstat once per group, so
// the tool's binary is resolved once (go tool -n) and run directly.
type benchstat struct {
	r       Runner
	dir     string
	command []string // the binary, or "go tool benchstat" if it could not be resolved
}

// newBenchstat resolves benchstat for the module in dir.
func newBenchstat(ctx context.Context, r Runner, dir string) *benchstat {
	b := &benchstat{r: r, dir: dir, command: []string{"go", "tool", "benchstat"}}
	out, err := output(ctx, r, dir, "go", "tool", "-n", "benchstat")
	if path := strings.TrimSpace(string(out)); err == nil && path != "" && !strings.ContainsAny(path, " \n") {
		b.command = []string{path}
	}
	return b
}

// run runs benchstat with args. A failure to run it, or an error line
// ("benchstat: …") on its standard error, is an error; other standard
// error lines are warnings.
func (b *benchstat) run(ctx context.Context, args ...string) (BenchstatOutput, error) {
	var stdout, stderr bytes.Buffer
	err := b.r.Run(ctx, b.dir, &stdout, &stderr, b.command[0], append(b.command[1:len(b.command):len(b.command)], args...)...)
	out := BenchstatOutput{Args: args}
	if err != nil {
		return out, fmt.Errorf("%s: %w%s", out.Command(), err, indentTail(stderr.Bytes(), 20))
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

// runBenchstat runs `go tool benchstat args...` in dir once.
func runBenchstat(ctx context.Context, r Runner, dir string, args ...string) (BenchstatOutput, error) {
	return newBenchstat(ctx, r, dir).run(ctx, args...)
}

// stripLeadingConfig drops the config lines benchstat prints above its
// first table.
func stripLeadingConfig(text string) string {
	rest := text
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		if _, _, ok := parseConfigLine(line); !ok {
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

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]{}!#~^") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
