package proto

import "iostrat"

// Echo is the echo protocol: every byte received is sent back, unchanged,
// in the same Handle call. It has no framing, so its handlers keep no state
// and never ask to close; the connection lasts until the peer ends it.
type Echo struct{}

var (
	_ iostrat.Protocol = Echo{}
	_ iostrat.Handler  = echoHandler{}
)

// Name returns "echo".
func (Echo) Name() string { return "echo" }

// NewHandler returns an echo session. Echo sessions are stateless, so this
// allocates nothing.
func (Echo) NewHandler() iostrat.Handler { return echoHandler{} }

type echoHandler struct{}

// Handle appends in to out.
func (echoHandler) Handle(in, out []byte) ([]byte, iostrat.Action) {
	return append(out, in...), iostrat.Continue
}

// Close does nothing: an echo session holds nothing.
func (echoHandler) Close() {}
