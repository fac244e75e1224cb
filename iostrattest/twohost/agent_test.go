//go:build linux

package twohost

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	agentPort      = "7400"
	agentReadyWait = 10 * time.Second // for the agent to say it listens
	agentStopWait  = 10 * time.Second // for it to exit after SIGTERM
)

// writeToken writes a fresh random token, readable by its owner only, as
// the agent's documentation asks.
func writeToken(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(randomBytes(32))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// logWriter keeps what a process writes, for the test's log. It is
// written by the goroutine copying the pipe and read by the test.
type logWriter struct {
	mu    sync.Mutex
	lines []string
}

func (w *logWriter) add(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, line)
}

func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// startAgent runs `iostrat agent` inside ns, listening on addr, and
// returns once it says it listens. Its stop is a cleanup: SIGTERM, after
// which it must exit with status 0 within agentStopWait, having said it
// stops. Its log goes to the test's log when the test fails.
func startAgent(t *testing.T, ns namespace, iostratBin, addr, tokenFile string) {
	t.Helper()
	// Not CommandContext: the agent outlives the context of its start,
	// and is stopped by the cleanup below.
	cmd := exec.Command(ns.ip, "netns", "exec", ns.name, iostratBin, "agent", "-listen", addr, "-token-file", tokenFile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the agent: %v", err)
	}
	log := &logWriter{}
	ready := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			log.add(sc.Text())
			if !said && strings.HasPrefix(sc.Text(), "agent listening on ") {
				said = true
				close(ready)
			}
		}
	}()
	exited := make(chan error, 1)
	go func() {
		<-copied // Wait closes the pipe: read it to the end first
		exited <- cmd.Wait()
	}()

	t.Cleanup(func() {
		stopAgent(t, cmd, exited, log)
		if t.Failed() {
			t.Logf("agent log:\n%s", log)
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("the agent exited before listening: %v", err)
	case <-time.After(agentReadyWait):
		t.Fatalf("the agent did not say it listens within %v", agentReadyWait)
	}
}

// stopAgent sends the agent SIGTERM and checks that it exits cleanly; a
// process that does not is killed, and the test fails. (Signal is safe
// beside the Wait under way, and harmless after it.)
func stopAgent(t *testing.T, cmd *exec.Cmd, exited chan error, log *logWriter) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signalling the agent: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the agent exited with %v after SIGTERM, want status 0", err)
		}
		if !strings.Contains(log.String(), "agent stopping") {
			t.Errorf("the agent exited without saying it stops")
		}
	case <-time.After(agentStopWait):
		cmd.Process.Kill()
		<-exited
		t.Errorf("the agent did not exit within %v of SIGTERM; killed", agentStopWait)
	}
}

// checkLeftovers registers the checks for leftovers, a cleanup to be
// registered before the agent's start, so that it runs after the agent's
// stop: nothing may be left running in either namespace, and no socket
// listening in the server's.
func checkLeftovers(t *testing.T, server, client namespace) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		checkEmpty(t, ctx, server)
		checkEmpty(t, ctx, client)
		ls, err := server.listeners(ctx)
		if err != nil {
			t.Error(err)
		}
		for _, l := range ls {
			t.Errorf("a socket still listens in %s after the agent's stop: local address %s (/proc/net/tcp hex)", server.name, l)
		}
	})
}
