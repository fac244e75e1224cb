// Package interop serves every registered strategy to real outside clients
// (wrk and curl) and to the hostile and faulty clients of
// iostrattest.HostileChecks: this is where the hostile checks run, once per
// strategy. It holds tests only; `make test` installs wrk and curl and sets
// IOSTRAT_REQUIRE_TOOLS=1 so a missing tool fails the run instead of
// skipping it, and runs many-conns at full size in a run of its own
// (see the Makefile).
package interop
