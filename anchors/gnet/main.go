// Command gnet serves iostrat's echo or HTTP plaintext protocol on gnet
// (github.com/panjf2000/gnet/v2), an outside event-loop library, as an
// anchor for the suite's socket benchmarks. Each connection runs the very
// handler the strategies run (internal/proto), so the only difference
// from the callback strategy is the event loop around it.
//
//	gnet -addr 127.0.0.1:0 -proto echo|http -loops N [-cpus LIST]
//	gnet -version
//
// It pins itself to -cpus (every thread, before serving), sets GOMAXPROCS
// and the number of gnet event loops to -loops, and prints, on standard
// output, its placement and then one listening line:
//
//	gomaxprocs N
//	loops N            (or requested-loops N: see countingLogger)
//	listening HOST:PORT
//
// It serves until SIGTERM or SIGINT, or until its standard input closes,
// and exits 0. A bad flag or an unsupported -proto exits 2.
//
// It is its own module, so the suite's module never depends on gnet.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/panjf2000/gnet/v2"

	"iostrat"
	"iostrat/internal/anchorcmd"
	"iostrat/internal/proto"
)

// gnetModule is the module whose version -version reports.
const gnetModule = "github.com/panjf2000/gnet/v2"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program but the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := anchorcmd.Parse("gnet", args, stderr, anchorcmd.Help{Proto: "protocol: echo or http", Loops: "gnet event loops, and GOMAXPROCS", Version: "print the versions of gnet and Go, then exit"})
	if err != nil {
		return 2
	}
	if o.Version {
		return printVersion(stdout, stderr)
	}
	p, err := protocol(o.Proto)
	if err != nil {
		fmt.Fprintln(stderr, "gnet:", err)
		return 2
	}
	if err := anchorcmd.Place(o); err != nil {
		fmt.Fprintln(stderr, "gnet:", err)
		return 1
	}
	if err := serve(o, p, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "gnet:", err)
		return 1
	}
	return 0
}

// protocol returns the protocol the anchor serves under name: the suite's
// echo or HTTP plaintext.
func protocol(name string) (iostrat.Protocol, error) {
	switch name {
	case "echo", "http":
		return proto.ByName(name)
	}
	return nil, fmt.Errorf("-proto %q is not served (want echo or http)", name)
}

// serve runs gnet until a stop signal or the end of stdin, then stops
// the engine and returns once gnet has closed every loop.
func serve(o anchorcmd.Options, p iostrat.Protocol, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := anchorcmd.StopContext(stdin)
	defer stop()
	log := newCountingLogger(stderr)
	srv := newServer(p, o.Loops, log, stdout)
	go func() {
		<-ctx.Done()
		eng := <-srv.booted
		// Stop returns only after polling for the shutdown; Run returns
		// as soon as the loops are closed, and main with it.
		_ = eng.Stop(context.Background())
	}()
	err := gnet.Run(srv, "tcp://"+o.Addr,
		gnet.WithNumEventLoop(o.Loops),
		gnet.WithMulticore(o.Loops > 1),
		gnet.WithReadBufferCap(iostrat.DefaultReadBuffer), // every strategy's read size
		gnet.WithLogger(log))
	if err == nil {
		err = srv.bootErr
	}
	return err
}

// printVersion prints the versions of gnet and Go, as recorded in the
// binary.
func printVersion(stdout, stderr io.Writer) int {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "gnet: the binary carries no build information")
		return 1
	}
	version, err := moduleVersion(info, gnetModule)
	if err != nil {
		fmt.Fprintln(stderr, "gnet:", err)
		return 1
	}
	fmt.Fprintf(stdout, "gnet: %s\ngo: %s\n", version, info.GoVersion)
	return 0
}

// moduleVersion is the version of module path the binary was built with.
func moduleVersion(info *debug.BuildInfo, path string) (string, error) {
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version, nil
			}
			return d.Version, nil
		}
	}
	return "", errors.New("the binary records no version of " + path)
}
