package goroutine_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"iostrat"
	"iostrat/impl/goroutine"
)

// The floor under the goroutine column: plain Go of the same shape as the
// Spawn and Yield workloads, with no contract, no runtime value and no
// counters. Run both side by side, on the same budget:
//
//	taskset -c 0 go test -run '^$' -bench 'Floor|Strategy' -cpu 1 ./impl/goroutine
//
// The strategy's figures should sit within a few percent of these: the
// adapter adds a closed check and one counter update per call, nothing
// per task.
const (
	floorTasks  = 10_000 // bench: spawnTasks
	floorYields = 1_000  // bench: yieldEach, over yieldTasks goroutines
	floorYieldG = 200
)

func BenchmarkFloorSpawn(b *testing.B) {
	for b.Loop() {
		var sum atomic.Uint64
		var wg sync.WaitGroup
		wg.Add(floorTasks)
		for i := range floorTasks {
			go func() {
				sum.Add(uint64(i + 1))
				wg.Done()
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*floorTasks), "ns/task")
}

func BenchmarkFloorYield(b *testing.B) {
	for b.Loop() {
		var total atomic.Uint64
		var wg sync.WaitGroup
		wg.Add(floorYieldG)
		for range floorYieldG {
			go func() {
				defer wg.Done()
				for range floorYields {
					runtime.Gosched()
				}
				total.Add(floorYields)
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*floorYieldG*floorYields), "ns/yield")
}

func BenchmarkStrategySpawn(b *testing.B) {
	rt, err := goroutine.Strategy{}.Start(iostrat.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	for b.Loop() {
		if _, err := rt.Spawn(floorTasks); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*floorTasks), "ns/task")
}

func BenchmarkStrategyYield(b *testing.B) {
	rt, err := goroutine.Strategy{}.Start(iostrat.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	for b.Loop() {
		if _, err := rt.Yield(floorYieldG, floorYields); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*floorYieldG*floorYields), "ns/yield")
}
