package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PublishOptions configure rendering a raw file into the results page.
type PublishOptions struct {
	// ModuleDir is the root of the iostrat module, where `go tool
	// benchstat` runs.
	ModuleDir string
	// OutDir is the results directory: README.md and the charts go
	// there, and the previous run is looked for in OutDir/raw.
	OutDir string
	// RawPath is the raw file to render.
	RawPath string
	// Runner runs benchstat; nil means ExecRunner.
	Runner Runner
	// Stdout receives the outcome: files written, regressions and
	// improvements. Stderr receives warnings.
	Stdout, Stderr io.Writer
}

// Publish renders a raw file into OutDir: README.md, the charts, and the
// comparison with the previous run. Warnings (lines of the raw file that
// did not parse, benchstat's notes about too few samples) go to Stderr
// and onto the page; only failures to read, run benchstat or write are
// errors.
func Publish(ctx context.Context, o PublishOptions) (*Page, error) {
	if o.Runner == nil {
		o.Runner = ExecRunner{}
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	raw, err := ReadRaw(o.RawPath)
	if err != nil {
		return nil, err
	}
	for _, w := range raw.Warnings {
		fmt.Fprintf(o.Stderr, "report: warning: %v\n", w)
	}
	if len(raw.Results) == 0 {
		return nil, fmt.Errorf("%s has no benchmark results", o.RawPath)
	}
	page := &Page{
		Raw:       raw,
		OutDir:    filepath.ToSlash(o.OutDir),
		RawLink:   relLink(o.OutDir, o.RawPath),
		Summary:   Summarize(raw),
		Benchstat: make(map[string]BenchstatOutput),
	}
	bs := newBenchstat(ctx, o.Runner, o.ModuleDir)
	for _, g := range page.Summary.Groups {
		out, err := bs.run(ctx, "-col", "/"+implKey, "-filter", g.Group.BenchstatFilter(), absOr(o.RawPath))
		if err != nil {
			return nil, err
		}
		page.Benchstat[g.Group.ID] = out
		warnings := slices.Clone(g.Warnings)
		for _, w := range out.Warnings {
			warnings = appendUnique(warnings, w)
		}
		for _, w := range warnings {
			fmt.Fprintf(o.Stderr, "report: warning: %s: %s\n", g.Group.Title, w)
		}
	}

	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	page.Charts = PlanCharts(page.Summary)
	for _, spec := range page.Charts {
		if err := DrawChart(spec, o.OutDir); err != nil {
			return nil, err
		}
	}
	removeStaleCharts(o.OutDir, page.Charts)

	page.Comparison, err = compareWithPrevious(ctx, bs, filepath.Join(o.OutDir, "raw"), raw, page.Summary)
	if err != nil {
		return nil, err
	}
	if page.Comparison.Previous != "" {
		page.PreviousLink = relLink(o.OutDir, page.Comparison.Previous)
	}

	readme := filepath.Join(o.OutDir, "README.md")
	if err := writeFileAtomic(readme, page.Markdown()); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Stdout, "wrote %s (%d groups, %d charts) from %s\n", readme, len(page.Summary.Groups), len(page.Charts), o.RawPath)
	writeComparisonText(o.Stdout, page.Comparison)
	return page, nil
}

// writeComparisonText prints the comparison for the terminal.
func writeComparisonText(w io.Writer, c *Comparison) {
	if c.Previous == "" || c.Skipped != "" {
		fmt.Fprintf(w, "not compared with a previous run: %s\n", c.Skipped)
		return
	}
	fmt.Fprintf(w, "compared with %s: %d regressions, %d improvements among %d headline figures (U test, Holm-Bonferroni corrected, beyond drift; %d uncorrected)\n",
		c.Previous, len(c.Regressions), len(c.Improvements), c.Compared, c.Uncorrected)
	for _, d := range c.OtherDiffs {
		fmt.Fprintf(w, "  note: %s differs: %q → %q\n", d.Key, d.Old, d.New)
	}
	for _, list := range []struct {
		what    string
		changes []Change
	}{{"regression ", c.Regressions}, {"improvement", c.Improvements}} {
		for _, ch := range list.changes {
			fmt.Fprintf(w, "  %s  %s  %s  %s → %s  %+.1f%%  p=%.3f\n", list.what, ch.Name, ch.Unit,
				formatValue(ch.Old, ch.Unit), formatValue(ch.New, ch.Unit), 100*ch.Delta, ch.P)
		}
	}
}

// removeStaleCharts deletes charts an earlier page drew that this one
// does not: files named after a group (dispatch.svg, io-B-per-s.svg).
// Other files are left alone.
func removeStaleCharts(dir string, keep []ChartSpec) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".svg") || slices.ContainsFunc(keep, func(c ChartSpec) bool { return c.File == name }) {
			continue
		}
		stem := strings.TrimSuffix(name, ".svg")
		for _, g := range Groups() {
			if stem == g.ID || strings.HasPrefix(stem, g.ID+"-") {
				os.Remove(filepath.Join(dir, name))
				break
			}
		}
	}
}

// relLink is target relative to dir, with forward slashes, for a link.
func relLink(dir, target string) string {
	rel, err := filepath.Rel(absOr(dir), absOr(target))
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// writeFileAtomic replaces path with data, never leaving it half written.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
