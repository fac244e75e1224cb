package callback

import (
	"net"

	"iostrat"
)

// Serve serves ln with one protocol handler per connection; see Server.
func (rt *strategyRuntime) Serve(ln net.Listener, p iostrat.Protocol) (iostrat.Service, error) {
	if err := rt.life.Check(); err != nil {
		ln.Close()
		return nil, err
	}
	s, err := NewServer(rt.loops, ln, protocolCallbacks(p), rt.scfg)
	if err != nil {
		return nil, closedErr(err)
	}
	return rt.life.Register(s) // closed meanwhile: Register closed s
}

// protocolCallbacks runs one sans-I/O handler per connection: input goes
// through Handle straight from the loop's read buffer, and output is built
// in the loop's scratch buffer and written at once.
func protocolCallbacks(p iostrat.Protocol) Callbacks {
	return Callbacks{
		OnOpen: func(c *Conn) { c.SetContext(p.NewHandler()) },
		OnData: func(c *Conn, in []byte) {
			out, action := c.Context().(iostrat.Handler).Handle(in, c.WriteBuffer())
			c.Write(out)
			c.loop.keepWriteBuf(out)
			if action == iostrat.CloseAfterWrite {
				c.Close()
			}
		},
		OnClose: func(c *Conn, _ error) { c.Context().(iostrat.Handler).Close() },
	}
}
