package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Raw is a raw benchmark file read back: its provenance header, its
// results, the benchmarks it skipped and why.
type Raw struct {
	// Path is where the file was read from.
	Path string
	// Provenance is the header.
	Provenance Provenance
	// Results are the benchmark results in file order.
	Results []*benchfmt.Result
	// Units is the unit metadata the file declares.
	Units benchfmt.UnitMetadataMap
	// Skips maps a skipped benchmark's full name (without the
	// "Benchmark" prefix) to the reason it gave.
	Skips map[string]string
	// Warnings are per-line problems: lines that look like results but
	// do not parse. They were skipped.
	Warnings []error
}

// ReadRaw reads a raw benchmark file. Lines it cannot parse become
// warnings; only an unreadable file is an error.
func ReadRaw(path string) (*Raw, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRaw(data, path)
}

// ParseRaw parses the contents of a raw benchmark file; name is used in
// warnings.
func ParseRaw(data []byte, name string) (*Raw, error) {
	prov, err := ParseProvenance(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	raw := &Raw{Path: name, Provenance: prov, Skips: parseSkips(data)}
	r := benchfmt.NewReader(bytes.NewReader(data), name)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			raw.Warnings = append(raw.Warnings, rec)
		case *benchfmt.Result:
			raw.Results = append(raw.Results, rec.Clone())
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	raw.Units = r.Units()
	return raw, nil
}

// sourcePosition is the "file.go:123: " prefix testing puts on log lines.
var sourcePosition = regexp.MustCompile(`^\S+\.go:\d+: `)

// parseSkips reads "--- SKIP: BenchmarkX/..." records and the indented
// reason lines after them.
func parseSkips(data []byte) map[string]string {
	skips := make(map[string]string)
	var current string
	var reason []string
	flush := func() {
		if current != "" {
			skips[current] = strings.Join(reason, "; ")
		}
		current, reason = "", nil
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if name, ok := strings.CutPrefix(line, "--- SKIP: "); ok {
			flush()
			name = strings.TrimPrefix(strings.Fields(name + " ")[0], "Benchmark")
			current = name
			continue
		}
		if current != "" && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			text := sourcePosition.ReplaceAllString(strings.TrimSpace(line), "")
			if text != "" {
				reason = append(reason, text)
			}
			continue
		}
		flush()
	}
	flush()
	return skips
}
