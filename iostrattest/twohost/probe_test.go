//go:build linux

package twohost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"iostrat/internal/agent"
	"iostrat/internal/report/runner"
)

// The probe is this test binary run again inside the client namespace,
// with probeEnv set: TestMain sees the variable and runs probeMain
// instead of the tests. It talks to the agent through internal/agent, as
// the bench binary and the report do, and prints what it saw as JSON.
const (
	probeEnv       = "IOSTRAT_TWOHOST_PROBE"            // the agent's host:port
	probeTokenEnv  = "IOSTRAT_TWOHOST_PROBE_TOKEN_FILE" // its token file
	probeStrategy  = "callback"                         // keeps reads, writes and accepts: counters the traffic fixes
	probeRounds    = 200                                // echo round trips between Start and Stats
	probeSize      = 64                                 // bytes per round trip
	probeTimeout   = 30 * time.Second
	noServerRefuse = "no server running" // the agent's refusal of a Stop with nothing running
)

// probeResult is what the probe prints.
type probeResult struct {
	Machine agent.Machine
	// RTT is the path's round trip as `iostrat report -remote` measures
	// it for its remote-rtt line (runner.ProbeRemote).
	RTT time.Duration
	// MinRTT is the shortest of the probe's own probeRounds round trips
	// to the echo server it started: load on the machine lengthens some
	// round trips, but rarely all of them.
	MinRTT  time.Duration
	Started agent.Started
	Stats   agent.Report // after probeRounds round trips, the server still running
	Stop    agent.Report // after one more round trip
	// StopAgain is the agent's answer to a second Stop: a refusal.
	StopAgain string
}

// probeMain runs the probe and returns the process's exit status.
func probeMain() int {
	res, err := probe(os.Getenv(probeEnv), os.Getenv(probeTokenEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	return 0
}

func probe(addr, tokenFile string) (probeResult, error) {
	var res probeResult
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	rm, err := runner.ProbeRemote(ctx, runner.Remote{Addr: addr, TokenFile: tokenFile}, nil)
	if err != nil {
		return res, fmt.Errorf("runner.ProbeRemote: %w", err)
	}
	res.RTT = rm.RTT

	token, err := agent.ReadToken(tokenFile)
	if err != nil {
		return res, err
	}
	c, err := agent.Dial(ctx, addr, token)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if res.Machine, err = c.Machine(); err != nil {
		return res, err
	}
	if res.Started, err = c.Start(agent.StartRequest{Strategy: probeStrategy, Proto: "echo", CPUs: 1}); err != nil {
		return res, err
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", res.Started.Addr)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if res.MinRTT, err = echo(conn, probeRounds); err != nil {
		return res, err
	}
	if res.Stats, err = c.Stats(); err != nil {
		return res, fmt.Errorf("Stats: %w", err)
	}
	if _, err := echo(conn, 1); err != nil {
		return res, err
	}
	if res.Stop, err = c.Stop(); err != nil {
		return res, fmt.Errorf("Stop: %w", err)
	}
	_, err = c.Stop()
	var refusal *agent.Error
	if !errors.As(err, &refusal) {
		return res, fmt.Errorf("a second Stop returned %v, want the agent's refusal", err)
	}
	res.StopAgain = refusal.Msg
	return res, nil
}

// echo does rounds round trips of probeSize bytes on conn, each checked
// byte for byte, and returns the shortest.
func echo(conn net.Conn, rounds int) (time.Duration, error) {
	msg := make([]byte, probeSize)
	got := make([]byte, probeSize)
	var least time.Duration
	for i := range rounds {
		for j := range msg {
			msg[j] = byte(i + j)
		}
		start := time.Now()
		if _, err := conn.Write(msg); err != nil {
			return 0, fmt.Errorf("round trip %d: %w", i, err)
		}
		if _, err := io.ReadFull(conn, got); err != nil {
			return 0, fmt.Errorf("round trip %d: %w", i, err)
		}
		if rtt := time.Since(start); i == 0 || rtt < least {
			least = rtt
		}
		if !bytes.Equal(got, msg) {
			return 0, fmt.Errorf("round trip %d: echoed %x, sent %x", i, got, msg)
		}
	}
	return least, nil
}
