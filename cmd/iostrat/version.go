package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// runVersion prints the module version and the VCS commit the binary was
// built from, as the Go toolchain recorded them in the binary.
func runVersion(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("version", []string{"iostrat version", "iostrat -version"},
		"Prints the module version and the VCS commit the binary was built from\n"+
			"(recorded by 'go build' inside a git checkout; 'go run' records none).")
	if help, err := parseFlags(fs, stdout, args); help || err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("version: the binary carries no build information")
	}
	fmt.Fprintln(stdout, formatVersion(info))
	return nil
}

// formatVersion is one line: module version, commit and its time (with
// "+dirty" when the tree had local changes), and the Go version.
func formatVersion(info *debug.BuildInfo) string {
	settings := make(map[string]string)
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	version := info.Main.Version
	if version == "" {
		version = "(unknown)"
	}
	commit := "commit unknown (no VCS information: built by go run, with -buildvcs=false, or outside a git checkout)"
	if rev := settings["vcs.revision"]; rev != "" {
		commit = "commit " + rev
		if settings["vcs.modified"] == "true" {
			commit += "+dirty"
		}
		if t := settings["vcs.time"]; t != "" {
			commit += " (" + t + ")"
		}
	}
	return "iostrat " + strings.Join([]string{version, commit, info.GoVersion}, ", ")
}
