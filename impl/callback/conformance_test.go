package callback_test

import (
	"strings"
	"testing"

	"iostrat"
	"iostrat/impl/callback"
	"iostrat/iostrattest"
)

func TestConformance(t *testing.T) {
	iostrattest.TestStrategy(t, callback.Strategy{})
}

// edgeTriggered is the strategy with Options.Trigger forced to Edge, so
// the serving checks run against the edge-triggered connection path too.
type edgeTriggered struct{ callback.Strategy }

func (s edgeTriggered) Start(o iostrat.Options) (iostrat.Runtime, error) {
	o.Trigger = iostrat.Edge
	return s.Strategy.Start(o)
}

func TestConformanceEdgeTriggeredServing(t *testing.T) {
	for _, c := range iostrattest.Checks() {
		if !strings.HasPrefix(c.Name, "echo") && !strings.HasPrefix(c.Name, "http") && !strings.HasPrefix(c.Name, "serve") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Run(edgeTriggered{}); err != nil {
				t.Error(err)
			}
		})
	}
}
