package goroutine_test

import (
	"testing"

	"iostrat/impl/goroutine"
	"iostrat/iostrattest"
)

func TestConformance(t *testing.T) {
	iostrattest.TestStrategy(t, goroutine.Strategy{})
}

func TestHostile(t *testing.T) {
	iostrattest.TestHostile(t, goroutine.Strategy{})
}
