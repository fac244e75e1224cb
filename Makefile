# The two commands the README opens with:
#   make bench-report   run the benchmark suite and publish results/ (QUICK=1: a smoke run)
#   make test           vet, staticcheck and every test under -race
GO      ?= go
QUICK   ?=
COUNT   ?=
export GOFLAGS ?=

.PHONY: test vet lint unit test-deps bench-report bench build clean

test: test-deps vet lint unit

test-deps:
	@scripts/install-test-deps.sh

vet:
	$(GO) vet ./...

lint:
	$(GO) tool staticcheck ./...

unit:
	IOSTRAT_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/iostrat ./cmd/iostrat

bench-report: build
	QUICK="$(QUICK)" COUNT="$(COUNT)" scripts/bench-report.sh

clean:
	rm -rf bin results/tmp
