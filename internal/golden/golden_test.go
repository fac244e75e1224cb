package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = true }
func (r *recorder) Fatal(args ...any)                 { r.fatal = true }

func TestCheck(t *testing.T) {
	if *update {
		t.Skip("-update rewrites instead of comparing")
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same := &recorder{TB: t}
	Check(same, path, []byte("a\nb\n"))
	if len(same.errors) != 0 || same.fatal {
		t.Errorf("equal output failed: %q", same.errors)
	}
	differ := &recorder{TB: t}
	Check(differ, path, []byte("a\nc\n"))
	if len(differ.errors) != 1 {
		t.Errorf("different output: %d failures, want 1", len(differ.errors))
	}
	missing := &recorder{TB: t}
	Check(missing, filepath.Join(t.TempDir(), "none.golden"), []byte("a"))
	if !missing.fatal {
		t.Error("a missing golden file did not fail")
	}
}

func TestFirstDifference(t *testing.T) {
	got := firstDifference("a\nb\nc", "a\nx\nc")
	if !strings.HasPrefix(got, "line 2:") || !strings.Contains(got, `"b"`) || !strings.Contains(got, `"x"`) {
		t.Errorf("FirstDifference = %q", got)
	}
	if got := firstDifference("a\n", "a\n"); !strings.Contains(got, "no line differs") {
		t.Errorf("FirstDifference of equal texts = %q", got)
	}
}
