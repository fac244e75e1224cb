package proto

import (
	"fmt"
	"strings"

	"iostrat"
)

// protocols lists every protocol, in the order [Names] reports them.
var protocols = []iostrat.Protocol{Echo{}, HTTP{}, Sink{}}

// ByName returns the protocol called name ("echo" or "http"), as named on
// the command line.
func ByName(name string) (iostrat.Protocol, error) {
	for _, p := range protocols {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("proto: unknown protocol %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// Names returns the names of every protocol, in a fixed order. The slice is
// the caller's.
func Names() []string {
	names := make([]string, len(protocols))
	for i, p := range protocols {
		names[i] = p.Name()
	}
	return names
}
