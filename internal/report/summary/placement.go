package summary

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Placement.
//
// After each measured loop the bench harness reads back where the work
// ran and reports it on the result line:
//
//	cpu-util           server process CPU time ÷ wall time of the loop
//	cpus               CPUs in the union of the server process's thread affinities
//	gomaxprocs         the server's GOMAXPROCS
//	client-cpus        socket benchmarks: the client process's CPUs
//	client-gomaxprocs  socket benchmarks: the client's GOMAXPROCS, read back inside it
//	shared-cpus        socket benchmarks: CPUs in both sets; 0 means separated
//	remote-server      socket benchmarks whose server ran in an agent on another
//	                   machine (its cpus and gomaxprocs are the agent's): 1, in
//	                   place of shared-cpus
//
// Every statement the report makes about placement (the pinning config
// line, the page's placement section, the rows it flags) is computed
// from these, never from what the run asked for. A result used more than
// its budget (the -N suffix, see names.go) when its GOMAXPROCS differs
// from the budget, it ran on more CPUs than its GOMAXPROCS, it shared a
// CPU with its client, or its CPU time exceeded overBudgetUtil × its
// GOMAXPROCS × the wall time (by more than the kernel's accounting
// slack). Such a result's row is flagged, not ranked.
const (
	UnitCPUUtil          = "cpu-util"
	UnitCPUs             = "cpus"
	UnitGOMAXPROCS       = "gomaxprocs"
	UnitClientCPUs       = "client-cpus"
	UnitClientGOMAXPROCS = "client-gomaxprocs"
	UnitSharedCPUs       = "shared-cpus"
	UnitRemoteServer     = "remote-server"

	// overBudgetUtil leaves room for the clock reads around the loop: a
	// process on n CPUs cannot use more than n CPU-seconds per second.
	overBudgetUtil = 1.1
	// accountingSlack is CPU time a result may exceed its budget by
	// without being flagged: the kernel brings a thread's CPU time up to
	// date only at a tick or a context switch, so a thread running on
	// another CPU when the loop starts has its last tick's time counted
	// inside the loop. A tick is 4 ms at HZ=250, the coarsest common
	// setting; a loop shorter than a few ticks can read above its budget
	// by that much and no more.
	accountingSlack = 4e-3 // seconds
	// namesShown is how many benchmark names a placement sentence lists
	// before "and N more".
	namesShown = 4
)

// placementUnits are the metrics that say where a result ran. They are
// not counters: the summary keeps them out of its tables, except
// cpu-util beside the socket rows (see socketGroups).
var placementUnits = []string{UnitCPUUtil, UnitCPUs, UnitGOMAXPROCS, UnitClientCPUs, UnitClientGOMAXPROCS, UnitSharedCPUs, UnitRemoteServer}

// socketGroups are the groups whose benchmarks drive a server with a
// client process. Their counter tables keep cpu-util: whether the server
// was saturated tells whether the client bounded the row.
var socketGroups = []string{"io", "latency", "memory"}

// A placement is what one result line says about where it ran.
type placement struct {
	budget     int  // the -N suffix; 1 without one
	has        bool // the result carries cpus
	hasMax     bool // ... and gomaxprocs (an anchor that is not a Go program has none)
	cpus       int
	gomaxprocs int
	util       float64
	hasUtil    bool
	wall       float64 // seconds the measured calls took: iterations × sec/op
	socket     bool    // the result carries the client's placement
	clientCPUs int
	clientMax  int // the client's GOMAXPROCS
	shared     int
	remote     bool // the server ran in an agent on another machine
}

// placementOf reads a result's placement metrics.
func placementOf(res *benchfmt.Result, budget int) placement {
	p := placement{budget: budget}
	get := func(unit string) (int, bool) {
		v, ok := res.Value(unit)
		return int(v + 0.5), ok
	}
	var okCPUs, okMax bool
	p.cpus, okCPUs = get(UnitCPUs)
	p.gomaxprocs, okMax = get(UnitGOMAXPROCS)
	p.has, p.hasMax = okCPUs, okCPUs && okMax
	p.util, p.hasUtil = res.Value(UnitCPUUtil)
	if sec, ok := res.Value("sec/op"); ok {
		p.wall = sec * float64(res.Iters)
	}
	var okClient, okShared bool
	p.clientCPUs, okClient = get(UnitClientCPUs)
	p.clientMax, _ = get(UnitClientGOMAXPROCS)
	p.shared, okShared = get(UnitSharedCPUs)
	remote, okRemote := get(UnitRemoteServer)
	p.remote = okRemote && remote == 1
	p.socket = okClient && (okShared || p.remote)
	return p
}

// overBudget returns why a result used more than its budget; nil when it
// kept to it (or said nothing about its placement).
func (p placement) overBudget() []string {
	var why []string
	if p.hasMax && p.gomaxprocs != p.budget {
		why = append(why, fmt.Sprintf("GOMAXPROCS %d with a budget of %d", p.gomaxprocs, p.budget))
	}
	if p.hasMax && p.cpus > p.gomaxprocs {
		why = append(why, fmt.Sprintf("on %s with GOMAXPROCS %d", plural(p.cpus, "CPU"), p.gomaxprocs))
	}
	if p.has && !p.hasMax && p.cpus > p.budget {
		why = append(why, fmt.Sprintf("on %s with a budget of %d", plural(p.cpus, "CPU"), p.budget))
	}
	if p.socket && p.shared > 0 {
		why = append(why, fmt.Sprintf("sharing %s with the client", plural(p.shared, "CPU")))
	}
	if p.hasUtil && p.util > overBudgetUtil*float64(p.budget) && (p.util-float64(p.budget))*p.wall > accountingSlack {
		why = append(why, fmt.Sprintf("CPU time %.2f× wall time with a budget of %d", p.util, p.budget))
	}
	return why
}

