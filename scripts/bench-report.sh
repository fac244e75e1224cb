#!/bin/sh
# make bench-report: run the benchmark suite and publish results/ (README.md,
# charts, benchstat.txt) and the summary block of the top-level README.md.
#   QUICK=1   a smoke run of about a minute (-short workloads, few runs)
#   ANCHORS=1 also build and run the anchors beside the strategies
#             (anchors/README.md; make installs their Debian packages first)
#   COUNT=N   runs of each benchmark (default 10, or 6 with QUICK=1)
#   SEED=S    base seed of the strategies' order (default: from the clock;
#             the raw file records it, so a run can be repeated exactly)
#   BENCH=RE  run only the benchmarks matching RE (as go test -bench)
#   OUT=DIR   results directory (default results)
#   REMOTE=HOST:PORT  run the socket benchmarks' server on the iostrat agent
#             there (started with `iostrat agent`), the client here
#   REMOTE_TOKEN_FILE=F  the agent's token file (required with REMOTE)
# The logic lives in Go: see `bin/iostrat report -h`.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x bin/iostrat ]; then
	echo "bench-report: bin/iostrat is missing; run 'make build' first" >&2
	exit 1
fi
REMOTE="${REMOTE:-}"
REMOTE_TOKEN_FILE="${REMOTE_TOKEN_FILE:-}"
if [ -n "$REMOTE" ] && [ -z "$REMOTE_TOKEN_FILE" ]; then
	echo "bench-report: REMOTE=$REMOTE needs REMOTE_TOKEN_FILE, the agent's token file" >&2
	exit 1
fi
exec bin/iostrat report ${QUICK:+-quick} ${ANCHORS:+-anchors} ${COUNT:+-count "$COUNT"} ${SEED:+-seed "$SEED"} ${BENCH:+-bench "$BENCH"} ${OUT:+-out "$OUT"} \
	${REMOTE:+-remote "$REMOTE" -token-file "$REMOTE_TOKEN_FILE"}
