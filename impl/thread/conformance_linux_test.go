package thread_test

import (
	"testing"

	"iostrat/impl/thread"
	"iostrat/iostrattest"
)

func TestConformance(t *testing.T) {
	iostrattest.TestStrategy(t, thread.Strategy{})
}
