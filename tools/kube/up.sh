#!/usr/bin/env bash
# Starts a single-node Kubernetes in $KUBE_STATE (default
# /var/tmp/cutover-kube): etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, a containerd of its own and the kubelet, and waits until
# the node is Ready and pods can be admitted. Prints the admin kubeconfig's
# path on stdout (also at $KUBE_STATE/kubeconfig.path); all else goes to
# stderr and $KUBE_STATE/logs. Idempotent: a healthy running cluster is
# reused; a partial one is stopped (down.sh) and started afresh.
#
# Needs root, containerd, runc and containernetworking-plugins, and the
# binaries of build.sh (built here if missing).
set -euo pipefail
. "$(dirname "$0")/env.sh"
kube_lock
S=$KUBE_STATE
KC=$S/pki/admin.kubeconfig
ETCD_PORT=${CUTOVER_KUBE_ETCD_PORT:-12379}
API_PORT=${CUTOVER_KUBE_API_PORT:-16443}
NODE=cutover-node
# Pod addresses: a bridge on the host with host-local addresses, so the
# host (and the load balancer on it) reaches pod IPs directly; portmap
# publishes a pod's hostPorts on the host, 127.0.0.1 included.
POD_SUBNET=${CUTOVER_KUBE_POD_SUBNET:-10.217.0.0/24}
SERVICE_RANGE=10.218.0.0/24
BRIDGE=cutover0
PAUSE_IMAGE=cutover.local/pause:1
COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { echo "kube/up: $*" >&2; }
alive() { local p; p=$(cat "$S/run/$1.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; }
kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$KC" "$@"; }

healthy() {
  for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
  kubectl get --raw /readyz >/dev/null 2>&1 &&
    [[ $(kubectl get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

# until SECONDS WHAT CMD...: runs CMD every 0.2 s until it succeeds.
until_ok() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= end)); then
      log "timed out after ${limit}s waiting for $what; the logs are in $S/logs"
      for f in "$S"/logs/*.log; do echo "== $f" >&2; tail -n 15 "$f" >&2; done
      exit 1
    fi
    sleep 0.2
  done
}

# start NAME CMD...: runs CMD in a session of its own (so that it outlives
# the test process that ran this script) with its output in logs/NAME.log,
# without the lock's descriptor (which it would hold for its whole life).
start() {
  local name=$1; shift
  setsid "$@" >"$S/logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$S/run/$name.pid"
}

if [[ -d $S ]] && healthy; then
  log "reusing the running cluster"
  echo "$KC" | tee "$S/kubeconfig.path"
  exit 0
fi
[[ $(id -u) == 0 ]] || { log "needs root (mounts, cgroups, network namespaces)"; exit 1; }
for t in containerd runc ctr openssl curl iptables /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback /usr/lib/cni/portmap /usr/lib/cni/firewall; do
  command -v "$t" >/dev/null || { log "missing $t: apt-get install containerd runc containernetworking-plugins openssl curl"; exit 1; }
done
"$KUBE_TOOLS_DIR/down.sh" >&2
"$KUBE_TOOLS_DIR/build.sh" >/dev/null
begin=$SECONDS
mkdir -p "$S"/{run,logs,pki,etcd,containerd,kubelet,pod-logs,cni/net.d,cni/ipam}

# The API server advertises an address the kubelet and pods can reach: the
# host's first global IPv4 address outside container bridges (loopback is
# refused as an advertise address).
IP=${CUTOVER_KUBE_NODE_IP:-$(ip -4 -o addr show scope global |
  awk '$2 != "docker0" && $2 != "'$BRIDGE'" {split($4, a, "/"); print a[1]; exit}')}
[[ -n $IP ]] || { log "no non-loopback IPv4 address to advertise"; exit 1; }

# --- certificates: one CA; a serving cert for the API server; a client
# cert per component, whose CN/O the default RBAC and Node authorizers know.
P=$S/pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" \
  -days 3650 -subj /CN=cutover-kube-ca 2>/dev/null
# cert NAME SUBJECT [SAN]: a key and a CA-signed certificate.
cert() {
  local ext=$P/$1.ext
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' >"$ext"
  if [[ -n ${3:-} ]]; then
    printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$3" >>"$ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >>"$ext"
  fi
  openssl req -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 3650 -extfile "$ext" -out "$P/$1.crt" 2>/dev/null
}
svc_ip=${SERVICE_RANGE%.*}.1
cert apiserver /CN=kube-apiserver \
  "IP:$IP,IP:127.0.0.1,IP:$svc_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert admin /O=system:masters/CN=cutover-admin
cert apiserver-kubelet-client /O=system:masters/CN=kube-apiserver-kubelet-client
cert controller-manager /CN=system:kube-controller-manager
cert scheduler /CN=system:kube-scheduler
cert kubelet "/O=system:nodes/CN=system:node:$NODE"
# Service account tokens are signed with this key pair.
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null

# kubeconfig NAME: a kubeconfig authenticating with NAME's client cert.
kubeconfig() {
  cat >"$P/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cutover
  cluster:
    server: https://$IP:$API_PORT
    certificate-authority: $P/ca.crt
users:
- name: $1
  user:
    client-certificate: $P/$1.crt
    client-key: $P/$1.key
contexts:
- name: cutover
  context: {cluster: cutover, user: $1, namespace: default}
current-context: cutover
EOF
}
for c in admin controller-manager scheduler kubelet; do kubeconfig "$c"; done

# --- etcd
start etcd "$KUBE_BIN/etcd" --name cutover --data-dir "$S/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "cutover=http://127.0.0.1:$((ETCD_PORT + 1))" --unsafe-no-fsync --quota-backend-bytes 1073741824
until_ok 30 etcd curl -fs "http://127.0.0.1:$ETCD_PORT/health"

# --- API server. It reaches the kubelet (logs, exec) at the node's IP:
# the node's name resolves nowhere.
start kube-apiserver "$KUBE_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --advertise-address "$IP" --secure-port "$API_PORT" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
  --client-ca-file "$P/ca.crt" \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range "$SERVICE_RANGE" \
  --authorization-mode Node,RBAC --allow-privileged=true --profiling=false \
  --kubelet-preferred-address-types InternalIP,Hostname

# --- containerd, apart from any system containerd (dockerd's): its own
# root, state and socket. The sandbox lacks CAP_SYS_RESOURCE, so the CRI
# plugin may only raise containers' oom_score_adj, never lower it.
CD=$S/containerd
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
plugin_dir = ""
[grpc]
  address = "$CD/containerd.sock"
[ttrpc]
  address = "$CD/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
EOF
cat >"$S/cni/net.d/10-cutover.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "cutover",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_SUBNET"}]],
        "dataDir": "$S/cni/ipam"
      }
    },
    {
      "type": "portmap",
      "capabilities": {"portMappings": true},
      "snat": true
    },
    {
      "type": "firewall"
    }
  ]
}
EOF
start containerd containerd --config "$CD/config.toml"
until_ok 30 containerd ctr --address "$CD/containerd.sock" version

# The sandbox image: the static pause program alone, built and imported
# here because no registry is reachable.
"$KUBE_BIN/mkimage" -name "$PAUSE_IMAGE" -binary "$KUBE_BIN/pause" -path /pause -out "$S/pause.tar"
ctr --address "$CD/containerd.sock" -n k8s.io images import "$S/pause.tar" >/dev/null

until_ok 60 kube-apiserver kubectl get --raw /readyz

# --- controller manager (service accounts, their tokens' root CA,
# ReplicaSets, garbage collection) and scheduler
start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
  --kubeconfig "$P/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$P/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$P/controller-manager.kubeconfig" \
  --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
  --use-service-account-credentials=true --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port 10257 --profiling=false
start kube-scheduler "$KUBE_BIN/kube-scheduler" \
  --kubeconfig "$P/scheduler.kubeconfig" \
  --authentication-kubeconfig "$P/scheduler.kubeconfig" \
  --authorization-kubeconfig "$P/scheduler.kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --secure-port 10259 --profiling=false

# --- kubelet. The sandbox: cgroup v1, no CAP_SYS_RESOURCE, maybe swap,
# and a cgroup it cannot reorganise; so no QoS cgroups, no node allocatable
# enforcement, cgroupfs, and cgroup v1 allowed.
cat >"$S/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$CD/containerd.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
address: $IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
podLogsDirectory: $S/pod-logs
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# A test machine's disk may be fuller than a server's: evict only when
# nearly full, and never collect the locally imported images.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet "$KUBE_BIN/kubelet" --config "$S/kubelet/config.yaml" \
  --kubeconfig "$P/kubelet.kubeconfig" --root-dir "$S/kubelet" \
  --hostname-override "$NODE" --node-ip "$IP"

# Pods are admitted only once their namespace's default ServiceAccount
# exists, and start only once the kube-root-ca.crt ConfigMap their token
# volume projects does.
until_ok 120 "node $NODE Ready" bash -c \
  "[[ \$('$KUBE_BIN/kubectl' --kubeconfig '$KC' get node $NODE -o 'jsonpath={.status.conditions[?(@.type==\"Ready\")].status}') == True ]]"
until_ok 60 "the default ServiceAccount" kubectl -n default get serviceaccount default
until_ok 60 "the kube-root-ca.crt ConfigMap" kubectl -n default get configmap kube-root-ca.crt
log "cluster up in $((SECONDS - begin)) s (node $NODE at $IP, API https://$IP:$API_PORT)"
echo "$KC" | tee "$S/kubeconfig.path"
