package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	for _, tt := range []struct {
		info debug.BuildInfo
		want string
	}{
		{
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261202154433-30207cd7e3df+dirty"},
				Settings: []debug.BuildSetting{
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "30207cd7e3df887b5714f75d79e57efb8a828add"},
					{Key: "vcs.time", Value: "2026-12-02T15:44:33Z"},
					{Key: "vcs.modified", Value: "true"},
				}},
			"iostrat v0.0.0-20261202154433-30207cd7e3df+dirty, commit 30207cd7e3df887b5714f75d79e57efb8a828add+dirty (2026-12-02T15:44:33Z), go1.26.8",
		},
		{
			debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"iostrat (devel), commit unknown (no VCS information: built by go run, with -buildvcs=false, or outside a git checkout), go1.26.8",
		},
	} {
		if got := formatVersion(&tt.info); got != tt.want {
			t.Errorf("formatVersion = %q, want %q", got, tt.want)
		}
	}
}
