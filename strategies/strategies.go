// Package strategies is the one list of strategies: the composition root
// that imports every impl/ package so nothing below it has to. The benchmarks range
// over it, the conformance tests and the command look names up in it, so
// adding a strategy is one package plus one line in All.
package strategies

import (
	"fmt"
	"slices"
	"strings"

	"iostrat"
	"iostrat/impl/callback"
	"iostrat/impl/futures"
	"iostrat/impl/goroutine"
	iocpstyle "iostrat/impl/iocp_style"
	"iostrat/impl/thread"
)

// All returns the strategies every benchmark runs, in column order. Each
// name fixes its backend: a strategy that cannot run here fails Start with
// an error wrapping errors.ErrUnsupported and its cells read n/a.
func All() []iostrat.Strategy {
	return []iostrat.Strategy{
		goroutine.Strategy{},
		callback.Strategy{},
		futures.Strategy{},
		iocpstyle.Strategy{Backend: iocpstyle.Uring},
		iocpstyle.Strategy{Backend: iocpstyle.Emulated},
		thread.Strategy{},
	}
}

// IOVariants returns extra columns for the I/O benchmarks only: a strategy
// run with a knob that matters for sockets and nothing else, so both
// settings are measured side by side.
func IOVariants() []iostrat.Strategy {
	return []iostrat.Strategy{
		Variant("callback_edge", callback.Strategy{}, func(o *iostrat.Options) { o.Trigger = iostrat.Edge }),
	}
}

// DispatchVariants returns extra columns for the dispatch, wake and timer
// benchmarks only: a strategy with a knob that changes how work is handed
// on inside it. iocp_uring_kernelpost sends every completion a ring posts
// to itself through the kernel (a no-op SQE and an io_uring_enter), where
// iocp_uring appends it to a queue in user space; side by side, the two
// columns price the kernel round trip per hop.
func DispatchVariants() []iostrat.Strategy {
	return []iostrat.Strategy{
		iocpstyle.Strategy{Backend: iocpstyle.Uring, PostKernel: true},
	}
}

// Benchmarked returns every strategy some benchmark runs, in column
// order: All, with each variant right after the strategy it varies (a
// variant's name is its base's name plus a suffix).
func Benchmarked() []iostrat.Strategy {
	variants := append(IOVariants(), DispatchVariants()...)
	var out []iostrat.Strategy
	for _, s := range All() {
		out = append(out, s)
		for _, v := range variants {
			if strings.HasPrefix(v.Name(), s.Name()+"_") {
				out = append(out, v)
			}
		}
	}
	return out
}

// aliases are names accepted on the command line that are not benchmark
// columns (for example a strategy that picks its backend at Start).
func aliases() []iostrat.Strategy {
	return []iostrat.Strategy{
		iocpstyle.Strategy{Backend: iocpstyle.Auto}, // io_uring, else the labelled emulation
	}
}

// Everything returns the benchmarked strategies followed by the aliases:
// what `iostrat list` shows.
func Everything() []iostrat.Strategy { return append(Benchmarked(), aliases()...) }

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

// Names lists every name Lookup accepts, sorted.
func Names() []string {
	var names []string
	for _, s := range Everything() {
		names = append(names, s.Name())
	}
	slices.Sort(names)
	return names
}

// Variant returns s under another name, always started with the options
// set changes from what the caller asked.
func Variant(name string, s iostrat.Strategy, set func(*iostrat.Options)) iostrat.Strategy {
	return variant{base: s, name: name, set: set}
}

type variant struct {
	base iostrat.Strategy
	name string
	set  func(*iostrat.Options)
}

func (v variant) Name() string { return v.name }

func (v variant) Start(o iostrat.Options) (iostrat.Runtime, error) {
	v.set(&o)
	rt, err := v.base.Start(o)
	if err != nil {
		return nil, err
	}
	return renamed{rt, v.name}, nil
}

// renamed is a runtime that reports its variant's name.
type renamed struct {
	iostrat.Runtime
	name string
}

func (r renamed) Info() iostrat.Info {
	info := r.Runtime.Info()
	info.Name = r.name
	return info
}

// IOURing describes io_uring on this machine for a results header: the
// features the completion-queue strategy found and uses, or
// "unavailable: " and why it cannot use them.
func IOURing() string {
	features, err := iocpstyle.Probe()
	if err != nil {
		return "unavailable: " + err.Error()
	}
	return features
}
