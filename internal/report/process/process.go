// Package process runs the child processes a report needs — the go
// tool, git, the benchmark binary, benchstat — behind the one [Runner]
// interface that tests replace with a fake.
//
// The runner (internal/report/runner) and the benchstat invocation
// (internal/report/summary) run their commands through it, and
// internal/report passes the caller's Runner down to both. It knows no
// command in particular except how to quote one for a reader.
package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A Runner runs the commands a report needs. [Exec] runs them as child
// processes; tests replace it.
type Runner interface {
	// Run runs name with args in dir, writing its standard output and
	// standard error to the given writers (which may be the same). A
	// non-zero exit is an error.
	Run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error
}

// Exec runs commands as child processes.
type Exec struct{}

// Run implements [Runner]. Git runs with optional locks off so that
// reading its status never writes the index.
func (Exec) Run(ctx context.Context, dir string, stdout, stderr io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	err := cmd.Run()
	if errors.Is(err, exec.ErrNotFound) && name == "go" {
		return fmt.Errorf("no go toolchain: %w (install Go and put it in PATH)", err)
	}
	return err
}

// Output runs a command and returns its standard output; on failure the
// error carries the tail of its standard error.
func Output(ctx context.Context, r Runner, dir, name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	if err := r.Run(ctx, dir, &stdout, &stderr, name, args...); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w%s", name, strings.Join(args, " "), err, Tail(stderr.Bytes(), 20))
	}
	return stdout.Bytes(), nil
}

// Combined runs a command and returns its interleaved output.
func Combined(ctx context.Context, r Runner, dir, name string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	err := r.Run(ctx, dir, &out, &out, name, args...)
	return out.Bytes(), err
}

// Tail returns the last n lines of out, indented, after a newline; or
// "" if out is empty. Errors end with it.
func Tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return "\n\t" + strings.Join(lines, "\n\t")
}

// Quote quotes s for a POSIX shell when it needs it, for commands shown
// to a reader.
func Quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]{}!#~^") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Abs is p made absolute, or p if that fails: file arguments are given
// to commands as absolute paths, so that a page can map them back.
func Abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