// shape describes where a result ran, without its CPU use: results with
// the same shape are counted together.
func (p placement) shape() string {
	if !p.has {
		return "no placement read back"
	}
	if !p.hasMax && !p.socket {
		return fmt.Sprintf("process on %s, not a Go program (an anchor)", plural(p.cpus, "CPU"))
	}
	if !p.socket {
		return fmt.Sprintf("process on %s with GOMAXPROCS %d", plural(p.cpus, "CPU"), p.gomaxprocs)
	}
	if p.remote {
		return fmt.Sprintf("server remote on %s with GOMAXPROCS %d, client here on %s with GOMAXPROCS %d",
			plural(p.cpus, "CPU"), p.gomaxprocs, plural(p.clientCPUs, "CPU"), p.clientMax)
	}
	s := fmt.Sprintf("server on %s with GOMAXPROCS %d, ", plural(p.cpus, "CPU"), p.gomaxprocs)
	if p.shared == 0 {
		return s + fmt.Sprintf("client on %s with GOMAXPROCS %d, no CPU shared", plural(p.clientCPUs, "other CPU"), p.clientMax)
	}
	return s + fmt.Sprintf("client on %s with GOMAXPROCS %d, %s shared", plural(p.clientCPUs, "CPU"), p.clientMax, plural(p.shared, "CPU"))
}

// class is the kind of result a placement sentence is about.
func (p placement) class() string {
	switch {
	case !p.has:
		return "none"
	case p.socket:
		return "socket"
	}
	return "process"
}

// DescribePlacement says, in one line, where the results of a run ran,
// as they observed it: per kind of result (a process alone; a server
// with its client; none read back) each placement seen with how many
// results had it, and which results used more than their budget. It is
// the pinning config line and the page's placement paragraph.
func DescribePlacement(results []*benchfmt.Result) string {
	if len(results) == 0 {
		return "no results"
	}
	classes := make(map[string]*placementClass)
	names := newNames()
	for _, res := range results {
		name := names.of(res)
		p := placementOf(res, name.row.cpus)
		c := classes[p.class()]
		if c == nil {
			c = &placementClass{}
			classes[p.class()] = c
		}
		c.add(p, name)
	}
	var sentences []string
	for _, key := range []string{"process", "socket", "none"} {
		if c := classes[key]; c != nil {
			sentences = append(sentences, c.sentence(key != "none"))
		}
	}
	return strings.Join(sentences, ". ")
}

// A placementClass counts the results of one kind (see placement.class).
type placementClass struct {
	groups []string // group titles, in order of appearance
	shapes []*shapeCount
	n      int
	over   []string // names of results over budget, each once
	nOver  int
}

// A shapeCount is how many results had one shape, and their highest
// CPU use.
type shapeCount struct {
	shape   string
	n       int
	maxUtil float64
	hasUtil bool
}

// add counts one result.
func (c *placementClass) add(p placement, name resultName) {
	c.n++
	if t := GroupOf(name.base).Title; !slices.Contains(c.groups, t) {
		c.groups = append(c.groups, t)
		slices.SortStableFunc(c.groups, func(a, b string) int { return groupIndex(a) - groupIndex(b) })
	}
	i := slices.IndexFunc(c.shapes, func(s *shapeCount) bool { return s.shape == p.shape() })
	if i < 0 {
		c.shapes = append(c.shapes, &shapeCount{shape: p.shape()})
		i = len(c.shapes) - 1
	}
	s := c.shapes[i]
	s.n++
	if p.hasUtil {
		s.maxUtil, s.hasUtil = max(s.maxUtil, p.util), true
	}
	if len(p.overBudget()) > 0 {
		c.nOver++
		c.over = appendUnique(c.over, name.full())
	}
}

// sentence describes the class; placed says whether its results read
// back a placement, so that "none over its budget" means something.
func (c *placementClass) sentence(placed bool) string {
	slices.SortStableFunc(c.shapes, func(a, b *shapeCount) int { return b.n - a.n })
	var parts []string
	for _, s := range c.shapes {
		util := ""
		if s.hasUtil {
			util = fmt.Sprintf(", CPU time at most %.2f× wall time", s.maxUtil)
		}
		if len(c.shapes) == 1 {
			parts = append(parts, fmt.Sprintf("%s%s, in all %s", s.shape, util, plural(s.n, "result")))
		} else {
			parts = append(parts, fmt.Sprintf("%s%s (%s)", s.shape, util, plural(s.n, "result")))
		}
	}
	sentence := fmt.Sprintf("%s results: %s", listAnd(c.groups), strings.Join(parts, "; "))
	if c.nOver > 0 {
		sentence += fmt.Sprintf("; %d of %d over their budget: %s", c.nOver, c.n, listSome(c.over, namesShown))
	} else if placed {
		sentence += "; none over its budget"
	}
	return sentence
}

// groupIndex is a group's place on the page, by title.
func groupIndex(title string) int {
	return slices.IndexFunc(Groups(), func(g Group) bool { return g.Title == title })
}
