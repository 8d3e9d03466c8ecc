# Sourced by build.sh, up.sh, down.sh and image.sh: the pinned release and
# where its binaries and the cluster's state live.
KUBE_VERSION=v1.35.4
KUBE_TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_CACHE_DIR=${CUTOVER_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cutover/kube/$KUBE_VERSION}
# The binaries of each version of this module's go.mod, go.sum and cmd/
# have a directory of their own, so that checkouts of different commits
# (a developer's tree, a CI clone) never overwrite each other's.
KUBE_STAMP=$(cd "$KUBE_TOOLS_DIR" && cat go.mod go.sum $(find cmd -name '*.go' | sort) | sha256sum | cut -c1-12)
KUBE_BIN=$KUBE_CACHE_DIR/$KUBE_STAMP/bin
# The cluster's state: etcd's data, certificates, containerd's root, the
# kubelet's pods, logs and pid files. One cluster per state directory.
KUBE_STATE=${CUTOVER_KUBE_STATE:-/var/tmp/cutover-kube}
# Binaries build.sh makes; the first six are the cluster's.
KUBE_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl pause mkimage)

# kube_lock takes the state directory's lock: one of up.sh and down.sh at
# a time (up.sh runs down.sh under its own lock, which it hands down).
kube_lock() {
  if [[ -z ${CUTOVER_KUBE_LOCKED:-} ]]; then
    exec 9>"$KUBE_STATE.lock"
    flock 9
    export CUTOVER_KUBE_LOCKED=1
  fi
}
