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
	"slices"
	"strings"
	"syscall"

	"iostrat/internal/report"
	"iostrat/internal/report/process"
	"iostrat/internal/report/runner"
	"iostrat/strategies"
)

// runReport runs the benchmark catalogue and publishes results/: the raw
// file, README.md, the charts and the comparison with the previous run.
// With -raw it skips the run and renders an existing raw file; with
// several -raw, runs of several machines side by side. With -remote the
// socket benchmarks' server runs on the agent at that address.
func runReport(stdout, stderr io.Writer, args []string) error {
	f, err := parseReportFlags(stdout, args)
	if err != nil || f == nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	processes := process.Exec{}
	moduleDir, err := findModule(ctx, processes)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var rawPath string
	var more []string
	if len(f.raw) > 0 {
		rawPath, more = f.raw[0], f.raw[1:]
	}
	if rawPath == "" {
		rawPath, err = report.Run(ctx, report.RunOptions{
			ModuleDir:  moduleDir,
			OutDir:     f.out,
			Count:      f.count,
			Quick:      f.quick,
			Bench:      f.bench,
			Seed:       f.seed,
			Strategies: strategies.Benchmarked(),
			IOURing:    strategies.IOURing,
			Runner:     processes,
			Progress:   stderr,
			Remote:     runner.Remote{Addr: f.remote, TokenFile: f.tokenFile},
			Anchors:    f.anchors,
		})
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	_, err = report.Publish(ctx, report.PublishOptions{
		ModuleDir: moduleDir,
		OutDir:    f.out,
		RawPath:   rawPath,
		MorePaths: more,
		Runner:    processes,
		Stdout:    stdout,
		Stderr:    stderr,
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// reportFlags are the report command's flags.
type reportFlags struct {
	quick, anchors    bool
	count             int
	bench, out        string
	raw               rawFiles
	seed              int64
	remote, tokenFile string
}

// rawFiles is the repeatable -raw flag.
type rawFiles []string

func (r *rawFiles) String() string { return strings.Join(*r, ",") }

func (r *rawFiles) Set(path string) error {
	*r = append(*r, path)
	return nil
}

// parseReportFlags parses and checks the report command's flags. It
// returns nil and no error after printing the usage for -h.
func parseReportFlags(stdout io.Writer, args []string) (*reportFlags, error) {
	var f reportFlags
	fs := newFlagSet("report", []string{
		"iostrat report [-quick] [-anchors] [-count N] [-bench REGEXP] [-seed N] [-out DIR]",
		"iostrat report -remote HOST:PORT -token-file FILE [-quick] [-count N] [-bench REGEXP] [-seed N] [-out DIR]",
		"iostrat report -raw FILE [-raw FILE]... [-out DIR]",
	}, "Runs the benchmarks in ./bench with repetitions, writes the raw results to\n"+
		"DIR/raw/, and publishes DIR/README.md with benchstat tables, charts and a\n"+
		"comparison with the previous run. Run it from inside the iostrat module.\n\n"+
		"With -remote, the socket benchmarks (Echo, Pump, HTTP, Churn, Latency, Idle)\n"+
		"run their server on the iostrat agent at HOST:PORT (iostrat agent) and their\n"+
		"client here; the other benchmarks run here as usual. With -anchors, outside\n"+
		"references (tokio, a hand-made Rust executor, liburing and C probes, gnet,\n"+
		"net/http, plain Go) are built from anchors/ and measured beside the\n"+
		"strategies in the same runs (anchors/README.md). With several -raw, the\n"+
		"page sets each file's machine and summary table side by side; the sections\n"+
		"below the summary detail the first file.")
	fs.BoolVar(&f.quick, "quick", false, "smoke run: -short workloads, few runs, short benchtimes; about a minute")
	fs.BoolVar(&f.anchors, "anchors", false, "also build and run the anchors (anchors/README.md) beside the strategies")
	fs.IntVar(&f.count, "count", 0, fmt.Sprintf("runs of each benchmark (0: %d, or %d with -quick)", runner.DefaultCount, runner.DefaultQuickCount))
	fs.StringVar(&f.bench, "bench", "", "run only the benchmarks matching this regexp, as go test -bench")
	fs.StringVar(&f.out, "out", "results", "results directory: README.md and charts, raw files under raw/")
	fs.Var(&f.raw, "raw", "render this raw file instead of running the benchmarks; repeat it to set runs of several machines side by side")
	fs.StringVar(&f.remote, "remote", "", "`host:port` of an iostrat agent: the socket benchmarks' server runs there, the client here")
	fs.StringVar(&f.tokenFile, "token-file", "", "`file` holding the agent's token (with -remote)")
	fs.Int64Var(&f.seed, "seed", 0, "base seed of the strategies' order: run r uses base+r (0: from the clock; the raw file records it)")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return nil, err
	}
	if err := f.check(fs); err != nil {
		return nil, err
	}
	return &f, nil
}

// check rejects values out of range, and flags of a new run given with
// -raw.
func (f *reportFlags) check(fs *flag.FlagSet) error {
	if f.count < 0 {
		return fmt.Errorf("report: -count must be >= 0, got %d", f.count)
	}
	if f.seed < 0 || f.seed > runner.MaxSeed {
		return fmt.Errorf("report: -seed must be in [0, %d], got %d", int64(runner.MaxSeed), f.seed)
	}
	if (f.remote == "") != (f.tokenFile == "") {
		return errors.New("report: -remote and -token-file go together")
	}
	if f.anchors && f.remote != "" {
		return errors.New("report: -anchors does not run with -remote: the anchor servers would run here while the strategies' servers run on the agent")
	}
	if len(f.raw) == 0 {
		return nil
	}
	var runFlags []string
	fs.Visit(func(fl *flag.Flag) {
		if slices.Contains([]string{"quick", "anchors", "count", "bench", "seed", "remote", "token-file"}, fl.Name) {
			runFlags = append(runFlags, "-"+fl.Name)
		}
	})
	if len(runFlags) > 0 {
		return fmt.Errorf("report: -raw renders an existing run; %s only apply to a new run", strings.Join(runFlags, ", "))
	}
	return nil
}

// findModule returns the root of the module the current directory is in,
// which must be iostrat's: the report builds ./bench and runs benchstat
// from its tool dependencies.
func findModule(ctx context.Context, r process.Runner) (string, error) {
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
