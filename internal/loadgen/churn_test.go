package loadgen

import (
	"bytes"
	"io"
	"net"
	"testing"
)

func TestChurn(t *testing.T) {
	checkLeaks(t)
	for _, proto := range []string{"echo", "http"} {
		handler := echoServer(nil)
		if proto == "http" {
			handler = httpServer(0, nil)
		}
		srv := startServer(t, handler)
		if err := Churn(srv.Addr(), proto, 50); err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if err := ChurnConcurrent(srv.Addr(), proto, 200, 8); err != nil {
			t.Fatalf("%s, concurrent: %v", proto, err)
		}
		if err := ChurnConcurrent(srv.Addr(), proto, 0, 8); err != nil {
			t.Fatalf("%s, no connections: %v", proto, err)
		}
		if got := srv.accepted.Load(); got != 250 {
			t.Errorf("%s: server accepted %d connections, want 250", proto, got)
		}
	}
}

func TestChurnVerifiesReplies(t *testing.T) {
	checkLeaks(t)
	corrupt := startServer(t, corruptEchoServer(10))
	wantErr(t, Churn(corrupt.Addr(), "echo", 3), "churn echo", "connection 0", corrupt.Addr(), "byte 10 of 64")

	notFound := startServer(t, fixedHTTPServer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
	wantErr(t, ChurnConcurrent(notFound.Addr(), "http", 20, 4), "churn http", "status 404, want 200")

	// Half of a response, then end of stream (a half-close, so the client
	// reads what was sent rather than a reset).
	truncating := startServer(t, func(c net.Conn) {
		buf := make([]byte, 4<<10)
		for n := 0; !bytes.Contains(buf[:n], []byte("\r\n\r\n")); {
			k, err := c.Read(buf[n:])
			if err != nil {
				return
			}
			n += k
		}
		io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nNot")
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
	})
	wantErr(t, Churn(truncating.Addr(), "http", 2), "churn http", "connection 0", "without a complete response")

	closing := startServer(t, closingServer(0))

	wantErr(t, Churn(closing.Addr(), "smtp", 1), `protocol "smtp"`)
	wantErr(t, ChurnConcurrent(closing.Addr(), "echo", 1, 0), "0 workers")
}
