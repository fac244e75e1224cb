package loadgen

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync/atomic"

	"iostrat/internal/affinity"
)

// Child processes. Some clients live in a process of their own, so their
// goroutines, memory and file descriptors are not the server's: a
// [Remote] load client (the benchmarks' socket workloads) and a holder of
// idle connections ([HoldInChild]). The child is the running test binary
// itself, started again with one environment variable naming its role;
// its TestMain calls [ChildMain] first, which plays the role and exits.
// One entry point serves every role, so a package whose tests start
// children of any kind needs the same single line:
//
//	func TestMain(m *testing.M) {
//		loadgen.ChildMain()
//		m.Run()
//	}
//
// Each child also takes [affinity.Env]: the CPUs to pin itself to, with
// GOMAXPROCS set to their number.

// The role environment variables. Their names and values are the protocol
// between a parent and its child, so they never change with the code.
const (
	// holdEnv, set to "addr,n", makes the child hold n idle connections to
	// addr until its standard input closes (idle.go).
	holdEnv = "IOSTRAT_HOLD_IDLE"
	// remoteEnv, set to "1", makes the child a load client serving
	// [Request]s from its standard input (remote.go).
	remoteEnv = "IOSTRAT_BENCH_CLIENT"
)

// childMainCalled records that this process ran [ChildMain] and is not a
// child: its binary can be started again as one.
var childMainCalled atomic.Bool

// ChildMain is the one entry point of the child processes this package
// starts. Call it first in TestMain, before flags are parsed. In a child
// it plays the role its environment names and exits the process; in any
// other process it returns at once, and [StartRemote], [HoldInChild] and
// [HoldInChildOn] may then start children.
func ChildMain() {
	if code, isChild := runChild(os.Getenv, os.Stdin, os.Stdout); isChild {
		os.Exit(code)
	}
	childMainCalled.Store(true)
}

// CanStartChildren reports whether [ChildMain] ran in this process, so
// that it can start children of its own binary.
func CanStartChildren() bool { return childMainCalled.Load() }

// runChild plays the role getenv names, reading requests from in and
// writing answers to out, and returns the exit code; isChild is false when
// no role is named.
func runChild(getenv func(string) string, in io.Reader, out io.Writer) (code int, isChild bool) {
	if spec := getenv(holdEnv); spec != "" {
		return runHolder(spec, in, out), true
	}
	if getenv(remoteEnv) != "" {
		return runRemote(in, out), true
	}
	return 0, false
}

// child is a running child process: its standard input (closing it ends
// the child) and output.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.Reader
}

// startChild starts this binary again in the role env names (one
// "NAME=value" entry), pinned to cpus (nil: wherever it is started). The
// child runs no tests or benchmarks: [ChildMain] takes over before they
// would start. Its standard error is this process's.
func startChild(role string, env string, cpus affinity.Set) (*child, error) {
	if !CanStartChildren() {
		return nil, fmt.Errorf("loadgen: %s: this test binary cannot be started as a child: its TestMain must call loadgen.ChildMain first", role)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), env)
	if cpus != nil {
		cmd.Env = append(cmd.Env, affinity.Env+"="+cpus.String())
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadgen: %s: starting the child process: %w", role, err)
	}
	return &child{cmd: cmd, stdin: stdin, stdout: stdout}, nil
}

// wait closes the child's standard input, which ends it, and waits for it
// to exit.
func (c *child) wait() error {
	c.stdin.Close()
	return c.cmd.Wait()
}
