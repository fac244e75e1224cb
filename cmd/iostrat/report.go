package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"iostrat/internal/report"
	"iostrat/strategies"
)

// runReport runs the benchmark catalogue and publishes results/: the raw
// file, README.md, the charts and the comparison with the previous run.
// With -raw it skips the run and renders an existing raw file.
func runReport(stdout, stderr io.Writer, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "smoke run: -short workloads, few runs, short benchtimes; about a minute")
	count := fs.Int("count", 0, fmt.Sprintf("runs of each benchmark (0: %d, or %d with -quick)", report.DefaultCount, report.DefaultQuickCount))
	bench := fs.String("bench", "", "run only the benchmarks matching this regexp, as go test -bench")
	out := fs.String("out", "results", "results directory: README.md and charts, raw files under raw/")
	raw := fs.String("raw", "", "render this raw file instead of running the benchmarks")
	seed := fs.Int64("seed", 0, "base seed of the strategies' order: run r uses base+r (0: from the clock; the raw file records it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: iostrat report [-quick] [-count N] [-bench REGEXP] [-seed N] [-out DIR]")
		fmt.Fprintln(stderr, "       iostrat report -raw FILE [-out DIR]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the benchmarks in ./bench with repetitions, writes the raw results to")
		fmt.Fprintln(stderr, "DIR/raw/, and publishes DIR/README.md with benchstat tables, charts and a")
		fmt.Fprintln(stderr, "comparison with the previous run. Run it from inside the iostrat module.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("report takes no arguments, got %q", fs.Args())
	}
	if *count < 0 {
		return fmt.Errorf("report: -count must be >= 0, got %d", *count)
	}
	if *seed < 0 || *seed > report.MaxSeed {
		return fmt.Errorf("report: -seed must be in [0, %d], got %d", int64(report.MaxSeed), *seed)
	}
	if *raw != "" {
		var runFlags []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "quick" || f.Name == "count" || f.Name == "bench" || f.Name == "seed" {
				runFlags = append(runFlags, "-"+f.Name)
			}
		})
		if len(runFlags) > 0 {
			return fmt.Errorf("report: -raw renders an existing run; %s only apply to a new run", strings.Join(runFlags, ", "))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	runner := report.ExecRunner{}
	moduleDir, err := findModule(ctx, runner)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	rawPath := *raw
	if rawPath == "" {
		rawPath, err = report.Run(ctx, report.RunOptions{
			ModuleDir:  moduleDir,
			OutDir:     *out,
			Count:      *count,
			Quick:      *quick,
			Bench:      *bench,
			Seed:       *seed,
			Strategies: strategies.Benchmarked(),
			IOURing:    strategies.IOURing,
			Runner:     runner,
			Progress:   stderr,
		})
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	_, err = report.Publish(ctx, report.PublishOptions{
		ModuleDir: moduleDir,
		OutDir:    *out,
		RawPath:   rawPath,
		Runner:    runner,
		Stdout:    stdout,
		Stderr:    stderr,
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// findModule returns the root of the module the current directory is in,
// which must be iostrat's: the report builds ./bench and runs benchstat
// from its tool dependencies.
func findModule(ctx context.Context, r report.Runner) (string, error) {
	var stdout, stderr bytes.Buffer
	if err := r.Run(ctx, "", &stdout, &stderr, "go", "env", "GOMOD"); err != nil {
		return "", fmt.Errorf("go env GOMOD: %w %s", err, strings.TrimSpace(stderr.String()))
	}
	gomod := strings.TrimSpace(stdout.String())
	if gomod == "" || gomod == "/dev/null" || gomod == "NUL" {
		return "", errors.New("not inside the iostrat module: run iostrat report from its source tree")
	}
	return filepath.Dir(gomod), nil
}
