package process

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	if got := Tail(nil, 3); got != "" {
		t.Errorf("Tail of nothing = %q, want empty", got)
	}
	if got := Tail([]byte("a\nb\n"), 3); got != "\n\ta\n\tb" {
		t.Errorf("Tail of two lines = %q", got)
	}
	if got := Tail([]byte("a\nb\nc\nd\n"), 2); got != "\n\t...\n\tc\n\td" {
		t.Errorf("Tail of four lines, two kept = %q", got)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path.txt":       "plain/path.txt",
		"":                     "''",
		".name:(A OR B)":       "'.name:(A OR B)'",
		"it's":                 `'it'\''s'`,
		"^BenchmarkX$/mode=a":  "'^BenchmarkX$/mode=a'",
		"-test.benchtime=100x": "-test.benchtime=100x",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestExecOutput(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	out, err := Output(context.Background(), Exec{}, "", "sh", "-c", "echo out; echo err >&2")
	if err != nil || string(out) != "out\n" {
		t.Errorf("Output = %q, %v; want standard output only", out, err)
	}
	_, err = Output(context.Background(), Exec{}, "", "sh", "-c", "echo why >&2; exit 3")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.HasSuffix(err.Error(), "\n\twhy") {
		t.Errorf("Output of a failing command = %v, want its status and standard error", err)
	}
	both, err := Combined(context.Background(), Exec{}, "", "sh", "-c", "echo out; echo err >&2")
	if err != nil || !strings.Contains(string(both), "out\n") || !strings.Contains(string(both), "err\n") {
		t.Errorf("Combined = %q, %v; want both streams", both, err)
	}
	if err := (Exec{}).Run(context.Background(), "", nil, nil, "go-tool-that-does-not-exist"); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("a missing command = %v, want exec.ErrNotFound", err)
	}
}
