package strategies

import (
	"slices"
	"strings"
	"testing"

	"iostrat"
)

func TestNamesAreUniqueAndBenchmarkSafe(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Everything() {
		name := s.Name()
		if seen[name] {
			t.Errorf("duplicate strategy name %q", name)
		}
		seen[name] = true
		if name == "" || strings.ContainsAny(name, " /=") {
			t.Errorf("name %q cannot be a benchmark key value", name)
		}
		if i := strings.LastIndexByte(name, '-'); i >= 0 && strings.Trim(name[i+1:], "0123456789") == "" {
			t.Errorf("name %q ends in -<digits>, which go test reads as GOMAXPROCS", name)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		s, err := Lookup(name)
		if err != nil || s.Name() != name {
			t.Errorf("Lookup(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "goroutine") {
		t.Errorf("Lookup(nope) error %v does not list the names", err)
	}
}

func TestVariantSetsOptionsAndName(t *testing.T) {
	s, err := Lookup("callback_edge")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := s.Start(iostrat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	info := rt.Info()
	if info.Name != "callback_edge" {
		t.Errorf("Info().Name = %q", info.Name)
	}
	found := false
	for _, k := range info.Knobs {
		if k.Key == "trigger" {
			found = true
			if k.Value != "edge" {
				t.Errorf("trigger knob = %q, want edge", k.Value)
			}
		}
	}
	if !found {
		t.Errorf("no trigger knob in %v", info.Knobs)
	}
}

func TestIOURingIsOneLine(t *testing.T) {
	// Either the features the completion-queue strategy uses or why it
	// cannot: one non-empty line for the results header.
	got := IOURing()
	if got == "" || strings.Contains(got, "\n") {
		t.Errorf("IOURing() = %q, want one non-empty line", got)
	}
}

func TestVariantsSitBesideTheirBase(t *testing.T) {
	var names []string
	for _, s := range Benchmarked() {
		names = append(names, s.Name())
	}
	// baseOf is the strategy in All that name varies, or name itself.
	baseOf := func(name string) string {
		for _, s := range All() {
			if strings.HasPrefix(name, s.Name()+"_") {
				return s.Name()
			}
		}
		return name
	}
	if len(names) != len(All())+len(IOVariants())+len(DispatchVariants()) {
		t.Fatalf("Benchmarked() = %v: a variant has no base in All()", names)
	}
	for _, v := range append(IOVariants(), DispatchVariants()...) {
		i := slices.Index(names, v.Name())
		if i < 1 || baseOf(names[i-1]) != baseOf(v.Name()) {
			t.Errorf("variant %s is not right after its base or a sibling in %v", v.Name(), names)
		}
	}
}
