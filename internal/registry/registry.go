// Package registry is the one list of strategies. The benchmarks range
// over it, the conformance tests and the command look names up in it, so
// adding a strategy is one package plus one line in All.
package registry

import (
	"fmt"
	"slices"
	"strings"

	"iostrat"
	"iostrat/impl/callback"
	"iostrat/impl/futures"
	"iostrat/impl/goroutine"
)

// All returns the strategies every benchmark runs, in column order. Each
// name fixes its backend: a strategy that cannot run here fails Start with
// an error wrapping errors.ErrUnsupported and its cells read n/a.
func All() []iostrat.Strategy {
	return []iostrat.Strategy{
		goroutine.Strategy{},
		callback.Strategy{},
		futures.Strategy{},
	}
}

// aliases are names accepted on the command line that are not benchmark
// columns (for example a strategy that picks its backend at Start).
func aliases() []iostrat.Strategy {
	return nil
}

// Lookup returns the strategy called name, or an error listing the names
// there are.
func Lookup(name string) (iostrat.Strategy, error) {
	for _, s := range Everything() {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unknown strategy %q (have %s)", name, strings.Join(Names(), ", "))
}

// Everything returns the benchmark strategies followed by the aliases: what
// `iostrat list` shows.
func Everything() []iostrat.Strategy { return append(All(), aliases()...) }

// Names lists every name Lookup accepts, sorted.
func Names() []string {
	var names []string
	for _, s := range Everything() {
		names = append(names, s.Name())
	}
	slices.Sort(names)
	return names
}
