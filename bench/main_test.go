package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"iostrat/internal/loadgen"
)

// TestMain runs the benchmarks, or, first, plays one of the child
// processes they start (the socket workloads' client, or the holder of
// idle connections) through loadgen.ChildMain.
func TestMain(m *testing.M) {
	loadgen.ChildMain()
	flag.Parse()
	if err := setUpBudget(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := setUpImpls(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := setUpRemote(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}
