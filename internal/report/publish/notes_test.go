package publish

import (
	"fmt"
	"strings"
	"testing"

	"iostrat/internal/report/internal/reporttest"
	"iostrat/internal/report/summary"
)

// threeStrategies is a header knowing strategies a, b and c.
var threeStrategies = reporttest.Header(false, "2026-01-02T00:00:00Z", "a", "b", "c")

func TestDecisionNoteAfterHolm(t *testing.T) {
	// Ten rows of five runs each, completely separated: p = 2/C(10,5) ≈
	// 0.008 for every row, above Holm's first threshold of 0.005 (see
	// summary's TestHolmCorrectsForThePage).
	text := threeStrategies
	for i := range 10 {
		name := fmt.Sprintf("Spawn/k=%d", i)
		text += reporttest.Results(name+"/impl=a", "ns/task", reporttest.Mixed(reporttest.Spread(100, 5))...) +
			reporttest.Results(name+"/impl=b", "ns/task", reporttest.Mixed(reporttest.Spread(200, 5))...)
	}
	notes := strings.Join(pageNotes(summary.Summarize(reporttest.Parse(t, text))), "\n")
	if !strings.Contains(notes, "0 of 10 rows decided") || !strings.Contains(notes, "over the page's 10 comparisons") ||
		!strings.Contains(notes, "Not decided: 10 without a significant difference, 0 within drift, 0 flagged.") ||
		!strings.Contains(notes, "needs at least 6 runs per strategy") {
		t.Errorf("decision note:\n%s", notes)
	}
}

func TestFlaggedNote(t *testing.T) {
	// The rows of summary's TestOverBudgetIsFlagged: b over its budget
	// in PingPong at cpus=1, a sharing its CPU with the client in Echo.
	f := reporttest.Parse(t, threeStrategies+
		reporttest.Placed("PingPong/impl=a/mode=cross", 1, 1, "ns/round", "", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("PingPong/impl=b/mode=cross", 1, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(300, 10))...)+
		reporttest.Placed("PingPong/impl=a/mode=cross", 2, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("PingPong/impl=b/mode=cross", 2, 2, "ns/round", "", reporttest.Mixed(reporttest.Spread(300, 10))...)+
		reporttest.Placed("Echo/impl=a/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 1 shared-cpus", reporttest.Mixed(reporttest.Spread(100, 10))...)+
		reporttest.Placed("Echo/impl=b/conns=1", 1, 1, "ns/msg", "1 client-cpus \t 1 client-gomaxprocs \t 0 shared-cpus", reporttest.Mixed(reporttest.Spread(300, 10))...))
	notes := strings.Join(pageNotes(summary.Summarize(f)), "\n")
	if !strings.Contains(notes, "2 rows flagged and not ranked") || !strings.Contains(notes, "PingPong/mode=cross at cpus=1 (b: GOMAXPROCS 2 with a budget of 1)") {
		t.Errorf("notes do not name the flagged rows:\n%s", notes)
	}
}
