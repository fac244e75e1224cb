package raw_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"iostrat/internal/report/raw"
)

func TestTranscriber(t *testing.T) {
	header := raw.Provenance{Lines: []raw.ConfigLine{{Key: raw.KeyGOOS, Value: "linux"}, {Key: raw.KeyCPU, Value: "Model"}}}
	var body bytes.Buffer
	tr := raw.NewTranscriber(&body, header)
	out := "goos: linux\ncpu: Brand\npkg: iostrat/bench\nBenchmarkA\nBenchmarkA/impl=x \t 10 \t 5 ns/op\n" +
		"    a_test.go:3: a log line\nBenchmarkA/impl=y\n    a_test.go:5: unsupported: no ring\n--- SKIP: BenchmarkA/impl=y\nPASS\n"
	tr.Transcribe([]byte(out))
	tr.Transcribe([]byte("pkg: iostrat/bench\nBenchmarkB \t 1 \t 7 ns/op\n"))
	want := "pkg: iostrat/bench\nBenchmarkA/impl=x \t 10 \t 5 ns/op\n--- SKIP: BenchmarkA/impl=y\n    a_test.go:5: unsupported: no ring\nBenchmarkB \t 1 \t 7 ns/op\n"
	if body.String() != want {
		t.Errorf("transcribed:\n%q\nwant:\n%q", body.String(), want)
	}
	if got := raw.ConfigValue([]byte(out), raw.KeyCPU); got != "Brand" {
		t.Errorf("ConfigValue(cpu) = %q, want the binary's own", got)
	}
}

func TestWriteNewNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	base := raw.BaseName(start, "abc1234")
	var names []string
	for i := range 3 {
		path, err := raw.WriteNew(dir, base, i == 2, start, []byte{byte('a' + i)})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(path))
	}
	path, err := raw.WriteNew(dir, base, false, start, []byte("d"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Base(path))
	want := []string{"2026-01-02-abc1234.txt", "2026-01-02-abc1234-150405.txt", "2026-01-02-abc1234-quick.txt", "2026-01-02-abc1234-150405-2.txt"}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("files %q, want %q", names, want)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, want[0])); string(data) != "a" {
		t.Errorf("the first file was overwritten: %q", data)
	}
}
