#!/usr/bin/env bash
# Runs every benchmark under bench/ that exists, one after the other, and
# prints their tables (each benchmark's standard output); their progress
# (standard error) goes to a log file per benchmark.
#
#   bash bench/all.sh                 # everything
#   ONLY="lb scale" bash bench/all.sh # a selection, by name
#
# A benchmark is a script bench/NAME.sh (lb, flip, deploy, ...) or a
# directory bench/NAME/ holding a run.sh or a Go command (run with
# `go run ./bench/NAME`, e.g. the scale benchmark); bench/backend is the
# load balancer benchmark's upstream, not a benchmark. Settings such as
# DURATION or ROUNDS pass through the environment to the scripts. The
# exit status is non-zero when any benchmark failed; the others still run.
set -euo pipefail
cd "$(dirname "$0")/.."

ONLY=${ONLY:-}
LOGDIR=${LOGDIR:-$(mktemp -d /tmp/bench-all.XXXXXX)}
mkdir -p "$LOGDIR"

child=
# Stop the benchmark running when this script is interrupted; each
# benchmark's own trap then stops what it started.
trap '[ -n "$child" ] && { kill "$child" 2>/dev/null || true; }; wait 2>/dev/null; exit 130' INT TERM

# benchmarks prints "NAME COMMAND..." for each benchmark found, the load
# balancer's first, then the other scripts, then the Go commands.
benchmarks() {
	local f d name
	[ -f bench/lb.sh ] && echo "lb bash bench/lb.sh"
	for f in bench/*.sh; do
		name=$(basename "$f" .sh)
		case $name in all | lb) continue ;; esac
		echo "$name bash $f"
	done
	for d in bench/*/; do
		name=$(basename "$d")
		[ "$name" = backend ] && continue
		if [ -f "$d/run.sh" ]; then
			echo "$name bash ${d}run.sh"
		elif grep -qs '^package main' "$d"/*.go; then
			echo "$name gocmd ./bench/$name"
		fi
	done
}

selected() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

main() {
	local name cmd rc start summary="" failed=0 args
	while read -r name cmd; do
		selected "$name" || continue
		args=${name^^}_ARGS
		args=${!args:-}
		echo "== $name: $cmd $args (progress in $LOGDIR/$name.log)"
		start=$SECONDS
		# A Go command is built first and run itself (not under go run,
		# which would not pass a signal on to it).
		if [[ $cmd == gocmd* ]]; then
			go build -o "$LOGDIR/$name" "${cmd#gocmd }" 2>"$LOGDIR/$name.log" || {
				failed=1 summary+="$name FAILED(build) 0s"$'\n'
				tail -n 20 "$LOGDIR/$name.log"
				continue
			}
			cmd=$LOGDIR/$name
		fi
		# shellcheck disable=SC2086 # cmd and args are word lists.
		$cmd $args </dev/null 2>>"$LOGDIR/$name.log" &
		child=$!
		rc=0
		wait "$child" || rc=$?
		child=
		if ((rc == 0)); then
			summary+="$name ok $((SECONDS - start))s"$'\n'
		else
			failed=1
			summary+="$name FAILED(exit-$rc) $((SECONDS - start))s"$'\n'
			echo "-- $name failed (exit $rc); the end of its log:"
			tail -n 20 "$LOGDIR/$name.log"
		fi
		echo
	done < <(benchmarks)
	[ -n "$summary" ] || { echo "no benchmark selected (ONLY=$ONLY)"; exit 1; }
	echo "== summary (logs in $LOGDIR)"
	printf '%s' "$summary" | column -t
	return "$failed"
}

main "$@"
