# The two commands the README opens with:
#   make bench-report   run the benchmark suite and publish results/ (QUICK=1: a smoke run)
#   make test           vet, staticcheck and every test under -race
GO      ?= go
QUICK   ?=
COUNT   ?=
SEED    ?=
export GOFLAGS ?=

.PHONY: test vet lint unit many-conns test-deps bench-report bench build clean

test: test-deps vet lint unit many-conns

test-deps:
	@scripts/install-test-deps.sh

vet:
	$(GO) vet ./...

lint:
	$(GO) tool staticcheck ./...

# Each hostile check runs once per strategy per `make test`: the strategy
# packages run the conformance suite, and iostrattest/interop's TestHostile
# runs the hostile checks against every registered strategy. Under -race
# many-conns could hold only 2,000 connections (the race detector caps a
# process at 8128 goroutines), so this run skips it and the many-conns
# target runs it once, at full size. The -skip names it both under a
# strategy's subtest and directly; testing takes the first alternative
# that matches a name's leading parts, so the shorter one comes first.
unit:
	IOSTRAT_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 20m \
		-skip '^TestHostile$$/^many-conns$$|^TestHostile$$/.*/^many-conns$$' ./...

# many-conns at its full 10,000 concurrent connections per strategy,
# without the race detector; the clients live in a child process. The
# check raises the soft fd limit to the hard limit itself, and fails,
# saying so, when even that is too low (raise it with ulimit -n).
many-conns:
	$(GO) test -count=1 -timeout 10m -run '^TestHostile$$/.*/^many-conns$$' ./iostrattest/interop/

build:
	$(GO) build -o bin/iostrat ./cmd/iostrat

bench-report: build
	QUICK="$(QUICK)" COUNT="$(COUNT)" SEED="$(SEED)" scripts/bench-report.sh

clean:
	rm -rf bin results/tmp
