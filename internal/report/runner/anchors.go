package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
)

// Anchors.
//
// With anchors on, a run measures outside references beside the
// strategies, in the same repetitions, budgets and pinning, and writes
// their results into the same raw file as ordinary benchmark lines with
// impl=anchor-<name>. There are three kinds, by where the anchor runs:
//
//   - a program of its own (Rust executors, C probes): built from
//     anchors/<name>, run once per benchmark, budget and repetition, as a
//     job of its own right after the bench binary's job of the same
//     benchmark and budget, with the same -benchtime plan;
//   - a server (gnet, net/http): built from anchors/<name> and started by
//     the bench binary's socket benchmarks, which measure it with the
//     strategies' client (-iostrat.anchor-servers);
//   - the plain-Go floor, inside the bench binary (-iostrat.anchors).
//
// An anchor that cannot be built or run gets skip records for its
// columns, with the reason, so the page says n/a and why; the run goes
// on. Each anchor's version line (what it printed for -version) goes into
// the raw file's header as anchor-<name>.

// AnchorKind is where an anchor runs.
type AnchorKind uint8

const (
	AnchorProgram AnchorKind = iota // a program of its own, one job per benchmark and budget
	AnchorServer                    // a server the bench binary's socket benchmarks start
	AnchorInBench                   // inside the bench binary
)

// The bench binary's anchor flags.
const (
	AnchorsFlag       = "-iostrat.anchors"        // the plain-Go floor
	AnchorServersFlag = "-iostrat.anchor-servers" // name=path,... of the server anchors
)

// An Anchor is one outside reference of a run.
type Anchor struct {
	Name    string              // "rust": the header's anchor-rust line, anchors/rust
	Kind    AnchorKind          //
	Binary  string              // the built program's file name
	Columns map[string][]string // top-level benchmark (without "Benchmark") → the impl columns it writes
	build   []string            // the build command, run in the module root; "{out}" is the output directory

	Path    string // the built program; "" until built
	Version string // its -version lines, joined; the header's value
	NA      string // why it could not be built or run; "" when it ran
}

// Anchors returns the run's anchors, in column order: the plain-Go
// floor, the Rust executors, the C probes, then the servers.
func Anchors() []*Anchor {
	return []*Anchor{
		{Name: "go", Kind: AnchorInBench, Columns: columns("anchor-go", "Spawn", "Chain", "Yield", "PingPong")},
		{Name: "rust", Kind: AnchorProgram, Binary: "rustanchor",
			Columns: merge(columns("anchor-tokio-ct", "Spawn", "Chain", "Yield", "PingPong", "WakeExternal"),
				columns("anchor-rust-vtable", "Spawn", "Chain", "Yield", "PingPong", "WakeExternal")),
			build: []string{"anchors/rust/build.sh", "{out}"}},
		{Name: "c", Kind: AnchorProgram, Binary: "canchor",
			Columns: merge(columns("anchor-pthread", "Spawn"), columns("anchor-futex", "PingPong", "WakeExternal"),
				columns("anchor-epoll", "PingPong"), columns("anchor-eventfd", "WakeExternal"), columns("anchor-liburing", "Nop")),
			build: []string{"anchors/c/build.sh", "{out}"}},
		{Name: "gnet", Kind: AnchorServer, Binary: "gnet-anchor", Columns: columns("anchor-gnet", "Echo", "HTTP"),
			build: []string{"go", "build", "-C", "anchors/gnet", "-o", "{out}/gnet-anchor", "."}},
		{Name: "nethttp", Kind: AnchorServer, Binary: "nethttp-anchor", Columns: columns("anchor-nethttp", "HTTP"),
			build: []string{"go", "build", "-o", "{out}/nethttp-anchor", "./anchors/nethttp"}},
	}
}

// columns maps each of benches to the one column impl.
func columns(impl string, benches ...string) map[string][]string {
	m := make(map[string][]string)
	for _, b := range benches {
		m[b] = []string{impl}
	}
	return m
}

// merge joins column maps, keeping the order of their arguments.
func merge(ms ...map[string][]string) map[string][]string {
	out := make(map[string][]string)
	for _, m := range ms {
		for b, impls := range m {
			out[b] = append(out[b], impls...)
		}
	}
	return out
}

// Key is the anchor's header key.
func (a *Anchor) Key() string { return raw.KeyAnchor + a.Name }

