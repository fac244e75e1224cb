package raw

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A File is a raw benchmark file read back: its provenance header, its
// results, the benchmarks it skipped and why.
type File struct {
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

// Read reads a raw benchmark file. Lines it cannot parse become
// warnings; only an unreadable file is an error.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse parses the contents of a raw benchmark file; name is used in
// warnings.
func Parse(data []byte, name string) (*File, error) {
	prov, err := ParseProvenance(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f := &File{Path: name, Provenance: prov, Skips: parseSkips(data)}
	r := benchfmt.NewReader(bytes.NewReader(data), name)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			f.Warnings = append(f.Warnings, rec)
		case *benchfmt.Result:
			f.Results = append(f.Results, rec.Clone())
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	f.Units = r.Units()
	return f, nil
}

// sourcePosition is the "file.go:123: " prefix testing puts on log lines.
var sourcePosition = regexp.MustCompile(`^\S+\.go:\d+: `)

// parseSkips reads "--- SKIP: BenchmarkX/..." records and the indented
// reason lines after them: test records, which benchfmt leaves out.
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
			current = strings.TrimPrefix(strings.Fields(name + " ")[0], "Benchmark")
			continue
		}
		if current != "" && isIndented(line) {
			if text := sourcePosition.ReplaceAllString(strings.TrimSpace(line), ""); text != "" {
				reason = append(reason, text)
			}
			continue
		}
		flush()
	}
	flush()
	return skips
}

// isIndented reports whether a line of test output is a log line.
func isIndented(line string) bool {
	return strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
}
