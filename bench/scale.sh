#!/bin/sh
# Control plane at scale: 100, 300 and 1,000 services of 2 tasks each
# (the in-tree fake runtime stands in for processes), then 100 concurrent
# deployments whose URL hooks answer IN_PROGRESS, with the ECS API called
# 100 times a second. Prints one table row per size; with PROFILE=dir,
# CPU and allocation profiles of the largest size go to dir.
set -eu
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/scale
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/scale
set -- -services "${SERVICES:-100,300,1000}" "$@"
if [ -n "${PROFILE:-}" ]; then
	mkdir -p "$PROFILE"
	set -- -profile "$PROFILE" "$@"
fi
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
"$bin" "$@"
