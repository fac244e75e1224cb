package publish

import (
	"fmt"
	"slices"
	"strings"
)

// namesShown is how many benchmark names a note lists before "and N
// more".
const namesShown = 4

// plural is "1 waiter" or "8 waiters".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// listSome lists at most n items, then how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// perWhat is the unit of work of a per-unit unit: "round" for "sec/round".
func perWhat(unit string) string {
	_, denom, _ := strings.Cut(unit, "/")
	return denom
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
