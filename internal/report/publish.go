package report

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"iostrat/internal/report/process"
	"iostrat/internal/report/publish"
	"iostrat/internal/report/raw"
	"iostrat/internal/report/summary"
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
	// MorePaths are raw files of other machines whose summary tables
	// the page sets beside RawPath's, each under its machine line; the
	// rest of the page details RawPath's run only.
	MorePaths []string
	// Readme is the file whose summary block (between the markers
	// "<!-- summary:start" and "<!-- summary:end -->") is rewritten with
	// the page's overview. "" means ModuleDir/README.md when OutDir is a
	// directory of the module's root (results/), and no file otherwise,
	// so rendering elsewhere never touches the repository's README.
	Readme string
	// Runner runs benchstat; nil means process.Exec.
	Runner process.Runner
	// Stdout receives the outcome: files written, regressions and
	// improvements. Stderr receives warnings.
	Stdout, Stderr io.Writer
}

// Publish renders a raw file into OutDir: README.md, the charts, and the
// comparison with the previous run. Warnings (lines of the raw file that
// did not parse, benchstat's notes about too few samples) go to Stderr
// and onto the page; only failures to read, run benchstat or write are
// errors.
func Publish(ctx context.Context, o PublishOptions) (*publish.Page, error) {
	o = o.withDefaults()
	f, err := readRun(o)
	if err != nil {
		return nil, err
	}
	page := &publish.Page{
		Raw:       f,
		OutDir:    filepath.ToSlash(o.OutDir),
		RawLink:   relLink(o.OutDir, o.RawPath),
		Summary:   summary.Summarize(f),
		Benchstat: make(map[string]summary.BenchstatOutput),
	}
	if page.Machines, err = otherMachines(page, o); err != nil {
		return nil, err
	}
	bs := summary.NewBenchstat(ctx, o.Runner, o.ModuleDir)
	if err := groupTables(ctx, bs, page, o); err != nil {
		return nil, err
	}
	if err := drawCharts(page, o.OutDir); err != nil {
		return nil, err
	}
	page.Comparison, err = compareWithPrevious(ctx, bs, filepath.Join(o.OutDir, "raw"), f, page.Summary)
	if err != nil {
		return nil, err
	}
	if page.Comparison.Previous != "" {
		page.PreviousLink = relLink(o.OutDir, page.Comparison.Previous)
	}
	readme := filepath.Join(o.OutDir, "README.md")
	if err := writeFileAtomic(filepath.Join(o.OutDir, publish.BenchstatFile), page.BenchstatText()); err != nil {
		return nil, err
	}
	md := page.Markdown()
	if len(md) >= publish.PageBudget {
		page.CountersApart = true
		md = page.Markdown()
		if err := writeFileAtomic(filepath.Join(o.OutDir, publish.CountersFile), page.CountersMarkdown()); err != nil {
			return nil, err
		}
	} else {
		os.Remove(filepath.Join(o.OutDir, publish.CountersFile)) // an earlier page's
	}
	if err := writeFileAtomic(readme, md); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Stdout, "wrote %s (%d groups, %d charts) from %s\n", readme, len(page.Summary.Groups), len(page.Charts), o.RawPath)
	if err := updateReadme(page, o); err != nil {
		return nil, err
	}
	publish.WriteComparisonText(o.Stdout, page.Comparison)
	return page, nil
}

// readmePath is the README whose summary block Publish rewrites, or "".
func (o PublishOptions) readmePath() string {
	if o.Readme != "" || o.ModuleDir == "" {
		return o.Readme
	}
	if filepath.Dir(process.Abs(o.OutDir)) != process.Abs(o.ModuleDir) {
		return ""
	}
	return filepath.Join(o.ModuleDir, "README.md")
}

