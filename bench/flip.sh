#!/usr/bin/env bash
# Flip latency (issue 9, target 2): the real cutover server, its `cutover
# lb` process and the process runtime, driven through the ECS API. Each
# run deploys v2 BLUE_GREEN, holds it with production on green, rolls
# back (StopServiceDeployment ROLLBACK during the bake time, and
# ContinueServiceDeployment ROLLBACK on a pause hook) under a client that
# keeps 4 keep-alive connections to the production listener busy, and
# takes the time from the rollback's acknowledgement to the first
# response after which no request reached v2. Prints p50/p99/max.
#
#   bash bench/flip.sh              # 20 runs of each kind
#   RUNS=5 bash bench/flip.sh
#
# Needs: go, python3, the aws CLI (the service is set up with it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
CUTOVER_BENCH=1 CUTOVER_BENCH_RUNS=${RUNS:-20} CUTOVER_BENCH_OUT="$out" \
	go test -count=1 -run '^TestBenchFlip$' -v -timeout 60m ./e2e/ | grep -E '^(=== RUN|--- |\s+bench_flip_test.go:[0-9]+: .* run [0-9]+:|ok|FAIL|PASS)' || true
cat "$out"
test -s "$out"
