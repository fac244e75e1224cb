package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// launchPrefix begins the message gnet logs, at INFO, just before it
// starts its event loops, with their number as the first argument.
const launchPrefix = "Launching gnet with %d event-loops"

// countingLogger is gnet's logger. gnet's default logger writes to
// standard output, which carries this program's own lines, so warnings
// and errors go to stderr instead and INFO and DEBUG are dropped. It
// also keeps the number of event loops gnet announces when it launches:
// gnet has no API that reports how many loops it runs.
type countingLogger struct {
	mu    sync.Mutex
	w     io.Writer
	loops int // from gnet's launch message; 0 until seen
}

func newCountingLogger(w io.Writer) *countingLogger { return &countingLogger{w: w} }

// loopsLine is the placement line for the event loops: "loops N" with the
// number gnet announced, or, if it announced none, "requested-loops N"
// with the number asked for.
func (l *countingLogger) loopsLine(requested int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loops > 0 {
		return fmt.Sprintf("loops %d", l.loops)
	}
	return fmt.Sprintf("requested-loops %d", requested)
}

// Debugf drops the message.
func (l *countingLogger) Debugf(string, ...any) {}

// Infof keeps the loop count of gnet's launch message and drops the rest.
func (l *countingLogger) Infof(format string, args ...any) {
	if !strings.HasPrefix(format, launchPrefix) || len(args) == 0 {
		return
	}
	if n, ok := args[0].(int); ok {
		l.mu.Lock()
		l.loops = n
		l.mu.Unlock()
	}
}

// Warnf writes the message to stderr.
func (l *countingLogger) Warnf(format string, args ...any) { l.write("WARN", format, args) }

// Errorf writes the message to stderr.
func (l *countingLogger) Errorf(format string, args ...any) { l.write("ERROR", format, args) }

// Fatalf writes the message to stderr and exits, as gnet expects.
func (l *countingLogger) Fatalf(format string, args ...any) {
	l.write("FATAL", format, args)
	os.Exit(1)
}

func (l *countingLogger) write(level, format string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "gnet: %s: %s\n", level, strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
}
