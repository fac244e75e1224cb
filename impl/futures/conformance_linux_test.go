package futures

import (
	"testing"

	"iostrat/iostrattest"
)

func TestConformance(t *testing.T) {
	iostrattest.TestStrategy(t, Strategy{})
}
