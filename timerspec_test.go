package iostrat

import (
	"testing"
	"time"
)

func TestTimerSpecDelay(t *testing.T) {
	s := TimerSpec{Count: 10_000, Horizon: 10_000 * time.Hour}
	if got := s.Delay(0); got != time.Hour {
		t.Errorf("Delay(0) = %v, want 1h", got)
	}
	if got := s.Delay(9_999); got != 10_000*time.Hour {
		t.Errorf("Delay(last) = %v, want the horizon", got)
	}
	for i := 1; i < s.Count; i++ {
		if s.Delay(i) <= s.Delay(i-1) {
			t.Fatalf("Delay(%d) = %v not after Delay(%d) = %v", i, s.Delay(i), i-1, s.Delay(i-1))
		}
	}
	if got := (TimerSpec{Count: 3, Horizon: 30 * time.Millisecond}).Delay(1); got != 20*time.Millisecond {
		t.Errorf("Delay(1) of 3 over 30ms = %v", got)
	}
}

func TestTimerSpecValidate(t *testing.T) {
	for _, s := range []TimerSpec{{Count: -1}, {Count: 1, Horizon: -1}, {Count: 2, Lateness: make([]time.Duration, 1)}} {
		if s.Validate() == nil {
			t.Errorf("%+v: no error", s)
		}
	}
	if err := (TimerSpec{Count: 2, Lateness: make([]time.Duration, 2)}).Validate(); err != nil {
		t.Error(err)
	}
}
