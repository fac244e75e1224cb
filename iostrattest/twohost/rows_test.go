//go:build linux

package twohost

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// The bench runs: a quick group of the socket workloads, and one point of
// the open-loop latency benchmark. -test.short keeps the calls small
// (Echo: 5 round trips per connection per call; Latency: 200 ms at each
// rate). Two strategies: goroutine, and callback, whose counters (reads,
// writes) the traffic fixes.
const (
	groupBench     = `^Benchmark(Echo|HTTP)$/^impl=(goroutine|callback)$/^conns=(1|16)$/^(size=64B|pipeline=1)$`
	groupBenchtime = "40x" // calls per leaf: Echo conns=1 makes 200 round trips
	latencyBench   = `^BenchmarkLatency$/^impl=goroutine$/^proto=http$/^conns=16$/^rate=2000$`
	latencyTime    = "1x" // one 200 ms open-loop call
)

// groupRows are the rows the group must print, none skipped.
var groupRows = []string{
	"BenchmarkEcho/impl=goroutine/conns=1/size=64B",
	"BenchmarkEcho/impl=goroutine/conns=16/size=64B",
	"BenchmarkHTTP/impl=goroutine/conns=16/pipeline=1",
	"BenchmarkEcho/impl=callback/conns=1/size=64B",
	"BenchmarkEcho/impl=callback/conns=16/size=64B",
	"BenchmarkHTTP/impl=callback/conns=16/pipeline=1",
}

const latencyRow = "BenchmarkLatency/impl=goroutine/proto=http/conns=16/rate=2000"

// A row is one benchmark result line: its name and its values by unit,
// as printed (benchfmt's original units, not its tidied ones).
type row struct {
	name   string
	line   string
	values map[string]float64
}

// parseRows reads the result lines of a bench binary's output.
func parseRows(out []byte) ([]row, error) {
	var rows []row
	r := benchfmt.NewReader(bytes.NewReader(out), "bench output")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			// benchfmt drops the "Benchmark" prefix of a name.
			rw := row{name: "Benchmark" + rec.Name.String(), values: make(map[string]float64)}
			for _, v := range rec.Values {
				unit, value := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, value = v.OrigUnit, v.OrigValue
				}
				rw.values[unit] = value
			}
			rows = append(rows, rw)
		case *benchfmt.SyntaxError:
			return nil, rec
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(out)) {
		for i := range rows {
			if strings.HasPrefix(line, rows[i].name+" ") || strings.HasPrefix(line, rows[i].name+"\t") {
				rows[i].line = strings.TrimRight(line, "\n")
			}
		}
	}
	return rows, nil
}

// runBench runs the bench binary inside the client namespace against the
// agent, from the bench package's directory as go test would, and returns
// its rows. Output with a FAIL or a SKIP fails the test: every row asked
// for must be measured.
func runBench(t *testing.T, ctx context.Context, env hosts, pattern, benchtime string) []row {
	t.Helper()
	cmd := env.client.exec(ctx, env.benchBin,
		"-test.run", "^$",
		"-test.bench", pattern,
		"-test.benchtime", benchtime,
		"-test.short",
		"-test.timeout", "5m",
		"-iostrat.remote="+env.agentAddr,
		"-iostrat.remote-token-file="+env.tokenFile)
	cmd.Dir = env.benchDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench binary in %s: %v\n%s", env.client.name, err, out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "--- FAIL") || strings.Contains(line, "--- SKIP") {
			t.Fatalf("bench binary in %s: %s\n%s", env.client.name, strings.TrimSpace(line), out)
		}
	}
	rows, err := parseRows(out)
	if err != nil {
		t.Fatalf("parsing the bench output: %v\n%s", err, out)
	}
	checkEmpty(t, ctx, env.client) // its client processes have exited with it
	return rows
}

// byName indexes rows by name and checks that exactly want are there.
func byName(t *testing.T, rows []row, want ...string) map[string]row {
	t.Helper()
	m := make(map[string]row)
	for _, r := range rows {
		if _, dup := m[r.name]; dup {
			t.Errorf("row %s printed twice", r.name)
		}
		m[r.name] = r
	}
	for _, name := range want {
		if _, ok := m[name]; !ok {
			t.Errorf("no row %s", name)
		}
	}
	if len(m) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(m), len(want), rows)
	}
	return m
}

// checkRemoteRow checks what every remote row must say: the server ran in
// the agent (remote-server 1, no shared-cpus, which compares CPUs of one
// machine), on one CPU with GOMAXPROCS 1 as the agent read back, and the
// agent measured its CPU time; the figures the agent does not give
// (allocations per unit) are absent, not zero. unit is the row's unit of
// work (msg, req).
func checkRemoteRow(t *testing.T, r row, unit string) {
	t.Helper()
	want := map[string]float64{"remote-server": 1, "cpus": 1, "gomaxprocs": 1, "client-gomaxprocs": 1}
	for u, w := range want {
		if v, ok := r.values[u]; !ok || v != w {
			t.Errorf("%s: %s = %v (printed: %v), want %v", r.name, u, v, ok, w)
		}
	}
	for _, u := range []string{"ns/" + unit, "cpu-ns/" + unit, "cpu-util", "ns/op", "client-cpus"} {
		if v, ok := r.values[u]; !ok || v <= 0 {
			t.Errorf("%s: %s = %v (printed: %v), want > 0", r.name, u, v, ok)
		}
	}
	for _, u := range []string{"shared-cpus", "allocs/" + unit} {
		if v, ok := r.values[u]; ok {
			t.Errorf("%s: %s = %v printed; a remote row has none", r.name, u, v)
		}
	}
}

// checkCounterRows checks the counters the agent returned, per unit: the
// goroutine strategy keeps tasks and wakes, so both are printed; the
// callback loop reads every request and writes every answer with at
// least one system call each, since the client sends nothing more on a
// connection before the answer (one message or request in flight per
// connection), so reads and writes per unit are at least 1.
func checkCounterRows(t *testing.T, rows map[string]row) {
	t.Helper()
	for name, r := range rows {
		unit := "msg"
		if strings.HasPrefix(name, "BenchmarkHTTP/") || strings.HasPrefix(name, "BenchmarkLatency/") {
			unit = "req"
		}
		checkRemoteRow(t, r, unit)
		switch {
		case strings.Contains(name, "/impl=goroutine/"):
			for _, c := range []string{"tasks", "wakes"} {
				if _, ok := r.values[c+"/"+unit]; !ok {
					t.Errorf("%s: no %s/%s: the agent's counters did not reach the row", name, c, unit)
				}
			}
		case strings.Contains(name, "/impl=callback/"):
			for _, c := range []string{"reads", "writes"} {
				if v, ok := r.values[c+"/"+unit]; !ok || v < 1 {
					t.Errorf("%s: %s/%s = %v (printed: %v), want at least 1", name, c, unit, v, ok)
				}
			}
			if v, ok := r.values["syscalls/"+unit]; !ok || v < 2 {
				t.Errorf("%s: syscalls/%s = %v (printed: %v), want at least 2 (a read and a write)", name, unit, v, ok)
			}
		}
	}
}

// logRows puts the rows in the test's log, as printed.
func logRows(t *testing.T, title string, rows []row) {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintln(&b, r.line)
	}
	t.Logf("%s:\n%s", title, b.String())
}
