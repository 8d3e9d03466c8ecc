#!/usr/bin/env bash
# Deployment overhead (issue 9, target 3): the real cutover server, its
# `cutover lb` process and the process runtime, driven through the ECS
# API. Each run deploys a new revision BLUE_GREEN with zero bake (tasks
# with a cheap container health check; target groups checking every 5 s,
# healthy after 2 passing checks, no deregistration delay) and N URL hooks
# answering SUCCEEDED at once (N = 0, 1, 4, 7, one stage each), and times
# UpdateService's acknowledgement to SUCCESSFUL. Prints the medians, the
# overhead over the health-check time and the cost per hook.
#
#   bash bench/deploy.sh            # 5 runs per N
#   RUNS=3 bash bench/deploy.sh
#
# Needs: go, python3, the aws CLI (the service is set up with it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
CUTOVER_BENCH=1 CUTOVER_BENCH_RUNS=${RUNS:-5} CUTOVER_BENCH_OUT="$out" \
	go test -count=1 -run '^TestBenchDeploy$' -v -timeout 60m ./e2e/ | grep -E '^(=== RUN|--- |\s+bench_deploy_test.go:[0-9]+: [0-9]+ hooks, run|ok|FAIL|PASS)' || true
cat "$out"
test -s "$out"
