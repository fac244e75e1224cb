package agent

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"iostrat/internal/affinity"
)

// probeMachine describes the agent's host. A probe that fails leaves
// "unknown" (or, for VCPUs, the CPUs this process may use).
func probeMachine() Machine {
	m := Machine{
		CPU:       cpuModel(readOrEmpty("/proc/cpuinfo")),
		Kernel:    orUnknown(readOrEmpty("/proc/sys/kernel/osrelease")),
		GoVersion: runtime.Version(),
		Commit:    buildCommit(),
		VCPUs:     onlineCPUs(readOrEmpty("/sys/devices/system/cpu/online")),
		Allowed:   "unknown",
	}
	if h, err := os.Hostname(); err == nil {
		m.Hostname = h
	}
	if cpus, err := affinity.Observe(); err == nil {
		m.Allowed = cpus.String()
	}
	return m
}

func readOrEmpty(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(data)
}

func orUnknown(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "unknown"
	}
	return s
}

// cpuModel returns the first "model name" of a /proc/cpuinfo.
func cpuModel(cpuinfo string) string {
	for line := range strings.Lines(cpuinfo) {
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return orUnknown(value)
		}
	}
	return "unknown"
}

// onlineCPUs counts the CPUs of the kernel's online list ("0-1,4"), or
// returns runtime.NumCPU when the list is missing or unreadable.
func onlineCPUs(list string) int {
	s, err := affinity.Parse(strings.TrimSpace(list))
	if err != nil {
		return runtime.NumCPU()
	}
	return s.Len()
}

// buildCommit is the short VCS revision the Go toolchain recorded in the
// binary, with "-dirty" when the tree had local changes, as the benchmark
// report writes a commit; "unknown" for a binary built without VCS
// information (go run, go test, -buildvcs=false).
func buildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return rev
}
