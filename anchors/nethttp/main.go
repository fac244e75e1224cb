// Command nethttp serves the suite's HTTP plaintext workload with Go's
// standard net/http server, the goroutine model as most Go programs run
// it, as an anchor for the socket benchmarks: a goroutine per connection
// reading requests one after another, pipelined ones included, and
// answering each in turn.
//
//	nethttp -addr 127.0.0.1:0 -proto http -loops N [-cpus LIST]
//	nethttp -version
//
// It pins itself to -cpus (every thread, before serving), sets
// GOMAXPROCS to -loops, and prints, on standard output, its placement
// and then one listening line:
//
//	gomaxprocs N
//	listening HOST:PORT
//
// It serves until SIGTERM or SIGINT, or until its standard input closes,
// and exits 0. A bad flag, or any -proto but http, exits 2.
//
// GET and HEAD /plaintext answer 200 with the body "Hello, World!" and the
// headers of internal/proto's HTTP handler (Server, Content-Type:
// text/plain, Content-Length: 13, and the Date net/http adds); any other
// path answers 404 and any other method 405. Everything else (malformed
// requests, Connection handling, bodies) is net/http's own.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"iostrat/internal/anchorcmd"
	"iostrat/internal/proto"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program but the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := anchorcmd.Parse("nethttp", args, stderr, anchorcmd.Help{Proto: "protocol: http only", Loops: "GOMAXPROCS", Version: "print the Go version, then exit"})
	if err != nil {
		return 2
	}
	if o.Version {
		return printVersion(stdout, stderr)
	}
	if o.Proto != "http" {
		fmt.Fprintf(stderr, "nethttp: -proto %q is not served (want http)\n", o.Proto)
		return 2
	}
	if err := anchorcmd.Place(o); err != nil {
		fmt.Fprintln(stderr, "nethttp:", err)
		return 1
	}
	if err := serve(o.Addr, stdin, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "nethttp:", err)
		return 1
	}
	return 0
}

// shutdownTimeout bounds the graceful end of the connections still open
// when the server is told to stop.
const shutdownTimeout = time.Second

// serve serves HTTP on addr until a stop signal or the end of stdin, then
// shuts the server down.
func serve(addr string, stdin io.Reader, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(plaintext)}
	fmt.Fprintf(stdout, "gomaxprocs %d\nlistening %s\n", runtime.GOMAXPROCS(0), ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ctx, stop := anchorcmd.StopContext(stdin)
	defer stop()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		fmt.Fprintln(stderr, "nethttp: closing connections still busy:", err)
		srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Header values of a 200 response, shared read-only by every response so
// that answering allocates none.
var (
	serverValue      = []string{"iostrat"} // internal/proto's Server, so both answers are the same size
	contentTypeValue = []string{"text/plain"}
	lengthValue      = []string{strconv.Itoa(len(proto.PlaintextBody))}
	allowValue       = []string{"GET, HEAD"}
	body             = []byte(proto.PlaintextBody)
)

// plaintext answers GET and HEAD /plaintext with "Hello, World!".
func plaintext(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/plaintext" {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h["Allow"] = allowValue
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h["Server"] = serverValue
	h["Content-Type"] = contentTypeValue
	h["Content-Length"] = lengthValue
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// printVersion prints the Go version the binary was built with, which is
// also net/http's.
func printVersion(stdout, stderr io.Writer) int {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stderr, "nethttp: the binary carries no build information")
		return 1
	}
	fmt.Fprintf(stdout, "go: %s\n", info.GoVersion)
	return 0
}
