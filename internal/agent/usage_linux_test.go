package agent

import "testing"

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tx\nVmPeak:\t  9999 kB\nVmRSS:\t    1234 kB\nThreads:\t4\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 1234<<10 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 1234<<10)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q): no error", bad)
		}
	}
}
