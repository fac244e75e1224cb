package anchorcmd

import (
	"bytes"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	help := Help{Proto: "p", Loops: "l", Version: "v"}
	var stderr bytes.Buffer
	o, err := Parse("x", []string{"-addr", "127.0.0.1:9", "-proto", "echo", "-loops", "2", "-cpus", "0-1"}, &stderr, help)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Options{Addr: "127.0.0.1:9", Proto: "echo", CPUs: "0-1", Loops: 2}); o != want {
		t.Errorf("got %+v, want %+v", o, want)
	}
	for _, args := range [][]string{{"-loops", "0"}, {"extra"}, {"-nosuch"}} {
		stderr.Reset()
		if _, err := Parse("x", args, &stderr, help); err == nil {
			t.Errorf("%q: no error", args)
		}
		if strings.TrimSpace(stderr.String()) == "" {
			t.Errorf("%q: nothing on stderr says what is wrong", args)
		}
	}
}
