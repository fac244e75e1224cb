package raw

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FindPrevious returns the raw file in dir that the run in current is
// compared with: the newest file of the same kind (quick runs with quick
// runs, full with full) made before it. It returns "" and the reason
// when there is none.
func FindPrevious(dir string, current *File) (path, why string) {
	quick := current.Provenance.Quick()
	none := "no earlier full run to compare with"
	if quick {
		none = "no earlier quick run to compare with"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", none
	}
	curDate, ok := current.Provenance.Date()
	if !ok {
		curDate = modTime(current.Path)
	}
	curAbs, _ := filepath.Abs(current.Path)
	var best string
	var bestDate time.Time
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if abs, _ := filepath.Abs(p); abs == curAbs {
			continue
		}
		prov, date, err := readHeader(p)
		if err != nil || isQuick(prov, p) != quick || !date.Before(curDate) {
			continue
		}
		if best == "" || date.After(bestDate) {
			best, bestDate = p, date
		}
	}
	if best == "" {
		return "", none
	}
	return best, ""
}

// readHeader reads a raw file's provenance and its date (from the date
// line, else the file's modification time).
func readHeader(path string) (Provenance, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return Provenance{}, time.Time{}, err
	}
	defer f.Close()
	prov, err := ParseProvenance(f)
	if err != nil {
		return prov, time.Time{}, err
	}
	date, ok := prov.Date()
	if !ok {
		date = modTime(path)
	}
	return prov, date, nil
}

// isQuick reports whether a raw file holds a quick run: its quick line,
// or for files without one, its -quick name suffix.
func isQuick(p Provenance, path string) bool {
	if v := p.Get(KeyQuick); v != "" {
		return v == "true"
	}
	return strings.HasSuffix(path, "-quick.txt")
}

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
