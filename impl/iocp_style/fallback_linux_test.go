package iocpstyle

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"

	"iostrat"
)

// failingSetup makes io_uring_setup(2) fail as a kernel would: ENOSYS
// without io_uring, EPERM under seccomp or kernel.io_uring_disabled, ENOMEM
// when RLIMIT_MEMLOCK is too low.
func failingSetup(errno syscall.Errno) setupFunc {
	return func(uint32, *ringParams) (int, error) { return -1, errno }
}

// logRecorder collects Options.Logf lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *logRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// TestFallback simulates io_uring being unavailable: Auto runs emulated,
// says so once in the log and everywhere in Info; Uring refuses to start
// with an error wrapping errors.ErrUnsupported and the cause; nothing is
// ever silent.
func TestFallback(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSYS, syscall.EPERM, syscall.ENOMEM} {
		t.Run(errnoName(errno), func(t *testing.T) {
			var log logRecorder
			opts := iostrat.Options{Loops: 2, Logf: log.logf}

			auto := Strategy{Backend: Auto, setup: failingSetup(errno)}
			rt, err := auto.Start(opts)
			if err != nil {
				t.Fatalf("Auto with io_uring failing (%v): Start: %v", errno, err)
			}
			info := rt.Info()
			if info.Name != "iocp_style" || info.Backend != "emulated" {
				t.Errorf("Info = %s, want iocp_style on the emulated backend", info)
			}
			if why := info.Knob("io_uring"); !strings.HasPrefix(why, "unavailable:") || !strings.Contains(why, errno.Error()) {
				t.Errorf("Info knobs do not say why io_uring is unavailable: %s", info)
			}
			if sum, err := rt.Spawn(100); err != nil || sum != 100*101/2 {
				t.Errorf("Spawn(100) on the fallback = %d, %v", sum, err)
			}
			rt.Close()
			lines := log.all()
			if len(lines) != 1 {
				t.Fatalf("%d log lines for one fallback, want exactly 1: %q", len(lines), lines)
			}
			for _, want := range []string{"io_uring unavailable", errno.Error(), "emulated"} {
				if !strings.Contains(lines[0], want) {
					t.Errorf("log line %q does not say %q", lines[0], want)
				}
			}

			uring := Strategy{Backend: Uring, setup: failingSetup(errno)}
			if rt, err := uring.Start(opts); err == nil {
				rt.Close()
				t.Fatalf("Uring started with io_uring failing (%v)", errno)
			} else if !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, errno) {
				t.Errorf("Uring Start error %q: want errors.ErrUnsupported and %v", err, errno)
			} else if !strings.Contains(err.Error(), "iocp_uring") {
				t.Errorf("Uring Start error %q does not name the strategy", err)
			}
			if len(log.all()) != 1 {
				t.Errorf("Uring logged instead of failing: %q", log.all()[1:])
			}

			never := func(uint32, *ringParams) (int, error) {
				t.Error("Emulated called io_uring_setup")
				return -1, syscall.ENOSYS
			}
			rt, err = Strategy{Backend: Emulated, setup: never}.Start(opts)
			if err != nil {
				t.Fatal(err)
			}
			if info := rt.Info(); info.Name != "iocp_emulated" || info.Backend != "emulated" || !strings.HasPrefix(info.Knob("io_uring"), "not used") {
				t.Errorf("Emulated Info = %s", info)
			}
			rt.Close()
		})
	}
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOSYS:
		return "ENOSYS"
	case syscall.EPERM:
		return "EPERM"
	case syscall.ENOMEM:
		return "ENOMEM"
	}
	return fmt.Sprint(int(e))
}

// TestSetupFlagFallback: a kernel that refuses the newest setup flags with
// EINVAL still gets a ring, with fewer flags, and the knobs say which.
func TestSetupFlagFallback(t *testing.T) {
	if _, err := Probe(); err != nil {
		t.Skipf("io_uring unavailable here: %v", err)
	}
	var tried []uint32
	oldKernel := func(entries uint32, p *ringParams) (int, error) {
		tried = append(tried, p.flags)
		if p.flags&(setupNoSQArray|setupDeferTaskrun) != 0 {
			return -1, syscall.EINVAL
		}
		return sysSetup(entries, p)
	}
	var log logRecorder
	rt, err := Strategy{Backend: Uring, setup: oldKernel}.Start(iostrat.Options{Loops: 1, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	info := rt.Info()
	if got := info.Knob("io_uring-setup"); got != "CQSIZE|SUBMIT_ALL|COOP_TASKRUN|TASKRUN_FLAG" {
		t.Errorf("after EINVAL for DEFER_TASKRUN and NO_SQARRAY: %s", info)
	}
	// Without DEFER_TASKRUN the ring cannot park on the netpoller (see
	// park_linux.go): the loop parks its thread, and says so.
	if !strings.HasPrefix(info.Knob("park"), "thread (netpoll asked") || !strings.Contains(strings.Join(log.all(), "\n"), "DEFER_TASKRUN") {
		t.Errorf("a ring without DEFER_TASKRUN: %s; logged %q", info, log.all())
	}
	if len(tried) != 3 {
		t.Errorf("setup tried flags %x, want three attempts", tried)
	}
	if sum, err := rt.Spawn(1000); err != nil || sum != 1000*1001/2 {
		t.Errorf("Spawn on the reduced ring = %d, %v", sum, err)
	}
}

// TestProbe: Probe describes what it found, or says why there is nothing.
func TestProbe(t *testing.T) {
	features, err := Probe()
	if err != nil {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Probe error %v does not wrap errors.ErrUnsupported", err)
		}
		t.Skipf("io_uring unavailable here: %v", err)
	}
	for _, want := range []string{"kernel=", "setup=", "features=", "NODROP", "ops="} {
		if !strings.Contains(features, want) {
			t.Errorf("Probe() = %q lacks %q", features, want)
		}
	}
	t.Log(features)
}

// TestInfoKnobs: every knob has a value, the name says the backend, and
// the post knob says how loops post to themselves.
func TestInfoKnobs(t *testing.T) {
	for _, c := range []struct {
		s    Strategy
		name string
	}{
		{Strategy{Backend: Uring}, "iocp_uring"},
		{Strategy{Backend: Uring, PostKernel: true}, "iocp_uring_kernelpost"},
		{Strategy{Backend: Emulated}, "iocp_emulated"},
		{Strategy{Backend: Auto}, "iocp_style"},
		{Strategy{Backend: Auto, PostKernel: true}, "iocp_style_kernelpost"},
	} {
		if got := c.s.Name(); got != c.name {
			t.Errorf("%+v: Name() = %q, want %q", c.s, got, c.name)
		}
	}
	for _, s := range []Strategy{{Backend: Uring}, {Backend: Uring, PostKernel: true}, {Backend: Emulated}} {
		rt, err := s.Start(iostrat.Options{})
		if errors.Is(err, errors.ErrUnsupported) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		info := rt.Info()
		rt.Close()
		if info.Model != "completion queue" || info.Backend != map[Backend]string{Uring: "io_uring", Emulated: "emulated"}[s.Backend] {
			t.Errorf("%s: Info = %s", s.Name(), info)
		}
		for _, k := range info.Knobs {
			if k.Value == "" {
				t.Errorf("%s: knob %s has no value", s.Name(), k.Key)
			}
		}
		if want := map[bool]string{false: "user", true: "kernel"}[s.PostKernel]; info.Name != s.Name() || info.Knob("post") != want {
			t.Errorf("%s: Info name %q, post knob %q, want post=%s", s.Name(), info.Name, info.Knob("post"), want)
		}
		t.Log(info)
	}
}
