package bench

import (
	"testing"

	"iostrat/internal/loadgen"
)

// The socket workloads' client is a loadgen.Remote: internal/loadgen in a
// child process (this test binary, started again; TestMain hands it to
// loadgen.ChildMain), so client goroutines never compete with the server
// for the Go scheduler's Ps and the server's allocation and counter
// figures hold only the server's work. It runs on CPUs the server's budget
// leaves free (see clientCPUs), with GOMAXPROCS to match, and reads its
// placement back for the result line.

// startClient starts a client process for one leaf benchmark, on the
// CPUs the server's budget leaves free; it ends when the benchmark does.
func startClient(b *testing.B) *loadgen.Remote {
	b.Helper()
	r, err := loadgen.StartRemote(clientCPUs())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := r.Close(); err != nil {
			b.Error(err)
		}
	})
	return r
}

// mustCall is Call for set-up steps.
func mustCall(b *testing.B, r *loadgen.Remote, req loadgen.Request) loadgen.Response {
	b.Helper()
	resp, err := r.Call(req)
	if err != nil {
		b.Fatal(err)
	}
	return resp
}
