package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// A Client is a control connection to an agent. Its methods may be called
// from any goroutine; they run one at a time. A transport failure breaks
// the client: every later call returns the same error.
type Client struct {
	mu    sync.Mutex
	conn  net.Conn
	lines *lineReader
	token string
	err   error // the transport failure that broke the client
}

// Dial connects to the agent at addr and checks token with a ping, so a
// wrong token or an address where no agent listens fails here. ctx bounds
// the dial and the ping.
func Dial(ctx context.Context, addr string, token []byte) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	c := &Client{conn: conn, lines: newLineReader(conn), token: string(token)}
	// The ping ends when ctx does, its deadline included: a conn deadline
	// set from ctx's could pass before ctx reports it.
	cancelled := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.SetDeadline(time.Unix(1, 0)) // in the past: the ping returns at once
		close(cancelled)
	})
	_, err = c.call(OpPing, nil)
	if !stop() {
		<-cancelled
		if err == nil {
			err = ctx.Err() // ctx ended after the ping, but left the deadline passed
		}
	}
	if err != nil {
		conn.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, err
	}
	return c, nil
}

// Machine describes the agent's host.
func (c *Client) Machine() (Machine, error) {
	rep, err := c.call(OpMachine, nil)
	if err != nil {
		return Machine{}, err
	}
	if rep.Machine == nil {
		return Machine{}, c.missing(OpMachine, "machine")
	}
	return *rep.Machine, nil
}

// Start asks the agent to start a strategy's server and returns where it
// listens. The server runs until Stop, Close or the end of the connection.
func (c *Client) Start(req StartRequest) (Started, error) {
	rep, err := c.call(OpStart, &req)
	if err != nil {
		return Started{}, err
	}
	if rep.Started == nil {
		return Started{}, c.missing(OpStart, "started")
	}
	return *rep.Started, nil
}

// Stats reports on the running server without stopping it: the counters,
// CPU and RSS since Start, as Stop would.
func (c *Client) Stats() (Report, error) { return c.report(OpStats) }

// Stop stops the running server and reports on it.
func (c *Client) Stop() (Report, error) { return c.report(OpStop) }

func (c *Client) report(op Op) (Report, error) {
	rep, err := c.call(op, nil)
	if err != nil {
		return Report{}, err
	}
	if rep.Report == nil {
		return Report{}, c.missing(op, "report")
	}
	return *rep.Report, nil
}

// Close closes the connection, which ends a call under way in another
// goroutine with an error. A server this client started and did not stop
// is stopped by the agent, which sees its client gone.
func (c *Client) Close() error {
	err := c.conn.Close() // first: a call under way holds c.mu until its read fails
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = errors.New("agent: client closed")
	}
	return err
}

// call sends one request and reads its reply. A refusal is an *Error; a
// transport failure breaks the client.
func (c *Client) call(op Op, start *StartRequest) (reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return reply{}, c.err
	}
	req := request{Token: c.token, Op: op}
	if start != nil {
		req.StartRequest = *start
	}
	line, err := json.Marshal(req)
	if err != nil {
		return reply{}, fmt.Errorf("agent: %s: %w", op, err)
	}
	if len(line) > MaxLine {
		return reply{}, fmt.Errorf("agent: %s: %w", op, errTooLarge)
	}
	if _, err := c.conn.Write(append(line, '\n')); err != nil {
		return reply{}, c.broken(op, err)
	}
	line, err = c.lines.next()
	if errors.Is(err, errTooLarge) {
		err = fmt.Errorf("a reply over %d bytes", MaxLine)
	}
	if err != nil {
		return reply{}, c.broken(op, err)
	}
	var rep reply
	if err := json.Unmarshal(line, &rep); err != nil {
		return reply{}, c.broken(op, fmt.Errorf("bad reply: %w", err))
	}
	if !rep.OK {
		return reply{}, &Error{Op: op, Msg: rep.Error}
	}
	return rep, nil
}

// broken records the transport failure err; c.mu is held.
func (c *Client) broken(op Op, err error) error {
	c.err = fmt.Errorf("agent: %s: %w", op, err)
	return c.err
}

func (c *Client) missing(op Op, field string) error {
	return fmt.Errorf("agent: %s: the reply has no %s", op, field)
}
