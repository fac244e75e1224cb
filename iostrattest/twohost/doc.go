// Package twohost runs the remote mode end to end across a real network
// link, with two hosts made of network namespaces on this machine. It
// holds tests only; they need root and iproute2 (ip, tc).
//
// Files: twohost_test.go holds the test and its passes over the link,
// netns_test.go the namespaces, agent_test.go the agent's process,
// probe_test.go the probe (the agent's client), rows_test.go the bench
// binary's runs and their rows, delayline_test.go the delay line.
//
// TestTwoHosts creates a server namespace and a client namespace joined
// by a veth pair, with an address on each end, and builds the iostrat
// command (./cmd/iostrat) and the bench test binary (go test -c ./bench)
// into a temporary directory. It starts `iostrat agent` in the server namespace, and from the client
// namespace:
//
//   - dials the agent with internal/agent (a copy of this test binary,
//     run as a helper process: a process, not a goroutine, is what lives
//     in a namespace), measures the path's round trip as `iostrat report
//     -remote` does for its remote-rtt line (runner.ProbeRemote), starts a
//     callback echo server, does 200 timed round trips, and checks
//     the agent's Stats and Stop reports: the counters move by at least
//     the traffic sent, and keep moving forward from one report to the
//     next;
//   - runs a quick Echo and HTTP group and one Latency point with the
//     bench binary in remote mode (-iostrat.remote), and checks every
//     row: remote-server 1, the server's CPU time and counters from the
//     agent, the placement read back.
//
// The "delay=1ms" subtest then measures both again, without and with
// every packet the client sends held for 1 ms before it reaches the
// server, which adds 1 ms to each round trip, and checks the latency
// figures: with the delay, Echo's ns/msg at conns=1 (one round trip per
// message), the Latency point's p50-ns and the probe's round trips are at
// least 1 ms, and the shortest of the probe's 200 round trips moved by at
// least 0.8 ms. Load on the machine only lengthens round trips, and can
// lengthen an average or a median by more than the delay, so the shift
// of those is logged, not checked. The delay is netem on the client's end
// of the veth (tc qdisc add ... netem delay 1ms). On a kernel built
// without netem (CONFIG_NET_SCH_NETEM) it is a delay line instead: a
// second link between the namespaces, a TUN device in each, whose packets
// the test process carries across, holding the client's for the delay;
// the line's own cost, the test process's reading and writing of every
// packet, is then in the passes both ways. The subtest skips, with both
// errors, when neither can be had.
//
// All traffic stays inside the two namespaces: the agent listens in the
// server namespace, and the servers it starts listen on the address the
// control connection reached (checked). When the test ends it stops the
// agent (SIGTERM; it must exit cleanly) and checks that no process is
// left in either namespace and no socket listens in the server's, then
// deletes both namespaces, which removes the veth pair, and checks they
// are gone.
//
// The test skips, saying why, when it is not root or `ip netns add`
// fails (no CAP_SYS_ADMIN, as in most containers), and when ip or tc is
// missing, unless IOSTRAT_REQUIRE_TOOLS=1 (set by `make test`), which
// turns a missing tool into a failure. The agent and the bench binary are
// built without the race detector, whatever the test itself runs under:
// they are the programs under measurement, and the race detector would
// slow the servers and the load generator alike without testing anything
// this package is about (their packages have race-enabled tests of their
// own).
package twohost
