package affinity

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestSetListRoundTrip(t *testing.T) {
	for _, list := range []string{"0", "1", "0-3", "0,2", "0-1,4,6-7"} {
		s, err := Parse(list)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.String(); got != list {
			t.Errorf("Parse(%q).String() = %q", list, got)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "-1", "0,,1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) gave no error", bad)
		}
	}
	a, _ := Parse("0-3")
	b, _ := Parse("2-5")
	if got := a.Intersect(b).String(); got != "2-3" {
		t.Errorf("intersection %s", got)
	}
	if got := a.Without(b).String(); got != "0-1" {
		t.Errorf("difference %s", got)
	}
}

// pinningTest runs f in a child process, so the test process keeps its
// affinity.
const childEnv = "AFFINITY_TEST_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		if err := children[name](); err != nil {
			os.Stdout.WriteString("FAIL " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("ok\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var children = map[string]func() error{
	// pin-observe: pin to the first CPU while goroutines start threads,
	// then check every thread, old and new, reads back that one CPU.
	"pin-observe": func() error {
		start, err := Self()
		if err != nil {
			return err
		}
		one := start[:1]
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				runtime.LockOSThread() // forces new threads while pinning
				<-stop
			})
		}
		err = Pin(one)
		close(stop)
		wg.Wait()
		if err != nil {
			return err
		}
		// Threads created after Pin inherit the mask.
		for range 4 {
			wg.Go(func() { runtime.LockOSThread() })
		}
		wg.Wait()
		got, err := Observe()
		if err != nil {
			return err
		}
		if !slices.Equal(got, one) {
			return &mismatch{got.String(), one.String()}
		}
		return nil
	},
	// from-env: PinFromEnv applies the parent's list and GOMAXPROCS.
	"from-env": func() error {
		if err := PinFromEnv(); err != nil {
			return err
		}
		p, err := ObservePlacement()
		if err != nil {
			return err
		}
		want, _ := Parse(os.Getenv(Env))
		if !slices.Equal(p.CPUs, want) || p.GOMAXPROCS != want.Len() {
			return &mismatch{p.CPUs.String(), want.String()}
		}
		return nil
	},
}

type mismatch struct{ got, want string }

func (m *mismatch) Error() string { return "observed CPUs " + m.got + ", want " + m.want }

func runChild(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+name), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("child %s: %v\n%s", name, err, out)
	}
}

func TestPinReachesEveryThread(t *testing.T) { runChild(t, "pin-observe") }

func TestPinFromEnv(t *testing.T) {
	start, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	last := start[len(start)-1:]
	runChild(t, "from-env", Env+"="+last.String())
}
