package summary

import (
	"math"
	"slices"
)

// Anchors.
//
// An anchor is an outside reference measured beside the strategies in
// the same run (impl=anchor-<name>): a runtime people use (tokio, gnet,
// net/http) or the floor a strategy stands on (liburing, pthreads, a
// futex, plain goroutines). Anchor columns are shown, never ranked: a
// row's verdict is among the strategies alone. Each anchor is held
// against one strategy, the one built on the same model, and the page's
// ratio table sets the two side by side wherever both have data.

// An AnchorPair sets a strategy beside an anchor of its model.
type AnchorPair struct {
	Strategy, Anchor string
	// What the anchor is, in a few words.
	What string
	// Differs says where the two do not do the same work, so that the
	// ratio is read with it; "" when they do the same work.
	Differs string
	// Rows keeps the rows the ratio table shows; nil keeps every row
	// where both have data.
	Rows func(r *Row) bool
}

// AnchorPairs are the pairs the ratio table shows, in its order.
var AnchorPairs = []AnchorPair{
	{Strategy: "futures", Anchor: "anchor-tokio-ct", What: "tokio's current-thread runtime",
		Differs: "an outside wake (WakeExternal) reaches tokio's thread asleep in the kernel (a futex) directly; " + netpollPark},
	{Strategy: "futures", Anchor: "anchor-rust-vtable", What: "a small Rust executor whose waker is a hand-written RawWakerVTable",
		Differs: "an outside wake (WakeExternal) reaches its thread asleep in the kernel (std::thread::park, a futex) directly; " + netpollPark},
	{Strategy: "iocp_uring", Anchor: "anchor-liburing", What: "the same no-op loop in C on liburing",
		Differs: "the strategy's port keeps a completion record and a token table per op; liburing's loop only counts CQEs"},
	{Strategy: "callback", Anchor: "anchor-gnet", What: "gnet v2's event loops serving the suite's own protocol handlers",
		Differs: "the parsing and responses are the same code, but the loops around them are not. gnet's loop is a goroutine that blocks in epoll_wait, so an idle loop costs the sleep and wake of one thread; callback's loop is an OS thread of its own, parked on Go's netpoller (so that at one CPU a goroutine it wakes runs at once), and each time it goes idle the Go scheduler hands the P to another thread and back: a futex wake and more context switches per wait, which the ctx-switches column shows. gnet also reads into its own ring buffers and writes through its own outbound buffer",
		Rows:    func(r *Row) bool { return r.Base == "HTTP" || r.Key("size") == "64B" }},
	{Strategy: "iocp_uring_kernelpost", Anchor: "anchor-epoll", What: "a one-thread epoll loop in C whose two tasks wake each other through a socketpair: a same-thread wake through the kernel, as iocp_uring_kernelpost's posts are",
		Differs: "a C hop is a one-byte write, an epoll_wait and a read (readiness); a kernelpost hop is one NOP submitted and reaped through the ring (completion), plus the strategy's task machinery"},
	{Strategy: "callback", Anchor: "anchor-eventfd", What: "an epoll loop in C woken by an eventfd write from a plain thread",
		Differs: "the eventfd write wakes the C loop asleep in epoll_wait directly; " + netpollPark},
	{Strategy: "goroutine", Anchor: "anchor-go", What: "the same workloads in plain Go (go, WaitGroup, Gosched, channels)",
		Differs: "plain Go makes no hand-off into a runtime per call and keeps no counters"},
	{Strategy: "goroutine", Anchor: "anchor-nethttp", What: "net/http's server",
		Differs: "net/http parses every header into a Request and builds a ResponseWriter per request, and answers pipelined requests one at a time with a write each: more work, and more system calls, than the suite's plaintext handler"},
	{Strategy: "thread", Anchor: "anchor-pthread", What: "pthread_create and pthread_join in C"},
	{Strategy: "thread", Anchor: "anchor-futex", What: "a futex word in C: two threads handing it over, or one woken from outside"},
}

// netpollPark says how the suite's loops wait, where an anchor's thread
// sleeps in the kernel instead: the difference behind their outside wakes.
const netpollPark = "the strategy's loop is a thread of its own parked on Go's netpoller (so that at one CPU a goroutine it wakes runs at once), which the wake reaches through the Go scheduler and a hand-off to the loop's thread: more context switches per wake, as the ctx-switches column shows"

// A Ratio is a strategy's cost over its anchor's on one row: how many
// times the anchor's cost the strategy pays (above 1: the strategy costs
// more), on the row's headline unit (a rate is turned over, so that the
// ratio still reads as cost).
type Ratio struct {
	Pair   AnchorPair
	Group  *GroupSummary
	Row    *Row
	Unit   string
	Ratio  float64
	Lo, Hi float64 // from the two cells' confidence intervals: the ratio's range
}

// Ratios lists the ratio of every pair on every row where both have
// data, pair by pair in AnchorPairs' order.
func Ratios(s *Summary) []Ratio {
	var out []Ratio
	for _, pair := range AnchorPairs {
		for gi := range s.Groups {
			g := &s.Groups[gi]
			si, ai := slices.Index(g.Strategies, pair.Strategy), slices.Index(g.Strategies, pair.Anchor)
			if si < 0 || ai < 0 {
				continue
			}
			for ri := range g.Rows {
				r := &g.Rows[ri]
				if pair.Rows != nil && !pair.Rows(r) {
					continue
				}
				if q, ok := ratioOf(r, si, ai); ok {
					q.Pair, q.Group = pair, g
					out = append(out, q)
				}
			}
		}
	}
	return out
}

// ratioOf is the ratio of columns si over ai on r's headline.
func ratioOf(r *Row, si, ai int) (Ratio, bool) {
	if r.Headline == "" {
		return Ratio{}, false
	}
	m := r.Metrics[0]
	s, a := m.Cells[si], m.Cells[ai]
	if !s.OK() || !a.OK() || s.Summary.Center <= 0 || a.Summary.Center <= 0 {
		return Ratio{}, false
	}
	q := Ratio{Row: r, Unit: m.Unit}
	num, den := s.Summary, a.Summary
	if higherIsBetter(nil, m.Unit) {
		num, den = den, num
	}
	q.Ratio = num.Center / den.Center
	q.Lo, q.Hi = num.Lo/den.Hi, num.Hi/den.Lo
	if den.Lo <= 0 {
		q.Hi = math.Inf(1)
	}
	return q, true
}

// PairOf returns the pair an anchor is held against in, if any.
func PairOf(anchor string) (AnchorPair, bool) {
	i := slices.IndexFunc(AnchorPairs, func(p AnchorPair) bool { return p.Anchor == anchor })
	if i < 0 {
		return AnchorPair{}, false
	}
	return AnchorPairs[i], true
}
