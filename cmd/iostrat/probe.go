package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"iostrat/internal/proto"
)

// maxProbeTimeout bounds the probe: a server that speaks the protocol
// answers one request on an idle connection far sooner.
const maxProbeTimeout = 2 * time.Second

// echoProbe is the probe's echo message. It ends with a blank line, so an
// HTTP server reads it as a whole (malformed) request and answers it, and
// its first 8 bytes, read as a sink frame's length, exceed
// proto.MaxSinkFrame, so a sink server closes the connection at once.
const echoProbe = "iostrat load: echo probe\r\n\r\n"

// probe sends one request of protoName to addr and checks the first bytes
// of the answer, all within timeout, so that a server speaking another
// protocol is named before the run instead of reading as a stuck server
// once the run's stall timeout has passed.
func probe(addr, protoName string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	request := proto.PlaintextRequest
	if protoName == "echo" {
		request = echoProbe
	}
	if _, err := io.WriteString(conn, request); err != nil {
		return fmt.Errorf("sending one %s request: %w", protoName, err)
	}
	// An echo must come back whole; an HTTP answer (or an echo of the
	// HTTP request) shows itself in its first bytes, and a short HTTP
	// response on a kept-alive connection must not be waited out.
	answer := make([]byte, len(request))
	enough := len(answer)
	if protoName == "http" {
		enough = len("HTTP/")
	}
	n, err := io.ReadAtLeast(conn, answer, enough)
	return probeVerdict(protoName, []byte(request), answer[:n], err, timeout)
}

// probeVerdict judges the answer got to request, read until err: nil when
// it is the protocol's, or an error naming what the server speaks instead
// when the answer shows it.
func probeVerdict(protoName string, request, got []byte, err error, timeout time.Duration) error {
	isHTTP := bytes.HasPrefix(got, []byte("HTTP/"))
	switch {
	case protoName == "http" && isHTTP, protoName == "echo" && bytes.Equal(got, request):
		return nil
	case isHTTP:
		line, _, _ := bytes.Cut(got, []byte("\r\n"))
		return fmt.Errorf("the server answered the echo probe with HTTP (%q): it speaks HTTP; use -proto http", line)
	case protoName == "http" && len(got) > 0 && bytes.HasPrefix(request, got):
		return errors.New("the server sent the HTTP request back: it speaks echo; use -proto echo")
	case protoName == "echo" && len(got) > 0 && bytes.HasPrefix(request, got):
		return fmt.Errorf("the server echoed %d of the probe's %d bytes, then: %w", len(got), len(request), err)
	case len(got) > 0:
		return fmt.Errorf("the server answered one %s request with %q, which is not %[1]s", protoName, got)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("the server closed the connection without answering one %s request: it does not speak %[1]s (an iostrat sink server does this)", protoName)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("no answer to one %s request within %v: the server does not speak %[1]s, or is stuck", protoName, timeout)
	}
	return fmt.Errorf("reading the answer to one %s request: %w", protoName, err)
}
