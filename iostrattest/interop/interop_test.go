package interop

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"iostrat"
	"iostrat/internal/loadgen"
	"iostrat/internal/proto"
	"iostrat/iostrattest"
	"iostrat/strategies"
)

// needTool returns the path of an outside tool, skipping the test when it
// is missing unless IOSTRAT_REQUIRE_TOOLS=1 (set by make test).
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("IOSTRAT_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not installed (scripts/install-test-deps.sh installs it)", name)
	}
	t.Skipf("%s is not installed; run scripts/install-test-deps.sh", name)
	return ""
}

// serveHTTP starts s, serves HTTP plaintext on a loopback port and returns
// the address; everything is closed when the test ends.
func serveHTTP(t *testing.T, s iostrat.Strategy) string {
	t.Helper()
	rt, err := s.Start(iostrat.Options{})
	if err != nil {
		t.Skipf("%s cannot run here: %v", s.Name(), err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := rt.Serve(ln, proto.HTTP{})
	if err != nil {
		t.Fatal(err)
	}
	return svc.Addr().String()
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// TestWrk drives every strategy with wrk, plain and 16-deep pipelined:
// zero socket errors, zero non-2xx responses, and some requests answered.
func TestWrk(t *testing.T) {
	wrk := needTool(t, "wrk")
	script, err := filepath.Abs("testdata/pipeline.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strategies.Benchmarked() {
		t.Run(s.Name(), func(t *testing.T) {
			addr := serveHTTP(t, s)
			for _, pipeline := range []int{1, 16} {
				args := []string{"-t1", "-c32", "-d1s", "http://" + addr + "/plaintext"}
				if pipeline > 1 {
					args = append([]string{"-s", script}, args...)
				}
				cmd := exec.Command(wrk, args...)
				cmd.Env = append(os.Environ(), "WRK_PIPELINE="+strconv.Itoa(pipeline))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("wrk (pipeline %d): %v\n%s", pipeline, err, out)
				}
				text := string(out)
				m := wrkRequests.FindStringSubmatch(text)
				if m == nil || m[1] == "0" {
					t.Fatalf("wrk (pipeline %d) answered no requests:\n%s", pipeline, text)
				}
				if m := wrkSocket.FindStringSubmatch(text); m != nil {
					t.Errorf("wrk (pipeline %d) socket errors: %s\n%s", pipeline, m[0], text)
				}
				if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
					t.Errorf("wrk (pipeline %d): %s\n%s", pipeline, m[0], text)
				}
				t.Logf("pipeline %d: %s requests", pipeline, wrkRequests.FindStringSubmatch(text)[1])
			}
		})
	}
}

// TestCurl asks every strategy for /plaintext with curl and checks the
// status line, the headers and the body.
func TestCurl(t *testing.T) {
	curl := needTool(t, "curl")
	for _, s := range strategies.Benchmarked() {
		t.Run(s.Name(), func(t *testing.T) {
			addr := serveHTTP(t, s)
			out, err := exec.Command(curl, "-sS", "-i", "--max-time", "10", "http://"+addr+"/plaintext").CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			head, body, ok := strings.Cut(string(out), "\r\n\r\n")
			if !ok {
				t.Fatalf("curl output has no header block:\n%s", out)
			}
			lines := strings.Split(head, "\r\n")
			if lines[0] != "HTTP/1.1 200 OK" {
				t.Errorf("status line %q", lines[0])
			}
			headers := map[string]string{}
			for _, l := range lines[1:] {
				k, v, _ := strings.Cut(l, ":")
				headers[strings.ToLower(k)] = strings.TrimSpace(v)
			}
			for k, want := range map[string]string{"content-length": "13", "content-type": "text/plain", "server": "iostrat"} {
				if headers[k] != want {
					t.Errorf("%s: %q, want %q", k, headers[k], want)
				}
			}
			if headers["date"] == "" {
				t.Error("no Date header")
			}
			if body != proto.PlaintextBody {
				t.Errorf("body %q", body)
			}
			// 404 for anything else.
			out, err = exec.Command(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://"+addr+"/nope").CombinedOutput()
			if err != nil || string(out) != "404" {
				t.Errorf("curl /nope: %s, %v", out, err)
			}
		})
	}
}

// TestHostile runs the hostile and faulty clients against every strategy.
func TestHostile(t *testing.T) {
	for _, s := range strategies.Benchmarked() {
		t.Run(s.Name(), func(t *testing.T) {
			iostrattest.TestHostile(t, s)
		})
	}
}

// TestMain lets the many-conns check hold its clients in a child process
// (loadgen.ChildMain plays it), so 10,000 connections fit in each
// process's fd limit.
func TestMain(m *testing.M) {
	loadgen.ChildMain()
	m.Run()
}
