// Package interop serves every registered strategy to real outside clients
// (wrk and curl) and to the hostile and faulty clients of
// iostrattest.HostileChecks. It holds tests only; `make test` installs wrk
// and curl and sets IOSTRAT_REQUIRE_TOOLS=1 so a missing tool fails the run
// instead of skipping it.
package interop
