# The two commands the README opens with:
#   make bench-report   run the benchmark suite and publish results/ (QUICK=1: a smoke run)
#   make test           vet, staticcheck and every test under -race
# `make` alone, or `make help`, lists every target.
GO      ?= go
QUICK   ?=
ANCHORS ?=
COUNT   ?=
SEED    ?=
BENCH   ?=
OUT     ?=
REMOTE  ?=
REMOTE_TOKEN_FILE ?=
BENCHFLAGS ?=
export GOFLAGS ?=

.DEFAULT_GOAL := help
.PHONY: help test vet lint unit many-conns test-deps bench-report bench build clean

help: ## list the targets (what `make` alone does)
	@echo 'usage: make <target> [VAR=value ...]'
	@echo
	@echo 'targets:'
	@awk 'BEGIN { FS = ":[^#]*## " } /^[a-z-]+:.*## / { printf "  %-13s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo 'variables:'
	@echo '  QUICK=1       bench-report: a smoke run (-short workloads, few runs)'
	@echo '  ANCHORS=1     bench-report: also build and run the anchors (tokio, liburing, gnet, net/http, C, plain Go; anchors/README.md)'
	@echo '  COUNT=N       runs of each benchmark (bench: 1; bench-report: 10, or 6 with QUICK=1)'
	@echo '  BENCH=REGEXP  only the benchmarks matching REGEXP, as go test -bench (bench: .; bench-report: all)'
	@echo '  SEED=S        bench-report: base seed of the strategies'"'"' order (the raw file records it)'
	@echo '  OUT=DIR       bench-report: results directory (default results)'
	@echo '  REMOTE=H:P    bench-report: run the socket benchmarks'"'"' server on the iostrat agent at H:P, the client here'
	@echo '  REMOTE_TOKEN_FILE=F  bench-report: the agent'"'"'s token file (with REMOTE)'
	@echo '  BENCHFLAGS=   bench: flags of the suite, after the package (e.g. -iostrat.park=thread)'

test: test-deps vet lint unit many-conns ## vet, staticcheck, every test under -race, many-conns; installs wrk and curl if missing

test-deps: ## install the tools the interop tests drive (wrk, curl) when missing
	@scripts/install-test-deps.sh

vet: ## go vet ./...
	$(GO) vet ./...

lint: ## staticcheck ./..., from go.mod's tool lines
	$(GO) tool staticcheck ./...

# Each hostile check runs once per strategy per `make test`: the strategy
# packages run the conformance suite, and iostrattest/interop's TestHostile
# runs the hostile checks against every registered strategy. Under -race
# many-conns could hold only 2,000 connections (the race detector caps a
# process at 8128 goroutines), so this run skips it and the many-conns
# target runs it once, at full size. The -skip names it both under a
# strategy's subtest and directly; testing takes the first alternative
# that matches a name's leading parts, so the shorter one comes first.
# iostrattest/twohost runs the agent and the bench binary in two network
# namespaces joined by a veth pair: it needs root (it skips, saying why,
# without it) and, with IOSTRAT_REQUIRE_TOOLS=1, fails if ip or tc is
# missing (iproute2).
unit: ## every test under -race, many-conns aside
	IOSTRAT_REQUIRE_TOOLS=1 $(GO) test -race -count=1 -timeout 20m \
		-skip '^TestHostile$$/^many-conns$$|^TestHostile$$/.*/^many-conns$$' ./...

# many-conns at its full 10,000 concurrent connections per strategy,
# without the race detector; the clients live in a child process. The
# check raises the soft fd limit to the hard limit itself, and fails,
# saying so, when even that is too low (raise it with ulimit -n).
many-conns: ## 10,000 concurrent connections per strategy, without -race
	$(GO) test -count=1 -timeout 10m -run '^TestHostile$$/.*/^many-conns$$' ./iostrattest/interop/

build: ## build bin/iostrat
	$(GO) build -buildvcs=auto -o bin/iostrat ./cmd/iostrat

# bench runs the catalogue straight through go test, without the report's
# repetitions and publishing; its defaults are every benchmark, once. The
# suite's own flags (-iostrat.*) go after the package, as go test wants.
bench: ## run the benchmarks with go test and print the raw results (BENCH=., COUNT=1, BENCHFLAGS)
	$(GO) test -run '^$$' -bench '$(or $(BENCH),.)' -count $(or $(COUNT),1) ./bench $(BENCHFLAGS)

bench-report: build ## run the suite and publish results/ (rewrites it; 15-20 min on 2 CPUs, QUICK=1: 1-2 min; ANCHORS=1 installs and builds the anchors)
	@if [ -n "$(ANCHORS)" ]; then scripts/install-anchor-deps.sh; fi
	QUICK="$(QUICK)" ANCHORS="$(ANCHORS)" COUNT="$(COUNT)" SEED="$(SEED)" BENCH="$(BENCH)" OUT="$(OUT)" REMOTE="$(REMOTE)" REMOTE_TOKEN_FILE="$(REMOTE_TOKEN_FILE)" scripts/bench-report.sh

clean: ## remove bin/ and results/tmp
	rm -rf bin results/tmp
