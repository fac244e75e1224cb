package raw_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/raw"
)

func TestFindPrevious(t *testing.T) {
	dir := t.TempDir()
	body := reporttest.Results("Spawn/impl=a", "ns/task", 1)
	reporttest.WriteRaw(t, dir, "2026-01-01-aaa.txt", reporttest.Header(false, "2026-01-01T10:00:00Z", "a")+body)
	want := reporttest.WriteRaw(t, dir, "2026-01-02-bbb.txt", reporttest.Header(false, "2026-01-02T10:00:00Z", "a")+body)
	reporttest.WriteRaw(t, dir, "2026-01-02-ccc-quick.txt", reporttest.Header(true, "2026-01-02T11:00:00Z", "a")+body) // quick: never for a full run
	reporttest.WriteRaw(t, dir, "2026-01-04-eee.txt", reporttest.Header(false, "2026-01-04T10:00:00Z", "a")+body)      // newer than the current run
	reporttest.WriteRaw(t, dir, "notes.md", "not a raw file")
	current := reporttest.WriteRaw(t, dir, "2026-01-03-ddd.txt", reporttest.Header(false, "2026-01-03T10:00:00Z", "a")+body)

	cur, err := raw.Read(current)
	if err != nil {
		t.Fatal(err)
	}
	if got, why := raw.FindPrevious(dir, cur); got != want {
		t.Errorf("previous of a full run = %q (%s), want %q", got, why, want)
	}

	quick := reporttest.WriteRaw(t, dir, "2026-01-03-fff-quick.txt", reporttest.Header(true, "2026-01-03T12:00:00Z", "a")+body)
	qraw, err := raw.Read(quick)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := raw.FindPrevious(dir, qraw); got != filepath.Join(dir, "2026-01-02-ccc-quick.txt") {
		t.Errorf("previous of a quick run = %q, want the older quick run", got)
	}

	first, err := raw.Read(filepath.Join(dir, "2026-01-01-aaa.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got, why := raw.FindPrevious(dir, first); got != "" || why != "no earlier full run to compare with" {
		t.Errorf("previous of the first run = %q, %q; want none", got, why)
	}
	if got, why := raw.FindPrevious(filepath.Join(dir, "missing"), cur); got != "" || why == "" {
		t.Errorf("previous in a missing directory = %q, %q; want none, with a reason", got, why)
	}
}

func TestFindPreviousWithoutDateLines(t *testing.T) {
	dir := t.TempDir()
	body := reporttest.Results("Spawn/impl=a", "ns/task", 1)
	noDate := func(quick bool) string {
		h := reporttest.Header(quick, "x", "a")
		return strings.Replace(h, "date: x\n", "", 1)
	}
	old := reporttest.WriteRaw(t, dir, "old.txt", noDate(false)+body)
	oldQuick := reporttest.WriteRaw(t, dir, "old-quick.txt", strings.Replace(noDate(true), "quick: true\n", "", 1)+body) // quick only by its name
	current := reporttest.WriteRaw(t, dir, "new.txt", noDate(false)+body)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(oldQuick, past, past)
	cur, err := raw.Read(current)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := raw.FindPrevious(dir, cur); got != old {
		t.Errorf("previous by modification time = %q, want %q", got, old)
	}
}
