package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Every command parses its flags the same way: -h prints the command's
// usage to stdout and is not an error; a bad flag is one error, printed
// once by main, that says where the flags are described; arguments after
// the flags are an error, since no command takes any.

// newFlagSet returns the flag set of a command whose usage is synopsis
// (one line per form, without "usage: "), then about, then the flags.
// The set prints nothing while parsing: parseFlags reports.
func newFlagSet(name string, synopsis []string, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := fs.Output()
		for i, line := range synopsis {
			prefix := "usage: "
			if i > 0 {
				prefix = "       "
			}
			fmt.Fprintln(w, prefix+line)
		}
		fmt.Fprintf(w, "\n%s\n", about)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args into fs. After -h it has printed the usage to
// stdout and returns help true and no error.
func parseFlags(fs *flag.FlagSet, stdout io.Writer, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w (run 'iostrat help %[1]s' for its flags)", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return false, fmt.Errorf("%s takes no arguments, got %q", fs.Name(), fs.Args())
	}
	return false, nil
}

// given returns the names of the flags args set explicitly, defaults
// aside: a flag that does not apply is an error only when it was asked for.
func given(fs *flag.FlagSet) map[string]bool {
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}
