package proto_test

import (
	"fmt"

	"iostrat"
	"iostrat/internal/proto"
)

// A transport's whole use of a protocol: one handler per connection, each
// read handed to Handle, the output written, the connection closed when
// asked. Here two reads carry two pipelined requests and half of a third
// that asks to close; the third read completes it.
func ExampleHTTP() {
	p, err := proto.ByName("http")
	if err != nil {
		panic(err)
	}
	h := p.NewHandler()
	defer h.Close()

	reads := []string{
		proto.PlaintextRequest + "GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\nGET /plaintext HTTP/1.1\r\nHo",
		"st: localhost\r\nConnection: close\r\n\r\n",
	}
	var client proto.ResponseReader
	out := make([]byte, 0, 4096)
	for _, in := range reads {
		var action iostrat.Action
		out, action = h.Handle([]byte(in), out[:0])
		done, err := client.Feed(out) // stands for writing out to the socket
		fmt.Println(done, "responses, close:", action == iostrat.CloseAfterWrite, err)
		if action == iostrat.CloseAfterWrite {
			break
		}
	}
	s := client.Stats()
	fmt.Println("2xx:", s.OK(), "other:", s.NotOK(), "last:", client.LastStatus())
	// Output:
	// 2 responses, close: false <nil>
	// 1 responses, close: true <nil>
	// 2xx: 2 other: 1 last: 200
}

// A load generator pipelines requests and counts verified responses as
// they arrive, in whatever pieces the network delivers them.
func ExampleResponseReader() {
	server := proto.HTTP{}.NewHandler()
	defer server.Close()
	responses, _ := server.Handle(proto.AppendRequests(nil, 16), nil)

	var r proto.ResponseReader
	total := 0
	for len(responses) > 0 {
		n := min(len(responses), 100) // network-sized pieces
		done, err := r.Feed(responses[:n])
		if err != nil {
			fmt.Println(err)
			return
		}
		total += done
		responses = responses[n:]
	}
	fmt.Println(total, "responses,", r.Stats().OK(), "OK; finish:", r.Finish())
	// Output:
	// 16 responses, 16 OK; finish: <nil>
}
