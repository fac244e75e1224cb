package runner

import (
	"slices"
	"testing"
)

func TestSplitBenchPattern(t *testing.T) {
	for _, tt := range []struct{ in, first, rest string }{
		{"Spawn", "Spawn", ""},
		{"Spawn/impl=goroutine", "Spawn", "/impl=goroutine"},
		{"(A|B/C)/x", "(A|B/C)", "/x"},
		{`A\/B/x`, `A\/B`, "/x"},
		{"[/]x/y", "[/]x", "/y"},
	} {
		first, rest := splitBenchPattern(tt.in)
		if first != tt.first || rest != tt.rest {
			t.Errorf("splitBenchPattern(%q) = %q, %q; want %q, %q", tt.in, first, rest, tt.first, tt.rest)
		}
	}
	if got := BenchPattern("BenchmarkPingPong", "Ping/mode=cross"); got != "^BenchmarkPingPong$/mode=cross" {
		t.Errorf("benchPattern = %q", got)
	}
}

func TestFailures(t *testing.T) {
	out := []byte("BenchmarkX/impl=a-2 1 1 ns/op\n--- FAIL: BenchmarkX/impl=b (0.00s)\n    x.go:1: boom\n--- SKIP: BenchmarkX/impl=c\n--- FAIL: BenchmarkX\n")
	if got := failures(out); !slices.Equal(got, []string{"BenchmarkX/impl=b", "BenchmarkX"}) {
		t.Errorf("failures = %q", got)
	}
}
