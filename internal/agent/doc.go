// Package agent runs benchmark servers on another machine for a client
// that drives them from this one. It sits beside the load generator: a
// remote benchmark dials an agent on the server host, asks it to start one
// registered strategy's server, drives load at the address it reports, and
// asks it to stop, which returns what only the server host can measure —
// the server's CPU time, RSS, counters and knobs.
//
// # Usage
//
// On the server host, put a long random token in a file only its owner
// can read, and start the agent with it:
//
//	openssl rand -hex 32 >token && chmod 600 token
//	iostrat agent -listen 192.0.2.10:7400 -token-file token
//
// Copy the token to the client host; a client there calls [Dial] with the
// agent's address and the token ([ReadToken] reads it from its file), then
// [Client.Start], load against [Started.Addr], and [Client.Stop]. The
// agent runs one benchmark at a time and stops a server whose client's
// control connection closed, or whose host vanished (TCP keep-alive probes
// notice that within a minute). It runs only the strategies it was given
// (`iostrat agent` gives it every registered one), never a command. The
// token keeps strangers out but nothing is encrypted: use the agent on a
// network you trust, or through an SSH tunnel.
//
// # Measuring
//
// The server runs inside the agent's process, as the local benchmarks run
// theirs inside the bench process. For a run the agent pins every thread
// of itself to its CPU budget, the first N of the CPUs it was allowed when
// created (see internal/affinity), sets GOMAXPROCS to N, and restores both
// when the run ends. A [Report] holds the process CPU time (getrusage,
// user and system) and wall time since the start, RSS (VmRSS) and its
// growth since just before the strategy started, every counter the
// runtime keeps, its Info, and the placement read back. The agent's own
// work — a few JSON lines per run — is in the CPU time too.
//
// # Wire protocol
//
// A control connection is TCP carrying one JSON object per line each way:
// a request, then its reply. Every request carries the token and an op:
//
//	{"token":"…","op":"start","strategy":"goroutine","proto":"echo","cpus":1}
//	{"ok":true,"started":{"addr":"192.0.2.10:40123","cpus":1,"gomaxprocs":1,"cpu_list":"0"}}
//	{"token":"…","op":"stop"}
//	{"ok":true,"report":{"cpu_ns":…,"stats":{"tasks":…},…}}
//
// The ops are ping, machine ([Machine]), start ([StartRequest] fields
// beside the token; [Started]), stats and stop ([Report]). A refusal is
// {"ok":false,"error":"…"}: "bad token", an unknown strategy or protocol,
// "busy: …" (a benchmark is already running), "no server running",
// "malformed request: …", "request too large (max 65536 bytes)" for a line
// over [MaxLine]. The agent keeps serving the connection after any of
// them. Tokens are compared in constant time.
//
// # Files
//
// wire.go holds the messages and the line reader, server.go the [Server]
// (connections, token, one run at a time), run.go a run (placement,
// start, measure, stop), client.go the [Client], token.go [ReadToken],
// machine.go the host description and usage_linux.go the CPU time and
// RSS readings (usage_other.go elsewhere).
package agent
