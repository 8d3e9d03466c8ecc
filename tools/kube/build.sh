#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet and kubectl at the release pinned in go.mod, plus the pause
# program and the image writer, into $KUBE_BIN (a directory per version of
# go.mod, go.sum and cmd/). A cache hit builds nothing; a cold build takes
# minutes (see README.md). Prints the bin dir.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$KUBE_TOOLS_DIR"

have=true
for b in "${KUBE_BINARIES[@]}"; do [[ -x $KUBE_BIN/$b ]] || have=false; done
if $have; then
  echo "$KUBE_BIN"
  exit 0
fi

# kubectl (and the skew checks of the components) parse the version the
# binaries report: without these, they report v0.0.0-master.
pkg=k8s.io/component-base/version
minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for p in "$pkg" k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

# Build beside the final place and move it there whole: a concurrent
# build.sh of the same version builds into a directory of its own.
mkdir -p "$(dirname "$KUBE_BIN")"
tmp=$(mktemp -d "$KUBE_BIN.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
echo "building Kubernetes $KUBE_VERSION into $KUBE_BIN (a cold build takes minutes)" >&2
CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  ./cmd/etcd ./cmd/pause ./cmd/mkimage \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubelet \
  k8s.io/kubernetes/cmd/kubectl
if [[ -d $KUBE_BIN ]]; then
  echo "another build.sh finished first; keeping its binaries" >&2
else
  mv "$tmp" "$KUBE_BIN"
fi
echo "built in $((SECONDS - start)) s" >&2
echo "$KUBE_BIN"
