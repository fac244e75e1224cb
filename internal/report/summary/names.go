package summary

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchproc"
)

// Names.
//
// A result's name says which strategy ran it (the impl key), at which
// CPU budget (the "-N" GOMAXPROCS suffix go test adds at N ≠ 1; none
// means 1) and which leaf it measured (the rest). The summary takes
// names apart with benchproc projections, as benchstat -col /impl does:
// one projection for /impl, one for /gomaxprocs, and .fullname less
// those two, which names the row. Rows at different budgets are
// different rows with the same name.

// implKey is the name key that says which strategy ran a benchmark.
const implKey = "impl"

// names projects result names into strategy, budget and row.
type names struct {
	impl, procs, row *benchproc.Projection
}

// newNames returns the projections. The three come from one parser, so
// the row's .fullname leaves out the keys the other two project.
func newNames() *names {
	var p benchproc.ProjectionParser
	parse := func(expr string) *benchproc.Projection {
		proj, err := p.Parse(expr, nil)
		if err != nil {
			panic(fmt.Sprintf("projection %q: %v", expr, err)) // the expressions are constants
		}
		return proj
	}
	return &names{impl: parse("/" + implKey), procs: parse("/gomaxprocs"), row: parse(".fullname")}
}

// A resultName is a result's name taken apart.
type resultName struct {
	row  rowKey     // the row: name and budget
	base string     // "Inject"
	impl string     // "goroutine"; "" when the name has no impl key
	keys []KeyValue // the key=value parts other than impl, in order
}

// rowKey identifies a row within a file: its name (base and keys:
// "Inject/producers=4/tasks=12800") and its budget.
type rowKey struct {
	name string
	cpus int
}

// of takes a result's name apart.
func (n *names) of(res *benchfmt.Result) resultName {
	rn := resultName{
		row:  rowKey{name: value(n.row, res), cpus: 1},
		base: string(res.Name.Base()),
		impl: value(n.impl, res),
	}
	if procs, err := strconv.Atoi(value(n.procs, res)); err == nil && procs > 0 {
		rn.row.cpus = procs
	}
	_, parts := res.Name.Parts()
	for _, p := range parts {
		part := string(p)
		if part[0] == '-' || strings.HasPrefix(part, "/"+implKey+"=") {
			continue // the budget and the strategy, projected above
		}
		k, v, ok := strings.Cut(part[1:], "=")
		if !ok {
			k, v = "", part[1:]
		}
		rn.keys = append(rn.keys, KeyValue{k, v})
	}
	return rn
}

// ofName takes a name that is not a result's apart: a skip record's.
func (n *names) ofName(name string) resultName {
	return n.of(&benchfmt.Result{Name: benchfmt.Name(name)})
}

// value is the one field of a single-field projection of res.
func value(p *benchproc.Projection, res *benchfmt.Result) string {
	return p.Project(res).Get(p.Fields()[0])
}

// full is the name as go test prints it, without "Benchmark": the impl
// key after the base and the "-N" suffix when the budget is not 1.
func (rn resultName) full() string {
	name := rn.row.name
	if rn.impl != "" {
		name = rn.base + "/" + implKey + "=" + rn.impl + name[len(rn.base):]
	}
	if rn.row.cpus != 1 {
		name += fmt.Sprintf("-%d", rn.row.cpus)
	}
	return name
}
