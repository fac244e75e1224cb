// Package loadgen is the one client of the iostrat suite: every I/O
// benchmark in bench and the `iostrat load` command drive servers with it,
// whatever strategy serves them. Sharing one client keeps the server the
// only variable between strategies: the same connections, the same bytes,
// the same verification and the same client cost for every one of them.
//
// It is plain Go over the standard net package, one goroutine (or two) per
// connection; it is the measuring side, not a strategy under test. Every
// response is verified before it is counted: echoed bytes byte for byte,
// HTTP responses through internal/proto's [proto.ResponseReader], sink
// acknowledgements by length and hash. A run that cannot verify what it
// counts returns an error saying which connection, which round and what
// was expected.
//
// The clients, one file each:
//
//	echo.go        Echo: closed-loop echo round trips on persistent connections
//	http.go        HTTP: closed-loop HTTP/1.1 GET /plaintext, pipelined in bursts
//	openloop.go    OpenLoop: requests at a fixed rate, latency without coordinated omission
//	churn.go       Churn: dial, one request, close, repeated
//	pump.go        Pump: bulk one-way frames to a sink, each acknowledged with a hash
//	idle.go        HoldIdle: many open connections doing nothing; HoldInChild: the same from a child process
//	percentile.go  Percentiles: nearest-rank percentiles of latency samples
//	remote.go      Remote: Echo, HTTP, Pump, Churn and OpenLoop in a child process, one JSON request at a time
//	child.go       ChildMain: the one entry point of every child process, for TestMain
//
// Echo, HTTP and Pump keep one driver goroutine per connection alive
// across runs (pool.go), so a benchmark iteration costs a channel send per
// connection and nothing per request: the hot loops allocate nothing and
// read no clock. A run ends with the first error; a connection that makes
// no progress for StallTimeout fails the run rather than hanging it.
//
// # Open loop
//
// A closed-loop client sends the next request only after the previous
// answer, so when the server stalls the client stalls with it and the
// requests it would have sent meanwhile are never sent or timed: the stall
// appears as one slow sample instead of many ("coordinated omission").
// [OpenLoop] follows wrk2 instead. Each connection has a fixed schedule of
// intended send times, the total rate spread evenly over connections and
// the connections offset from each other, so the aggregate is one request
// every 1/Rate. A sender goroutine writes each request at its intended time,
// never earlier; if it is late (it was descheduled, or the server stopped
// reading and the write blocked) it sends everything that is due at once. A
// separate reader goroutine matches responses to requests in order and
// records latency as arrival time minus intended send time, so time spent
// waiting behind a stall is counted in every request it delayed. How late
// the senders were is measured too: a run whose senders fell behind the
// schedule by more than the configured slack is flagged as Behind, so a
// client that could not keep up cannot publish a number it did not measure.
package loadgen
