package raw

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// BaseName is a raw file's name before any suffix: the run's date and
// commit.
func BaseName(start time.Time, commit string) string {
	return start.UTC().Format("2006-01-02") + "-" + commit
}

// WriteNew writes data to a new file in dir named base + ".txt", or
// base + "-quick.txt" for a quick run. If that exists it adds the time
// (-HHMMSS) and then a counter; it never overwrites a file.
func WriteNew(dir, base string, quick bool, start time.Time, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	suffix := ".txt"
	if quick {
		suffix = "-quick.txt"
	}
	stamped := base + "-" + start.UTC().Format("150405")
	candidates := []string{base, stamped}
	for i := 2; i < 100; i++ {
		candidates = append(candidates, fmt.Sprintf("%s-%d", stamped, i))
	}
	for _, c := range candidates {
		path := filepath.Join(dir, c+suffix)
		err := writeExclusive(path, data)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return path, nil
	}
	return "", fmt.Errorf("no free raw file name for %s in %s", base, dir)
}

// writeExclusive creates path, which must not exist, with data; it
// removes what it created if the write fails.
func writeExclusive(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
