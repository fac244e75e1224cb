package futures

import (
	"testing"

	"iostrat"
)

// BenchmarkRuntime drives the iostrat adapter the way the shared bench
// harness does, one workload call per op, to show what the contract's call
// boundary and the cross-thread paths add to the package benchmarks above.
// Per-unit time, wall and CPU, is reported for each.
func BenchmarkRuntime(b *testing.B) {
	rt, err := Strategy{}.Start(iostrat.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	cases := []struct {
		name  string
		units int
		unit  string
		call  func() error
	}{
		{"work=spawn/n=10000", 10000, "task", func() error { _, err := rt.Spawn(10000); return err }},
		{"work=chain/depth=1000", 1000, "spawn", func() error { _, err := rt.Chain(1000); return err }},
		{"work=inject/producers=2/n=10000", 10000, "task", func() error { _, err := rt.Inject(2, 10000); return err }},
		{"work=yield/tasks=200/yields=1000", 200 * 1000, "yield", func() error { _, err := rt.Yield(200, 1000); return err }},
		{"work=pingpong/mode=same", 1000, "round-trip", func() error { _, err := rt.PingPong(1000, iostrat.SameThread); return err }},
		{"work=pingpong/mode=cross", 1000, "round-trip", func() error { _, err := rt.PingPong(1000, iostrat.CrossThread); return err }},
		{"work=pingpong/mode=hog", 100, "round-trip", func() error { _, err := rt.PingPong(100, iostrat.Hog); return err }},
		{"work=wake-external/rounds=1000", 1000, "wake", func() error { _, err := rt.WakeExternal(1000); return err }},
		{"work=fanout/waiters=64/rounds=100", 64 * 100, "wake", func() error { _, err := rt.FanOut(64, 100); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			clock := startCPU(b)
			for b.Loop() {
				if err := c.call(); err != nil {
					b.Fatal(err)
				}
			}
			clock.perUnit(b, c.units, c.unit)
		})
	}
}
