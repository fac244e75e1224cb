//go:build linux

package twohost

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The two hosts: a namespace each, joined by a veth pair whose ends are
// created directly inside them, so no interface ever appears in the
// namespace the test runs in. The addresses live only in these
// namespaces, so they cannot clash with the machine's own.
const (
	nsPrefix  = "iostrat-twohost" // namespace names: <prefix>-srv-<pid>, <prefix>-cli-<pid>
	serverIf  = "veth-srv"        // the server's end of the veth pair
	clientIf  = "veth-cli"        // the client's end
	serverIP  = "10.200.0.1"
	clientIP  = "10.200.0.2"
	prefixLen = "/24"
)

// needTool returns the path of an iproute2 tool. It looks in PATH and
// then in the sbin directories, which a root shell has in PATH but a
// test's environment may not. A missing tool skips the test, or fails it
// with IOSTRAT_REQUIRE_TOOLS=1 (set by make test).
func needTool(t *testing.T, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return path
		}
	}
	if os.Getenv("IOSTRAT_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not installed (IOSTRAT_REQUIRE_TOOLS=1); it comes with iproute2 (apt-get install iproute2)", name)
	}
	t.Skipf("%s is not installed; it comes with iproute2 (apt-get install iproute2)", name)
	return ""
}

// command runs name with args and returns its standard output; a failure
// carries the command line and what it wrote to standard error.
func command(ctx context.Context, name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// A namespace is a named network namespace, made with ip netns add.
type namespace struct {
	ip   string // the ip tool
	name string
}

// ip runs `ip -n <ns> args...`, ip acting inside the namespace.
func (ns namespace) ipIn(ctx context.Context, args ...string) ([]byte, error) {
	return command(ctx, ns.ip, append([]string{"-n", ns.name}, args...)...)
}

// exec is the command `ip netns exec <ns> name args...`: name runs inside
// the namespace, as the process ip starts (ip execs it, so the process
// is name itself).
func (ns namespace) exec(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, ns.ip, append([]string{"netns", "exec", ns.name, name}, args...)...)
}

// pids lists the processes inside the namespace.
func (ns namespace) pids(ctx context.Context) ([]int, error) {
	out, err := command(ctx, ns.ip, "netns", "pids", ns.name)
	if err != nil {
		return nil, err
	}
	var pids []int
	for f := range strings.FieldsSeq(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ip netns pids %s: %q is not a process id", ns.name, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// listeners lists the TCP sockets listening inside the namespace, as
// local addresses in /proc/net/tcp's hex ("0100C80A:1CE8"), read by a
// cat running there (/proc/net shows the reader's namespace).
func (ns namespace) listeners(ctx context.Context) ([]string, error) {
	out, err := ns.exec(ctx, "cat", "/proc/net/tcp", "/proc/net/tcp6").Output()
	if err != nil {
		return nil, fmt.Errorf("reading /proc/net/tcp in %s: %w", ns.name, err)
	}
	const listen = "0A" // TCP_LISTEN in include/net/tcp_states.h
	var ls []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// sl local_address rem_address st ...
		f := strings.Fields(sc.Text())
		if len(f) > 3 && f[0] != "sl" && f[3] == listen {
			ls = append(ls, f[1])
		}
	}
	return ls, sc.Err()
}

// rxPackets is the number of packets the interface received, from
// `ip -s -j link show`.
func (ns namespace) rxPackets(ctx context.Context, dev string) (uint64, error) {
	out, err := ns.ipIn(ctx, "-s", "-j", "link", "show", "dev", dev)
	if err != nil {
		return 0, err
	}
	var links []struct {
		Stats64 struct {
			RX struct {
				Packets uint64 `json:"packets"`
			} `json:"rx"`
		} `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return 0, fmt.Errorf("ip -s -j link show dev %s in %s: unexpected output %q (%v)", dev, ns.name, out, err)
	}
	return links[0].Stats64.RX.Packets, nil
}

// netnsNames lists the named network namespaces (ip netns list).
func netnsNames(ctx context.Context, ip string) ([]string, error) {
	out, err := command(ctx, ip, "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		// "name" or "name (id: 3)"
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// makeHosts creates the two namespaces, joined by the veth pair, each
// with its loopback and its end up. It skips the test, with ip's error,
// when the first namespace cannot be made. Deleting the namespaces, and
// checking that they are gone, is a cleanup registered here: it runs
// after the cleanups registered later (the agent's stop and the checks
// for leftovers).
func makeHosts(t *testing.T, ctx context.Context, ip string) (server, client namespace) {
	server = namespace{ip: ip, name: fmt.Sprintf("%s-srv-%d", nsPrefix, os.Getpid())}
	client = namespace{ip: ip, name: fmt.Sprintf("%s-cli-%d", nsPrefix, os.Getpid())}
	if _, err := command(ctx, ip, "netns", "add", server.name); err != nil {
		t.Skipf("cannot create a network namespace (the test needs CAP_SYS_ADMIN): %v", err)
	}
	made := []namespace{server}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		for _, ns := range made {
			if _, err := command(ctx, ip, "netns", "delete", ns.name); err != nil {
				t.Errorf("deleting namespace %s: %v", ns.name, err)
			}
		}
		names, err := netnsNames(ctx, ip)
		if err != nil {
			t.Error(err)
		}
		for _, ns := range made {
			if slices.Contains(names, ns.name) {
				t.Errorf("namespace %s is left after the test: ip netns list says %v", ns.name, names)
			}
		}
	})
	if _, err := command(ctx, ip, "netns", "add", client.name); err != nil {
		t.Fatalf("the first namespace was made, the second not: %v", err)
	}
	made = append(made, client)

	steps := [][]string{
		{"link", "add", serverIf, "netns", server.name, "type", "veth", "peer", "name", clientIf, "netns", client.name},
		{"-n", server.name, "addr", "add", serverIP + prefixLen, "dev", serverIf},
		{"-n", client.name, "addr", "add", clientIP + prefixLen, "dev", clientIf},
	}
	for _, ns := range []namespace{server, client} {
		steps = append(steps, []string{"-n", ns.name, "link", "set", "lo", "up"})
	}
	steps = append(steps,
		[]string{"-n", server.name, "link", "set", serverIf, "up"},
		[]string{"-n", client.name, "link", "set", clientIf, "up"})
	for _, args := range steps {
		if _, err := command(ctx, ip, args...); err != nil {
			t.Fatal(err)
		}
	}
	return server, client
}

// checkEmpty fails the test for every process left inside ns.
func checkEmpty(t *testing.T, ctx context.Context, ns namespace) {
	t.Helper()
	pids, err := ns.pids(ctx)
	if err != nil {
		t.Error(err)
		return
	}
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		t.Errorf("process %d is left running in %s: %s", pid, ns.name, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
}
