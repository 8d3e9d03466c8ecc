#!/usr/bin/env bash
# Load balancer benchmark: cutover's data plane against nginx and HAProxy,
# each proxying to the same two backends on this machine, measured with
# wrk in the same run. Prints a table and cutover's ratios to nginx.
#
#   bash bench/lb.sh            # 10 s per run
#   DURATION=30s CONNS=128 bash bench/lb.sh
#
# Needs: go, wrk, nginx, haproxy, curl (Debian: apt-get install wrk nginx-light haproxy curl).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
for c in wrk nginx haproxy curl; do command -v $c >/dev/null || { echo "missing $c" >&2; exit 1; }; done

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never answered" >&2; exit 1; }

go build -o "$work/cutover" ./cmd/cutover
go build -o "$work/backend" ./bench/backend
b1=$(freeport); b2=$(freeport)
"$work/backend" "127.0.0.1:$b1" "127.0.0.1:$b2" & pids+=($!)
waitport "$b1"; waitport "$b2"

# nginx
pn=$(freeport)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  upstream backends { server 127.0.0.1:$b1; server 127.0.0.1:$b2; keepalive 128; }
  server {
    listen 127.0.0.1:$pn;
    location / { proxy_pass http://backends; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)

# HAProxy
ph=$(freeport)
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 2
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend fe
  bind 127.0.0.1:$ph
  default_backend be
backend be
  balance roundrobin
  server s1 127.0.0.1:$b1
  server s2 127.0.0.1:$b2
CONF
haproxy -f "$work/haproxy.cfg" & pids+=($!)

# cutover
pc=$(freeport)
"$work/cutover" lb --dir "$work/lb" --log-level warn & pids+=($!)
for _ in $(seq 100); do [ -S "$work/lb/admin.sock" ] && break; sleep 0.1; done
tg=arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0000000000000001
curl -sf --unix-socket "$work/lb/admin.sock" -X PUT http://lb/config -d @- >/dev/null <<JSON
{"version": 1,
 "listeners": [{"arn": "listener/bench", "address": "127.0.0.1:$pc", "protocol": "HTTP",
   "defaultActions": [{"type": "forward", "targetGroups": [{"arn": "$tg", "weight": 1}]}]}],
 "targetGroups": [{"arn": "$tg", "protocol": "HTTP", "deregistrationDelay": 0,
   "healthCheck": {"enabled": true, "path": "/", "interval": 5000000000, "timeout": 2000000000,
     "healthyThreshold": 2, "unhealthyThreshold": 2, "matcher": "200"},
   "targets": [{"host": "127.0.0.1", "port": $b1}, {"host": "127.0.0.1", "port": $b2}]}]}
JSON
waitport "$pn"; waitport "$ph"; waitport "$pc"
sleep 1

# run NAME PORT: prints "NAME rps p50_ms p99_ms errors"
run() {
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://127.0.0.1:$2/" > "$work/$1.txt" 2>&1
  python3 - "$1" "$work/$1.txt" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def ms(v):
    n, u = float(re.match(r"[\d.]+", v).group()), re.sub(r"[\d.]+", "", v)
    return n * {"us": 0.001, "ms": 1, "s": 1000}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
err = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"{name} {rps:.0f} {p50:.3f} {p99:.3f} {int(err.group(1)) if err else 0}{' (' + sock.group(1) + ')' if sock else ''}")
PY
}
run warmup-cutover "$pc" >/dev/null
{
  echo "proxy requests/s p50_ms p99_ms non-2xx"
  run nginx "$pn"
  run haproxy "$ph"
  run cutover "$pc"
} > "$work/results"
column -t "$work/results"
python3 - "$work/results" <<'PY'
import sys
rows = {l.split()[0]: l.split() for l in open(sys.argv[1]).read().splitlines()[1:]}
n, c = rows["nginx"], rows["cutover"]
print(f"\ncutover/nginx: throughput {float(c[1])/float(n[1]):.2f}x (goal >= 1.00), p99 {float(c[3])/float(n[3]):.2f}x (goal <= 1.20)")
PY
echo "(wrk -t$THREADS -c$CONNS -d$DURATION, $(nproc) cores, $(date -u +%Y-%m-%d))"
