#!/usr/bin/env bash
# Stops the cluster up.sh started in $KUBE_STATE and deletes its state,
# leaving no process, mount, network namespace or bridge behind.
# Idempotent: stopping a stopped or half-started cluster is fine.
#
# Order matters: pods are deleted while the kubelet can still tear their
# sandboxes down (network namespaces, CNI addresses); the kubelet stops
# before containerd, the API server before etcd; mounts under the state
# directory are unmounted before it is deleted.
set -uo pipefail
. "$(dirname "$0")/env.sh"
kube_lock
S=$KUBE_STATE
KC=$S/pki/admin.kubeconfig
CD=$S/containerd
BRIDGE=cutover0
[[ -d $S ]] || exit 0

log() { echo "kube/down: $*" >&2; }
pid_of() { local p; p=$(cat "$S/run/$1.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "$p"; }
ctr_() { ctr --address "$CD/containerd.sock" -n k8s.io "$@"; }

# stop NAME: SIGTERM, then SIGKILL after 10 s.
stop() {
  local p
  p=$(pid_of "$1") || { rm -f "$S/run/$1.pid"; return 0; }
  kill -TERM "$p" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    log "$1 ignored SIGTERM for 10 s: killing it"
    kill -KILL "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$S/run/$1.pid"
}

# With the whole cluster up, delete every pod: the kubelet stops their
# containers and tears their sandboxes down properly.
if pid_of kubelet >/dev/null && pid_of kube-apiserver >/dev/null && [[ -x $KUBE_BIN/kubectl ]]; then
  "$KUBE_BIN/kubectl" --kubeconfig "$KC" delete pods --all --all-namespaces \
    --grace-period=1 --wait=true --timeout=60s >/dev/null 2>&1 || log "not every pod was deleted in time"
  # A pod deleted at once (grace period 0) is gone from the API before
  # the kubelet has stopped its sandbox: wait for the kubelet to stop
  # every task, the sandboxes' pause included.
  for _ in $(seq 150); do
    [[ -z $(ctr_ tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"' | head -c1) ]] && break
    sleep 0.2
  done
fi
stop kubelet
# Whatever the kubelet left: stop the sandboxes and containers through
# containerd itself (its CRI plugin removes their network namespaces).
if pid_of containerd >/dev/null; then
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  for _ in $(seq 50); do
    [[ -z $(ctr_ tasks ls -q 2>/dev/null | head -c1) ]] && break
    sleep 0.1
  done
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$id" >/dev/null 2>&1; done
fi
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
stop containerd
# The shims of this containerd (their command line names its socket), in
# case a task outlived it.
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $CD/containerd.sock" 2>/dev/null); do
  kill -KILL "$p" 2>/dev/null
done

# Network namespaces of sandboxes the kubelet did not tear down: those
# holding an address of this cluster's pod subnet.
subnet=$(sed -n 's/.*"subnet": "\([0-9.]*\)\.[0-9]*\/.*/\1./p' "$S/cni/net.d/10-cutover.conflist" 2>/dev/null)
if [[ -n $subnet ]]; then
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ {print $1}'); do
    if ip netns exec "$ns" ip -4 -o addr show 2>/dev/null | grep -qF " inet $subnet"; then
      ip netns del "$ns" 2>/dev/null || log "could not delete network namespace $ns"
    fi
  done
fi

# Unmount, deepest first, whatever is still mounted under the state
# directory (pod volumes, container root filesystems, sandbox /dev/shm).
findmnt -rn -o TARGET | grep -F "$S/" | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
done
if findmnt -rn -o TARGET | grep -qF "$S/"; then
  log "mounts remain under $S; not deleting it"
  exit 1
fi
ip link del "$BRIDGE" 2>/dev/null
rm -rf "$S"
exit 0
