package goroutine_test

import (
	"testing"

	"iostrat/impl/goroutine"
	"iostrat/iostrattest"
)

func TestConformance(t *testing.T) {
	iostrattest.TestStrategy(t, goroutine.Strategy{})
}
