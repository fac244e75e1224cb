// Package golden compares test output with golden files: files, usually
// under a package's testdata, that hold the output a test expects, byte
// for byte.
//
// It registers one flag, -update, in the test binary of every package
// that imports it. Run a package's tests with it to rewrite that
// package's golden files from what the tests now produce, then review
// the difference with git diff:
//
//	go test ./internal/proto/ -update
//	go test ./internal/report/summary/ ./internal/report/publish/ -update
//	go test ./cmd/iostrat/ -run 'TestGolden|TestReportRerendersRawFile' -update
//
// Name the packages: go test passes -update to every package it runs,
// and the test binary of one that does not import golden rejects it.
// The golden files of internal/report/summary and publish are under
// internal/report/testdata, beside the sample run they digest.
//
// Without -update, [Check] fails the test at the first line that
// differs. A package that imports golden must not declare its own
// -update flag.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files the tests compare with")

// Check compares got with the golden file at path (relative to the
// package directory, usually under testdata). With -update it writes
// got to path instead, creating its directory.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept the new output):\n%s", path, firstDifference(string(want), string(got)))
	}
}

// firstDifference describes the first line where want and got differ.
func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(no line differs; line endings?)"
}
