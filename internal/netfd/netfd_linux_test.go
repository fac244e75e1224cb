package netfd

import (
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestDetachAcceptEcho(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Detach(ln)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(l.FD)
	if _, err := Accept(l.FD); err != unix.EAGAIN {
		t.Fatalf("Accept with nobody waiting: %v, want EAGAIN", err)
	}
	c, err := net.Dial("tcp", l.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var fd int
	deadline := time.Now().Add(5 * time.Second)
	for {
		fd, err = Accept(l.FD)
		if err != unix.EAGAIN || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	var n int
	for {
		n, err = Read(fd, buf)
		if err != unix.EAGAIN || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	if _, err := Write(fd, buf[:n]); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	c.Close()
	for {
		n, err = Read(fd, buf)
		if err != unix.EAGAIN || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n != 0 || err != nil {
		t.Fatalf("after peer close: Read = %d, %v; want end of stream", n, err)
	}
}

func TestDetachRejectsNonTCP(t *testing.T) {
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	defer ln.Close()
	if _, err := Detach(ln); err == nil {
		t.Fatal("Detach of a unix listener succeeded")
	}
}
