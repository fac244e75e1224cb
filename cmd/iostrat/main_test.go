package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"iostrat/internal/golden"
	"iostrat/strategies"
)

// TestMain lets a test run the real command in a child process (for
// signals and exit codes) by re-running this binary with IOSTRAT_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("IOSTRAT_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child returns the command as a child process with args.
func child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "IOSTRAT_MAIN=1")
	return cmd
}

// TestGolden runs the command in-process and compares its output and error
// with testdata/<name>.golden (-update rewrites them: see internal/golden).
// Each -h output and each error has its file; an error is printed once,
// by main, so it must not be in the output as well.
func TestGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"help", []string{"help"}},
		{"help-list", []string{"list", "-h"}},
		{"help-serve", []string{"serve", "-h"}},
		{"help-load", []string{"load", "-h"}},
		{"help-report", []string{"report", "-h"}},
		{"help-version", []string{"version", "-h"}},
		{"help-unknown-command", []string{"help", "frobnicate"}},
		{"help-two-commands", []string{"help", "serve", "load"}},
		{"no-command", nil},
		{"unknown-command", []string{"frobnicate"}},
		{"list-bad-flag", []string{"list", "-x"}},
		{"list-argument", []string{"list", "all"}},
		{"serve-unknown-strategy", []string{"serve", "-strategy", "nope"}},
		{"serve-no-strategy", []string{"serve"}},
		{"serve-bad-proto", []string{"serve", "-strategy", "goroutine", "-proto", "smtp"}},
		{"serve-bad-trigger", []string{"serve", "-strategy", "goroutine", "-trigger", "sideways"}},
		{"serve-bad-flag", []string{"serve", "-bogus"}},
		{"serve-bad-loops", []string{"serve", "-strategy", "callback", "-loops", "-1"}},
		{"serve-trigger-without-trigger", []string{"serve", "-strategy", "goroutine", "-trigger", "edge"}},
		{"serve-trigger-fixed", []string{"serve", "-strategy", "futures", "-trigger", "level"}},
		{"serve-trigger-variant", []string{"serve", "-strategy", "callback_edge", "-trigger", "level"}},
		{"serve-loops-goroutine", []string{"serve", "-strategy", "goroutine", "-loops", "2"}},
		{"serve-loops-thread", []string{"serve", "-strategy", "thread", "-loops", "2"}},
		{"load-bad-proto", []string{"load", "-proto", "ftp"}},
		{"load-bad-conns", []string{"load", "-conns", "0"}},
		{"load-bad-flag", []string{"load", "-rate", "fast"}},
		{"load-argument", []string{"load", "127.0.0.1:8080"}},
		{"load-pipeline-open-loop", []string{"load", "-rate", "100", "-pipeline", "4"}},
		{"load-pipeline-echo", []string{"load", "-proto", "echo", "-pipeline", "4"}},
		{"load-size-http", []string{"load", "-size", "1024"}},
		{"load-warmup-closed-loop", []string{"load", "-warmup", "2s"}},
		{"version-argument", []string{"version", "now"}},
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
			got += "\n"
			golden.Check(t, filepath.Join("testdata", tc.name+".golden"), []byte(got))
		})
	}
}

// TestHelpCommand: 'iostrat help CMD' prints what 'iostrat CMD -h' does.
func TestHelpCommand(t *testing.T) {
	for _, c := range commands() {
		var help, flagH bytes.Buffer
		if err := run(&help, io.Discard, []string{"help", c.name}); err != nil {
			t.Errorf("help %s: %v", c.name, err)
		}
		if err := run(&flagH, io.Discard, []string{c.name, "-h"}); err != nil {
			t.Errorf("%s -h: %v", c.name, err)
		}
		if help.String() != flagH.String() || !strings.HasPrefix(help.String(), "usage: iostrat "+c.name) {
			t.Errorf("help %s printed\n%s\nand %[1]s -h printed\n%s", c.name, help.String(), flagH.String())
		}
	}
}

// TestExitStatus: errors exit 1 with the message once on stderr; -h, for
// every command, prints the usage on stdout and exits 0.
func TestExitStatus(t *testing.T) {
	out, err := child("serve", "-strategy", "nope").CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1", err)
	}
	if !strings.Contains(string(out), `iostrat: serve: unknown strategy "nope"`) {
		t.Errorf("output %q", out)
	}
	out, err = child("serve", "-bogus").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("serve -bogus: exit %v, want status 1", err)
	}
	if n := strings.Count(string(out), "flag provided but not defined"); n != 1 {
		t.Errorf("serve -bogus printed its error %d times:\n%s", n, out)
	}
	for _, c := range commands() {
		cmd := child(c.name, "-h")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 || !strings.HasPrefix(string(out), "usage: iostrat "+c.name) {
			t.Errorf("%s -h: %v, stdout %q, stderr %q; want status 0 and the usage on stdout", c.name, err, out, stderr.String())
		}
	}
}

// TestServeAddressInUse: a taken port is a clear message and status 1.
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, err := child("serve", "-strategy", "goroutine", "-addr", ln.Addr().String()).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "already in use") {
		t.Errorf("output %q does not say the address is in use", out)
	}
}

// TestServeGracefulShutdown serves HTTP in a child, answers a request,
// then sends SIGTERM while a client holds a connection: the child must
// exit 0, close the connection and print its counters.
func TestServeGracefulShutdown(t *testing.T) {
	type run struct {
		strategy string
		sig      syscall.Signal
	}
	runs := []run{{"goroutine", syscall.SIGINT}}
	for _, name := range strategies.Names() {
		runs = append(runs, run{name, syscall.SIGTERM})
	}
	for _, r := range runs {
		sig := r.sig
		t.Run(r.strategy+"/"+sig.String(), func(t *testing.T) {
			cmd := child("serve", "-strategy", r.strategy, "-proto", "http", "-addr", "127.0.0.1:0")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			br := bufio.NewReader(stdout)
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			// "serving http on 127.0.0.1:PORT with ..."
			fields := strings.Fields(line)
			if len(fields) < 4 || fields[0] != "serving" {
				t.Fatalf("first line %q", line)
			}
			addr := fields[3]
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("response: %v, %v", resp, err)
			}
			resp.Body.Close()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(br)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("serve after %v: %v\n%s", sig, err, rest)
			}
			if !strings.Contains(string(rest), "shutting down: 1 connections open") || !strings.Contains(string(rest), "stopped; counters:") {
				t.Errorf("shutdown output %q", rest)
			}
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Error("connection still open after shutdown")
			}
		})
	}
}
