package raw

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// A Transcriber copies benchmark binary output into a raw file's body:
// result lines, skip records with their reasons, and config lines the
// header does not already fix (go test prints goos, goarch and cpu
// itself; the header's values stand, so benchstat sees one
// configuration). Name-only progress lines and benchmark logs are
// dropped. Result lines are copied as the binary printed them.
type Transcriber struct {
	w      io.Writer
	header Provenance
	last   map[string]string // last value written per config key
}

// NewTranscriber returns a Transcriber writing to w under header.
func NewTranscriber(w io.Writer, header Provenance) *Transcriber {
	return &Transcriber{w: w, header: header, last: make(map[string]string)}
}

// Transcribe copies one run's output.
func (t *Transcriber) Transcribe(out []byte) {
	var logs []string // indented lines since the last unindented one
	s := bufio.NewScanner(bytes.NewReader(out))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		switch {
		case isIndented(line):
			logs = append(logs, line)
			continue
		case strings.HasPrefix(line, "--- SKIP: "):
			fmt.Fprintln(t.w, line)
			for _, l := range logs {
				fmt.Fprintln(t.w, l)
			}
		case strings.HasPrefix(line, "Benchmark") && len(strings.Fields(line)) > 1:
			fmt.Fprintln(t.w, line)
		default:
			t.config(line)
		}
		logs = logs[:0]
	}
}

// config copies a config line whose key the header lacks, when its
// value changed.
func (t *Transcriber) config(line string) {
	if key, value, ok := CutConfigLine(line); ok && t.header.Get(key) == "" && t.last[key] != value {
		t.last[key] = value
		fmt.Fprintln(t.w, line)
	}
}

// ConfigValue returns the value of the first config line for key in a
// benchmark binary's output, or "".
func ConfigValue(out []byte, key string) string {
	for line := range strings.Lines(string(out)) {
		if k, v, ok := CutConfigLine(strings.TrimRight(line, "\n")); ok && k == key {
			return v
		}
	}
	return ""
}