// updateReadme rewrites the summary block of the README with the page's
// overview. A README without the markers is left alone, with a warning.
func updateReadme(page *publish.Page, o PublishOptions) error {
	path := o.readmePath()
	if path == "" {
		return nil
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, ok := publish.ReplaceReadmeBlock(old, page.ReadmeBlock(relLink(filepath.Dir(path), o.OutDir)))
	if !ok {
		fmt.Fprintf(o.Stderr, "report: warning: %s has no summary markers (a line starting \"<!-- summary:start\", then \"<!-- summary:end -->\"); left alone\n", path)
		return nil
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	if err := writeFileAtomic(path, updated); err != nil {
		return err
	}
	fmt.Fprintf(o.Stdout, "wrote the summary block of %s\n", path)
	return nil
}

func (o PublishOptions) withDefaults() PublishOptions {
	if o.Runner == nil {
		o.Runner = process.Exec{}
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	return o
}

// readRun reads the raw file, warning about the lines it skipped; a
// file without results is an error.
func readRun(o PublishOptions) (*raw.File, error) {
	f, err := raw.Read(o.RawPath)
	if err != nil {
		return nil, err
	}
	for _, w := range f.Warnings {
		fmt.Fprintf(o.Stderr, "report: warning: %v\n", w)
	}
	if len(f.Results) == 0 {
		return nil, fmt.Errorf("%s has no benchmark results", o.RawPath)
	}
	return f, nil
}

// otherMachines reads and digests the raw files of MorePaths, for the
// page's side-by-side summary, after the page's own run; none without
// MorePaths.
func otherMachines(page *publish.Page, o PublishOptions) ([]publish.MachineRun, error) {
	if len(o.MorePaths) == 0 {
		return nil, nil
	}
	runs := []publish.MachineRun{{Raw: page.Raw, RawLink: page.RawLink, Summary: page.Summary}}
	for _, path := range o.MorePaths {
		f, err := readRun(PublishOptions{RawPath: path, Stderr: o.Stderr})
		if err != nil {
			return nil, err
		}
		runs = append(runs, publish.MachineRun{Raw: f, RawLink: relLink(o.OutDir, path), Summary: summary.Summarize(f)})
	}
	return runs, nil
}

// groupTables runs `benchstat -col /impl` for each group of the page,
// warning about what it and the summary found wanting.
func groupTables(ctx context.Context, bs *summary.Benchstat, page *publish.Page, o PublishOptions) error {
	for _, g := range page.Summary.Groups {
		out, err := bs.Run(ctx, "-col", "/impl", "-filter", g.Group.BenchstatFilter(), process.Abs(o.RawPath))
		if err != nil {
			return err
		}
		page.Benchstat[g.Group.ID] = out
		warnings := slices.Clone(g.Warnings)
		for _, w := range out.Warnings {
			if !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
			}
		}
		for _, w := range warnings {
			fmt.Fprintf(o.Stderr, "report: warning: %s: %s\n", g.Group.Title, w)
		}
	}
	return nil
}

// drawCharts draws the page's charts into dir and removes those an
// earlier page drew that this one does not.
func drawCharts(page *publish.Page, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	page.Charts = publish.PlanCharts(page.Summary)
	for _, spec := range page.Charts {
		if err := publish.DrawChart(spec, dir); err != nil {
			return err
		}
	}
	publish.RemoveStaleCharts(dir, page.Charts)
	return nil
}

// compareWithPrevious finds the previous run in rawDir and compares it
// with current, running benchstat on the two files for the page.
func compareWithPrevious(ctx context.Context, bs *summary.Benchstat, rawDir string, current *raw.File, currentSummary *summary.Summary) (*summary.Comparison, error) {
	prev, why := raw.FindPrevious(rawDir, current)
	if prev == "" {
		return &summary.Comparison{Skipped: why}, nil
	}
	old, err := raw.Read(prev)
	if err != nil {
		return nil, err
	}
	c := summary.CompareRuns(old, current)
	if c.Skipped != "" {
		return c, nil
	}
	var quoted []string
	for _, u := range summary.HeadlineUnits(currentSummary) {
		quoted = append(quoted, strconv.Quote(u))
	}
	if len(quoted) == 0 {
		return c, nil
	}
	c.Benchstat, err = bs.Run(ctx,
		"-table", "", "-filter", ".unit:("+strings.Join(quoted, " OR ")+")",
		"previous="+process.Abs(prev), "current="+process.Abs(current.Path))
	return c, err
}

// relLink is target relative to dir, with forward slashes, for a link.
func relLink(dir, target string) string {
	rel, err := filepath.Rel(process.Abs(dir), process.Abs(target))
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