// BuildCommand is the anchor's build command writing into out; nil for
// the plain-Go floor, which the bench binary holds.
func (a *Anchor) BuildCommand(out string) []string {
	cmd := slices.Clone(a.build)
	for i, arg := range cmd {
		cmd[i] = strings.ReplaceAll(arg, "{out}", out)
	}
	return cmd
}

// HeaderValue is the anchor's header line: its version, or n/a and why.
func (a *Anchor) HeaderValue() string {
	if a.NA != "" {
		return "n/a: " + a.NA
	}
	return a.Version
}

// Build builds the anchor into dir and reads its version; a failure sets
// NA with the build's last line rather than failing the run. The
// plain-Go floor is built with the bench binary, so there is nothing to
// do for it here.
func (a *Anchor) Build(ctx context.Context, r process.Runner, moduleDir, dir string) {
	if a.Kind == AnchorInBench {
		return
	}
	cmd := a.BuildCommand(dir)
	if out, err := process.Combined(ctx, r, moduleDir, cmd[0], cmd[1:]...); err != nil {
		a.NA = fmt.Sprintf("%s failed (%v): %s", strings.Join(cmd, " "), err, lastLine(out))
		return
	}
	a.Path = filepath.Join(dir, a.Binary)
	out, err := process.Output(ctx, r, moduleDir, a.Path, "-version")
	if err != nil {
		a.NA = fmt.Sprintf("%s -version failed (%v): %s", a.Binary, err, lastLine(out))
		a.Path = ""
		return
	}
	var parts []string
	for line := range strings.Lines(string(out)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			v = strings.TrimSpace(v)
			if !strings.HasPrefix(v, k+" ") { // "rustc: rustc 1.95.0" says its name once
				v = k + " " + v
			}
			parts = append(parts, v)
		}
	}
	a.Version = strings.Join(parts, ", ")
}

// lastLine is the last non-blank line of a command's output, the one
// that usually says why it failed.
func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return "no output"
}

// Benchmarks lists the top-level benchmarks (with "Benchmark") of names
// that the anchor writes columns for.
func (a *Anchor) Benchmarks(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := a.Columns[strings.TrimPrefix(n, "Benchmark")]; ok {
			out = append(out, n)
		}
	}
	return out
}

// SkipRecords are the skip records of an anchor that could not run, for
// the benchmarks of names at their budgets on a machine with cpus CPUs:
// one per column, so the page prints n/a with the reason.
func (a *Anchor) SkipRecords(names []string, cpus int) string {
	var b strings.Builder
	for _, n := range a.Benchmarks(names) {
		base := strings.TrimPrefix(n, "Benchmark")
		for _, procs := range budgetsFor(base, cpus) {
			for _, impl := range a.Columns[base] {
				name := n + "/impl=" + impl
				if procs != 1 {
					name += fmt.Sprintf("-%d", procs)
				}
				fmt.Fprintf(&b, "--- SKIP: %s\n    anchor %s: %s\n", name, a.Name, a.NA)
			}
		}
	}
	return b.String()
}

// BenchFlags are the bench binary's flags for the anchors that run inside
// it or are started by it: the plain-Go floor and the built servers.
func BenchFlags(anchors []*Anchor) []string {
	var flags, servers []string
	for _, a := range anchors {
		switch {
		case a.NA != "":
		case a.Kind == AnchorInBench:
			flags = append(flags, AnchorsFlag)
		case a.Kind == AnchorServer:
			servers = append(servers, a.Name+"="+a.Path)
		}
	}
	if len(servers) > 0 {
		flags = append(flags, AnchorServersFlag+"="+strings.Join(servers, ","))
	}
	return flags
}

// Run runs an anchor program's job once with the given benchtime. A
// failure is returned with the output's tail; the caller turns it into
// the anchor's n/a.
func (a *Anchor) Run(ctx context.Context, r process.Runner, dir string, j Job, benchtime string, quick bool) ([]byte, error) {
	args := a.Args(j, benchtime, quick)
	out, err := process.Combined(ctx, r, dir, a.Path, args...)
	if failed := failures(out); err != nil || len(failed) > 0 {
		return nil, fmt.Errorf("%s %s: %v%s", a.Binary, strings.Join(args, " "), err, process.Tail(out, failureTailLines))
	}
	return out, nil
}

// Args are an anchor program's arguments for one run of a job.
func (a *Anchor) Args(j Job, benchtime string, quick bool) []string {
	args := []string{"-bench", strings.TrimPrefix(j.Bench, "Benchmark"), "-cpus", fmt.Sprint(j.CPUs), "-benchtime", benchtime}
	if quick {
		args = append(args, "-short")
	}
	return args
}
