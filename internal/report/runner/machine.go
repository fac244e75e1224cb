package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"iostrat"
	"iostrat/internal/report/process"
	"iostrat/internal/report/raw"
)

// DescribeStrategies starts each strategy with zero Options, reads its
// Info and closes it: the knobs lines of the header. Knobs follow
// GOMAXPROCS (loops, executors and rings do), so a strategy is described
// at each budget, with GOMAXPROCS set to it as the benchmarks set it: the
// line gives the knobs at the first budget and, after "; at cpus=N:",
// those that differ at another. Without budgets it describes the
// strategies at the current GOMAXPROCS. A strategy that cannot start here
// says why.
func DescribeStrategies(strategies []iostrat.Strategy, budgets ...int) []raw.StrategyKnobs {
	if len(budgets) == 0 {
		budgets = []int{runtime.GOMAXPROCS(0)}
	}
	var ks []raw.StrategyKnobs
	for _, s := range strategies {
		var line string
		var first []string
		for i, n := range budgets {
			knobs, err := describeAt(s, n)
			switch {
			case err != nil && i == 0:
				line = "unavailable: " + err.Error()
			case err != nil:
				line += fmt.Sprintf("; at cpus=%d: unavailable: %v", n, err)
			case i == 0:
				first, line = knobs, strings.Join(knobs, " ")
			default:
				var differ []string
				for _, k := range knobs {
					if !slices.Contains(first, k) {
						differ = append(differ, k)
					}
				}
				if len(differ) > 0 {
					line += fmt.Sprintf("; at cpus=%d: %s", n, strings.Join(differ, " "))
				}
			}
		}
		ks = append(ks, raw.StrategyKnobs{Strategy: s.Name(), Knobs: line})
	}
	return ks
}

// describeAt describes s started at GOMAXPROCS procs: "backend=…" and
// one "key=value" per knob.
func describeAt(s iostrat.Strategy, procs int) ([]string, error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	rt, err := s.Start(iostrat.Options{Logf: func(string, ...any) {}})
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	info := rt.Info()
	knobs := []string{"backend=" + orUnknown(info.Backend)}
	for _, k := range info.Knobs {
		knobs = append(knobs, k.String())
	}
	return knobs, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// ProbeMachine describes this machine and the tree in moduleDir. Probes
// that fail leave "unknown" rather than failing the run.
func ProbeMachine(ctx context.Context, r process.Runner, moduleDir string, now time.Time) raw.Machine {
	return raw.Machine{
		Date:       now,
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		CPU:        cpuModel("/proc/cpuinfo"),
		Kernel:     kernelRelease(),
		GoVersion:  goVersion(ctx, r, moduleDir),
		Commit:     gitCommit(ctx, r, moduleDir),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		VCPUs:      onlineCPUs("/sys/devices/system/cpu/online"),
		Virt:       virtualization("/proc/cpuinfo", "/sys/class/dmi/id/sys_vendor"),
		Hostname:   hostname(),
	}
}

// hostname is the machine's host name, or "unknown".
func hostname() string {
	name, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return raw.OneLine(name)
}

// onlineCPUs counts the CPUs in a cpu list file ("0-1,4"), the kernel's
// list of online CPUs; runtime.NumCPU (the CPUs this process may use)
// when the file cannot be read.
func onlineCPUs(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for part := range strings.SplitSeq(strings.TrimSpace(string(data)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, errA := strconv.Atoi(lo)
		b, errB := a, error(nil)
		if isRange {
			b, errB = strconv.Atoi(hi)
		}
		if errA != nil || errB != nil || b < a {
			return runtime.NumCPU()
		}
		n += b - a + 1
	}
	return n
}

// virtualization says whether the machine is a virtual machine: the
// "hypervisor" CPU flag, which a hypervisor sets for its guests, with
// the DMI system vendor when there is one.
func virtualization(cpuinfo, vendorFile string) string {
	data, err := os.ReadFile(cpuinfo)
	if err != nil {
		return "unknown"
	}
	vendor := ""
	if v, err := os.ReadFile(vendorFile); err == nil && len(bytes.TrimSpace(v)) > 0 {
		vendor = ", system vendor " + raw.OneLine(string(v))
	}
	for line := range strings.Lines(string(data)) {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "flags" {
			if slices.Contains(strings.Fields(value), "hypervisor") {
				return "vm (the hypervisor CPU flag is set" + vendor + ")"
			}
			return "none seen (no hypervisor CPU flag" + vendor + ")"
		}
	}
	return "unknown"
}

// cpuModel returns the first "model name" in a cpuinfo file.
func cpuModel(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return cpuModelFrom(data)
}

func cpuModelFrom(cpuinfo []byte) string {
	for line := range strings.Lines(string(cpuinfo)) {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return raw.OneLine(value)
		}
	}
	return "unknown"
}

// WithBrand adds the processor's brand string, as go test prints it on
// its cpu line, to the model name from /proc/cpuinfo when the two differ
// (virtual machines often report a generic model name there).
func WithBrand(model, brand string) string {
	brand = raw.OneLine(brand)
	if brand == "unknown" || brand == model || strings.Contains(model, brand) {
		return model
	}
	return fmt.Sprintf("%s (brand: %s)", model, brand)
}

// kernelRelease is uname -r.
func kernelRelease() string {
	data, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return raw.OneLine(string(data))
}

func goVersion(ctx context.Context, r process.Runner, dir string) string {
	out, err := process.Output(ctx, r, dir, "go", "env", "GOVERSION")
	if err != nil {
		return "unknown"
	}
	return raw.OneLine(string(out))
}

// gitCommit returns the short hash of HEAD, with "-dirty" when tracked
// files changed or untracked files exist outside results/ and bin/ (the
// report's own output and the built command). It only reads: optional
// locks are off, so git does not refresh the index.
func gitCommit(ctx context.Context, r process.Runner, dir string) string {
	out, err := process.Output(ctx, r, dir, "git", "rev-parse", "--short", "HEAD")
	if err != nil {
		return "unknown"
	}
	commit := raw.OneLine(string(out))
	status, err := process.Output(ctx, r, dir, "git", "status", "--porcelain", "--", ".", ":!results", ":!bin")
	if err != nil || len(bytes.TrimSpace(status)) > 0 {
		commit += "-dirty"
	}
	return commit
}
