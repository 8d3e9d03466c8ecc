# Sourced by build.sh, up.sh, down.sh and image.sh: the pinned release and
# where its binaries and the cluster's state live.
KUBE_VERSION=v1.35.4
KUBE_TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KUBE_CACHE_DIR=${CUTOVER_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cutover/kube/$KUBE_VERSION}
KUBE_BIN=$KUBE_CACHE_DIR/bin
# The cluster's state: etcd's data, certificates, containerd's root, the
# kubelet's pods, logs and pid files. One cluster per state directory.
KUBE_STATE=${CUTOVER_KUBE_STATE:-/var/tmp/cutover-kube}
# Binaries build.sh makes; the first six are the cluster's.
KUBE_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl pause mkimage)
