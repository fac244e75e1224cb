package proto

import (
	"slices"
	"strings"
	"testing"
)

func TestByName(t *testing.T) {
	for _, name := range Names() {
		p, err := ByName(name)
		if err != nil || p.Name() != name {
			t.Errorf("ByName(%q) = %v, %v", name, p, err)
		}
	}
	if got := Names(); !slices.Equal(got, []string{"echo", "http", "sink"}) {
		t.Errorf("Names() = %q", got)
	}
	for _, name := range []string{"", "HTTP", "https", "redis"} {
		p, err := ByName(name)
		if err == nil || p != nil {
			t.Errorf("ByName(%q) = %v, nil; want an error", name, p)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "echo, http, sink") || !strings.Contains(msg, name) {
			t.Errorf("ByName(%q) error %q does not name the protocol and the valid ones", name, msg)
		}
	}
}

func TestNamesIsACopy(t *testing.T) {
	Names()[0] = "changed"
	if Names()[0] != "echo" {
		t.Error("Names returned shared memory")
	}
}
