package bench

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"

	"iostrat/strategies"
)

// Anchors and job selection.
//
// With -iostrat.anchors the dispatch and wake workloads add the plain-Go
// floor (anchors/gofloor) as the column impl=anchor-go, after the
// strategies: the same call, sizes, result check and measurement, with no
// runtime in between. The other anchors (Rust executors, C probes, gnet
// and net/http servers) are programs of their own; the report runs them
// beside this binary (anchors/README.md).
//
// -iostrat.impls narrows a run to some columns: the report gives a
// strategy whose calls cost hundreds of times the others' (thread) runs
// of the binary of its own, so that each gets an iteration count sized
// to it.
var (
	anchorsFlag = flag.Bool("iostrat.anchors", false, "also run the plain-Go floor columns (impl=anchor-go)")
	implsFlag   = flag.String("iostrat.impls", "", "comma-separated `names` of the only columns to run (strategies, or anchor-<name>); empty runs all")
	skipFlag    = flag.String("iostrat.skip-impls", "", "comma-separated `names` of columns not to run")
)

// setUpImpls checks -iostrat.impls and -iostrat.skip-impls in TestMain:
// every name must be a registered strategy or an anchor.
func setUpImpls() error {
	known := strategies.Names()
	for _, s := range append(strategies.IOVariants(), strategies.DispatchVariants()...) {
		known = append(known, s.Name())
	}
	slices.Sort(known)
	known = slices.Compact(known)
	for flagName, list := range map[string]string{"impls": *implsFlag, "skip-impls": *skipFlag} {
		for _, name := range splitList(list) {
			if !slices.Contains(known, name) && !strings.HasPrefix(name, "anchor-") {
				return fmt.Errorf("-iostrat.%s: unknown column %q (have %s, or anchor-<name>)", flagName, name, strings.Join(known, ", "))
			}
		}
	}
	return nil
}

func splitList(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

// implSelected reports whether the column impl=name runs.
func implSelected(name string) bool {
	only := splitList(*implsFlag)
	return (only == nil || slices.Contains(only, name)) && !slices.Contains(splitList(*skipFlag), name)
}

// anchorLeaf runs f as the sub-benchmark impl=anchor-<name>, after the
// strategies, when -iostrat.anchors asks for anchors and -iostrat.impls
// selects it. f runs pinned to the budget, as every strategy's leaf does.
func anchorLeaf(b *testing.B, name string, f func(b *testing.B)) {
	impl := "anchor-" + name
	if !*anchorsFlag || !implSelected(impl) {
		return
	}
	b.Run("impl="+impl, f)
}

// A floor is one leaf of the plain-Go floor: the sub-benchmark leaf
// (the same parameters as the strategies' leaf beside it) measuring call
// for perCall units.
type floor struct {
	leaf, unit string
	perCall    int
	call       func() error
}

// floorLeaves runs the plain-Go floor's leaves under impl=anchor-go, each
// pinned to the budget as every strategy's leaf is.
func floorLeaves(b *testing.B, leaves ...floor) {
	anchorLeaf(b, "go", func(b *testing.B) {
		for _, f := range leaves {
			b.Run(f.leaf, func(b *testing.B) {
				applyBudget(b)
				measure(b, nil, f.unit, f.perCall, f.call)
			})
		}
	})
}

// check is the error of a call whose result got differs from want.
func check[T comparable](what string, got, want T) error {
	if got != want {
		return fmt.Errorf("%s = %v, want %v", what, got, want)
	}
	return nil
}
