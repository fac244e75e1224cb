package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"iostrat/internal/agent"
	"iostrat/internal/golden"
)

// TestAgentGolden checks the agent's usage and the errors that keep it
// from starting, as TestGolden does for the other commands. TMP stands
// for the test's temporary directory.
func TestAgentGolden(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
	}{
		{"help-agent", []string{"agent", "-h"}},
		{"agent-no-token-file", []string{"agent"}},
		{"agent-empty-token", []string{"agent", "-token-file", empty}},
		{"agent-missing-token-file", []string{"agent", "-token-file", filepath.Join(dir, "missing")}},
		{"agent-argument", []string{"agent", "now"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(&stdout, &stderr, tc.args)
			got := "stdout:\n" + stdout.String() + "stderr:\n" + stderr.String() + "error: "
			if err != nil {
				got += err.Error()
				if strings.Contains(stdout.String()+stderr.String(), err.Error()) {
					t.Errorf("the error %q is printed before main prints it", err)
				}
			}
			got = strings.ReplaceAll(got+"\n", dir, "TMP")
			golden.Check(t, filepath.Join("testdata", tc.name+".golden"), []byte(got))
		})
	}
}

// TestAgentWithoutToken: the agent refuses to start without a token file,
// with status 1 and the message once.
func TestAgentWithoutToken(t *testing.T) {
	out, err := child("agent", "-listen", "127.0.0.1:0").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	if n := strings.Count(string(out), "-token-file is required"); n != 1 || strings.Contains(string(out), "listening") {
		t.Errorf("output %q; want the error once and no listener", out)
	}
}

// TestAgentServesUntilSignal runs the agent in a child, runs a benchmark
// server on it, then sends SIGINT while the server runs: the agent must
// exit 0 and take the server down with it.
func TestAgentServesUntilSignal(t *testing.T) {
	token := []byte("cmd-test-token-0123456789abcdef")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, append(token, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := child("agent", "-listen", "127.0.0.1:0", "-token-file", tokenFile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	br := bufio.NewReader(stderr)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "agent listening on ")
	if !ok {
		t.Fatalf("first line %q; want agent listening on ADDR", line)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := agent.Dial(ctx, addr, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "bad token") {
		t.Errorf("Dial with a wrong token: %v; want bad token", err)
	}
	c, err := agent.Dial(ctx, addr, token)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Start(agent.StartRequest{Strategy: "nope", Proto: "echo"}); err == nil || !strings.Contains(err.Error(), `unknown strategy "nope" (have `) {
		t.Errorf("start of an unknown strategy: %v", err)
	}
	started, err := c.Start(agent.StartRequest{Strategy: "goroutine", Proto: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", started.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	echoed := make([]byte, 4)
	if _, err := io.ReadFull(conn, echoed); err != nil || string(echoed) != "ping" {
		t.Fatalf("echo: %q, %v", echoed, err)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("agent after SIGINT: %v\n%s", err, rest)
	}
	if !strings.Contains(string(rest), "agent stopping") || !strings.Contains(string(rest), "stopped its server") {
		t.Errorf("the agent's output after SIGINT:\n%s", rest)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("a connection to the benchmark server is still open after the agent stopped")
	}
	if _, err := c.Stats(); err == nil {
		t.Error("the control connection still answers after the agent stopped")
	}
}
