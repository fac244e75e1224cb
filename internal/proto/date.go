package proto

import (
	"sync/atomic"
	"time"
)

// dateFormat is the IMF-fixdate form of RFC 1123 dates that HTTP sends in
// Date headers (RFC 9110 §5.6.7); it is net/http's TimeFormat.
const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// dateLen is the length of every date in dateFormat.
const dateLen = len(dateFormat)

// httpDate is a preformatted Date header value and the second it names.
// Once published it is never written again, so readers need no lock.
type httpDate struct {
	unix int64
	text [dateLen]byte
}

// cachedDate is the date of the latest second a response was built in.
// All handlers on all goroutines share it: formatting a date costs far more
// than a request, so it is done at most about once per second, lazily when
// a response needs it, with no background goroutine to tick it.
var cachedDate atomic.Pointer[httpDate]

// currentDate returns the date for a response built now.
func currentDate() *httpDate { return dateAt(time.Now()) }

// dateAt returns the date for second of now, refreshing the cache when now
// is in a different second from the cached one.
func dateAt(now time.Time) *httpDate {
	sec := now.Unix()
	cached := cachedDate.Load()
	if cached != nil && cached.unix == sec {
		return cached
	}
	fresh := &httpDate{unix: sec}
	now.UTC().AppendFormat(fresh.text[:0], dateFormat)
	// Replace only the value loaded: if another goroutine got there first,
	// its value is as fresh. The cache follows the wall clock both ways, so
	// a clock stepped back is picked up at once.
	cachedDate.CompareAndSwap(cached, fresh)
	return fresh
}
