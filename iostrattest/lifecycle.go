package iostrattest

import (
	"errors"
	"fmt"
	"net"
	"time"

	"iostrat"
	"iostrat/internal/proto"
)

func lifecycleChecks() []Check {
	return []Check{
		{"closed", checkClosed},
		{"info", checkInfo},
	}
}

// checkClosed: after Close, every method returns ErrClosed and Close is
// idempotent.
func checkClosed(s iostrat.Strategy) error {
	warmUpNet()
	rt, err := s.Start(iostrat.Options{})
	if err != nil {
		return err
	}
	if err := rt.Close(); err != nil {
		return fmt.Errorf("runtime Close: %w", err)
	}
	if err := rt.Close(); err != nil {
		return fmt.Errorf("second Close: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	calls := map[string]func() error{
		"Spawn":        func() error { _, err := rt.Spawn(1); return err },
		"Chain":        func() error { _, err := rt.Chain(1); return err },
		"Inject":       func() error { _, err := rt.Inject(1, 1); return err },
		"Yield":        func() error { _, err := rt.Yield(1, 1); return err },
		"PingPong":     func() error { _, err := rt.PingPong(1, iostrat.SameThread); return err },
		"WakeExternal": func() error { _, err := rt.WakeExternal(1); return err },
		"FanOut":       func() error { _, err := rt.FanOut(1, 1); return err },
		"Timers":       func() error { _, err := rt.Timers(iostrat.TimerSpec{Count: 1, Horizon: time.Millisecond}); return err },
		"Serve":        func() error { _, err := rt.Serve(ln, proto.Echo{}); return err },
	}
	for name, call := range calls {
		if err := within(name+" after Close", call); !errors.Is(err, iostrat.ErrClosed) {
			return fmt.Errorf("%s after Close returned %v, want ErrClosed", name, err)
		}
	}
	return nil
}

// checkInfo: the runtime says what it is, with a backend and its knobs.
func checkInfo(s iostrat.Strategy) error {
	return withRuntime(s, iostrat.Options{}, func(rt iostrat.Runtime) error {
		info := rt.Info()
		switch {
		case info.Model == "":
			return fmt.Errorf("Info().Model is empty")
		case info.Backend == "":
			return fmt.Errorf("Info().Backend is empty")
		case len(info.Knobs) == 0:
			return fmt.Errorf("Info().Knobs is empty: every knob must be published")
		}
		for _, k := range info.Knobs {
			if k.Key == "" || k.Value == "" {
				return fmt.Errorf("knob %+v has an empty key or value", k)
			}
		}
		return nil
	})
}
