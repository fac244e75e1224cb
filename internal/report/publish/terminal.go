package publish

import (
	"fmt"
	"io"

	"iostrat/internal/report/summary"
)

// WriteComparisonText prints a comparison for the terminal: the outcome
// in one line, then what else differs and each change.
func WriteComparisonText(w io.Writer, c *summary.Comparison) {
	if c.Previous == "" || c.Skipped != "" {
		fmt.Fprintf(w, "not compared with a previous run: %s\n", c.Skipped)
		return
	}
	fmt.Fprintf(w, "compared with %s: %d regressions, %d improvements among %d headline figures (U test, Holm-Bonferroni corrected, beyond drift; %d uncorrected)\n",
		c.Previous, len(c.Regressions), len(c.Improvements), c.Compared, c.Uncorrected)
	for _, d := range c.OtherDiffs {
		fmt.Fprintf(w, "  note: %s differs: %q → %q\n", d.Key, d.Old, d.New)
	}
	for _, list := range []struct {
		what    string
		changes []summary.Change
	}{{"regression ", c.Regressions}, {"improvement", c.Improvements}} {
		for _, ch := range list.changes {
			fmt.Fprintf(w, "  %s  %s  %s  %s → %s  %+.1f%%  p=%.3f\n", list.what, ch.Name, ch.Unit,
				formatValue(ch.Old, ch.Unit), formatValue(ch.New, ch.Unit), 100*ch.Delta, ch.P)
		}
	}
}
