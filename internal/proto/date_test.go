package proto

import (
	"net/http"
	"testing"
	"time"
)

func TestDateFormat(t *testing.T) {
	when := time.Date(1994, time.November, 6, 8, 49, 37, 999, time.FixedZone("CET", 3600))
	d := dateAt(when)
	if got, want := string(d.text[:]), "Sun, 06 Nov 1994 07:49:37 GMT"; got != want {
		t.Errorf("date %q, want %q", got, want)
	}
	if dateFormat != http.TimeFormat {
		t.Errorf("dateFormat %q differs from net/http's %q", dateFormat, http.TimeFormat)
	}
}

func TestDateCache(t *testing.T) {
	saved := cachedDate.Load()
	t.Cleanup(func() { cachedDate.Store(saved) })

	base := time.Now().Add(time.Hour).Truncate(time.Second)
	first := dateAt(base)
	if again := dateAt(base.Add(999 * time.Millisecond)); again != first {
		t.Error("same second formatted twice")
	}
	next := dateAt(base.Add(time.Second))
	if next == first || next.unix != first.unix+1 || cachedDate.Load() != next {
		t.Fatalf("next second: got %+v after %+v, cached %+v", next, first, cachedDate.Load())
	}
	// A wall clock stepped back is followed at once.
	back := dateAt(base.Add(-time.Hour))
	if back.unix != base.Add(-time.Hour).Unix() || cachedDate.Load() != back {
		t.Errorf("clock stepped back: got %+v, cached %+v", back, cachedDate.Load())
	}
}

func TestCurrentDate(t *testing.T) {
	d := currentDate()
	parsed, err := http.ParseTime(string(d.text[:]))
	if err != nil {
		t.Fatal(err)
	}
	if age := time.Since(parsed); age < 0 || age > 2*time.Second {
		t.Errorf("date %q is %v from now", d.text, age)
	}
}
