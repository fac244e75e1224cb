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

unit:
	IOSTRAT_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 20m ./...

# 10,000 concurrent connections per strategy: the race detector caps a
# process at 8128 goroutines, so under -race the suite holds 2,000 and this
# step runs the full count without it.
many-conns:
	$(GO) test -count=1 -timeout 10m -run 'TestHostile/.*/many-conns' ./iostrattest/interop/

build:
	$(GO) build -o bin/iostrat ./cmd/iostrat

bench-report: build
	QUICK="$(QUICK)" COUNT="$(COUNT)" SEED="$(SEED)" scripts/bench-report.sh

clean:
	rm -rf bin results/tmp
