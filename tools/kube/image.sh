#!/usr/bin/env bash
# image.sh NAME BINARY [PATH]: puts a static BINARY alone into a FROM-scratch
# image NAME (its command PATH, default /<binary's base name>) and imports it
# into the running cluster's containerd (namespace k8s.io, where the kubelet
# looks), without Docker or a registry. Pods use it with imagePullPolicy
# Never or IfNotPresent and a tag other than latest.
set -euo pipefail
. "$(dirname "$0")/env.sh"
[[ $# -ge 2 ]] || { echo "usage: $0 NAME BINARY [PATH]" >&2; exit 2; }
name=$1 bin=$2 at=${3:-/$(basename "$2")}
"$KUBE_TOOLS_DIR/build.sh" >/dev/null
tar=$(mktemp "${TMPDIR:-/tmp}/cutover-image.XXXXXX.tar")
trap 'rm -f "$tar"' EXIT
"$KUBE_BIN/mkimage" -name "$name" -binary "$bin" -path "$at" -out "$tar"
ctr --address "$KUBE_STATE/containerd/containerd.sock" -n k8s.io images import "$tar" >/dev/null
