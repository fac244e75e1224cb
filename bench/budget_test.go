package bench

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"iostrat"
	"iostrat/internal/affinity"
)

// The CPU budget of a benchmark is its GOMAXPROCS: Go's -cpu flag, the
// "-N" suffix of the result name (no suffix: 1). This binary defaults -cpu
// to 1. At every leaf the harness pins the whole process to the first
// GOMAXPROCS CPUs it was started on and starts the runtime with zero
// Options, so loops, executors and rings follow GOMAXPROCS too: at cpus=1
// every strategy has one CPU, one P and one loop; at cpus=2, two of each.
// The client processes of the socket workloads run on a CPU the budget
// leaves free. Every result line reports what the processes read back
// (see reportPlacement), never what was planned.

// startCPUs are the CPUs the process was started on, before any pinning.
var startCPUs affinity.Set

// Placement metrics, reported on every workload's result line.
const (
	unitCPUUtil          = "cpu-util"          // process CPU time ÷ wall time over the measured calls
	unitCPUs             = "cpus"              // CPUs the server process may run on, read back from every thread
	unitGOMAXPROCS       = "gomaxprocs"        // the server's GOMAXPROCS, read back
	unitClientCPUs       = "client-cpus"       // socket workloads: CPUs the client process may run on, read back by it
	unitClientGOMAXPROCS = "client-gomaxprocs" // socket workloads: the client's GOMAXPROCS
	unitSharedCPUs       = "shared-cpus"       // socket workloads: CPUs both may run on; 0 means client and server never share a core
)

var (
	shuffleSeed = flag.Int64("iostrat.shuffle", 0, "`seed` of the order strategies run in within each benchmark; 0 runs them in registry order")
	parkFlag    = flag.String("iostrat.park", "netpoll", "how idle loops wait: netpoll (give the P back at once) or thread (block the thread in the kernel)")
)

// setUpBudget runs in TestMain: it records the starting CPUs and makes 1
// the default of -test.cpu, so a plain `go test -bench` compares every
// strategy on one CPU.
func setUpBudget() error {
	var err error
	if startCPUs, err = affinity.Self(); err != nil {
		return err
	}
	cpuSet := false
	flag.Visit(func(f *flag.Flag) { cpuSet = cpuSet || f.Name == "test.cpu" })
	if !cpuSet {
		if err := flag.Set("test.cpu", "1"); err != nil {
			return err
		}
	}
	// A benchmark written with b.Loop runs all its iterations in its
	// first pass, at whatever GOMAXPROCS the previous one left, and the
	// testing package labels that pass with the first -cpu value: with
	// "-cpu 1,2" every "1" line would be measured at 2 (the placement
	// metrics read it back). So one value per process.
	if list := flag.Lookup("test.cpu").Value.String(); strings.Contains(list, ",") {
		return fmt.Errorf("-cpu %s: give one value per run (with b.Loop, testing measures every value but the last at the wrong GOMAXPROCS); run once with -cpu 1 and once with -cpu 2", list)
	}
	if _, err := parseParkFlag(); err != nil {
		return err
	}
	return nil
}

func parseParkFlag() (iostrat.Park, error) {
	switch *parkFlag {
	case "netpoll":
		return iostrat.ParkNetpoll, nil
	case "thread":
		return iostrat.ParkThread, nil
	}
	return 0, fmt.Errorf("-iostrat.park=%q: want netpoll or thread", *parkFlag)
}

// defaultOptions are the Options every runtime starts with: zero, but for
// the park mode the command line asked for.
func defaultOptions() iostrat.Options {
	park, _ := parseParkFlag() // checked in TestMain
	return iostrat.Options{Park: park}
}

// applyBudget pins the process to its budget, the first GOMAXPROCS CPUs it
// started on, and returns them; a budget larger than those skips the
// leaf with the reason.
func applyBudget(b *testing.B) affinity.Set {
	b.Helper()
	procs := runtime.GOMAXPROCS(0)
	if procs > startCPUs.Len() {
		b.Skipf("budget of %d CPUs (GOMAXPROCS %d), but this process may only use CPUs %s", procs, procs, startCPUs)
	}
	set := startCPUs[:procs]
	if err := affinity.Pin(set); err != nil {
		b.Fatal(err)
	}
	return set
}

// clientCPUs is where client processes run: the last starting CPU outside
// the server's budget, or, with none to spare, the server's own CPUs (the
// shared-cpus metric then says so).
func clientCPUs() affinity.Set {
	spare := startCPUs[min(runtime.GOMAXPROCS(0), startCPUs.Len()):]
	if spare.Len() == 0 {
		return startCPUs
	}
	return spare[spare.Len()-1:]
}

// reportPlacement reports where the server process ran, read back now.
func reportPlacement(b *testing.B) serverPlace {
	b.Helper()
	at, err := affinity.ObservePlacement()
	if err != nil {
		b.Fatal(err)
	}
	place := serverPlace{cpus: at.CPUs.Len(), gomaxprocs: at.GOMAXPROCS, set: at.CPUs}
	reportServerPlace(b, place)
	return place
}

// reportClientPlacement reports where a socket workload's client ran, as
// the client read it back, and the CPUs it shared with the server; for a
// remote server, which runs on another machine's CPUs, it reports
// remote-server instead of shared-cpus.
func reportClientPlacement(b *testing.B, server serverPlace, client affinity.Placement) {
	b.ReportMetric(float64(client.CPUs.Len()), unitClientCPUs)
	b.ReportMetric(float64(client.GOMAXPROCS), unitClientGOMAXPROCS)
	if server.remote {
		b.ReportMetric(1, unitRemote)
		return
	}
	b.ReportMetric(float64(server.set.Intersect(client.CPUs).Len()), unitSharedCPUs)
}

// strategyOrder returns the order in which the strategies of benchmark
// name run: as registered, or shuffled by -iostrat.shuffle, so that no
// strategy always runs first (on a warm or a cold machine).
func strategyOrder[T any](name string, ss []T) []T {
	if *shuffleSeed == 0 {
		return ss
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(uint64(*shuffleSeed), h.Sum64()))
	out := append([]T(nil), ss...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
