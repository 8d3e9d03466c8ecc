#!/usr/bin/env bash
# Load balancer benchmark (issue 9): cutover's data plane against nginx,
# HAProxy and Caddy, each proxying to the same two backends on this
# machine, measured with wrk in the same run. Prints one table with
# cutover's ratios to nginx and Caddy next to the issue's goals.
#
#   bash bench/lb.sh                          # 3 rounds of 10 s per proxy
#   ROUNDS=1 DURATION=5s bash bench/lb.sh     # quick look
#   PROXIES="nginx cutover" bash bench/lb.sh  # a subset
#   CUTOVER_REV=HEAD bash bench/lb.sh         # cutover as committed, not the work tree
#   CUTOVER_BIN=/path/to/cutover bash bench/lb.sh
#   MARKDOWN=1 bash bench/lb.sh               # the table as Markdown, for docs/benchmarks.md
#
# What is pinned (and printed with the table):
#   - wrk: THREADS threads (2), CONNS keep-alive connections (64), GET /;
#   - backend: bench/backend, two listeners, a 33-byte text/plain body;
#   - nginx: Debian's, 2 workers, upstream keepalive, no access log;
#   - HAProxy: Debian's, 2 threads, http-reuse always;
#   - Caddy: Debian's, reverse_proxy with upstream keep-alive, no access
#     log, admin off, auto_https off;
#   - cutover: the real `cutover lb` process built from this tree,
#     configured through its admin socket as `cutover server` does it;
#     GOMAXPROCS is left at Go's default (the number of CPUs) unless set
#     in the environment. Two rows: "cutover" (a listener forwarding to
#     one target group of both backends) and "cutover-weighted" (a
#     listener forwarding 90/10 to two target groups, each of both
#     backends), so that the second row shows what weighting costs.
# Each round runs every proxy in turn (a WARMUP run, then DURATION
# measured); the order reverses every other round so that drift in the
# machine's speed falls on all alike. The table shows each figure's
# median over the rounds; non-2xx and socket errors are summed.
#
# Needs go and curl; wrk, nginx, haproxy and caddy are installed from
# Debian when missing and the script runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PROXIES=${PROXIES:-nginx haproxy caddy cutover cutover-weighted}
CUTOVER_BIN=${CUTOVER_BIN:-}
CUTOVER_REV=${CUTOVER_REV:-}

work=$(mktemp -d /tmp/bench-lb.XXXXXX)
pids=()  # the servers, running until the end
wrk_pid= # the wrk run in progress

# cleanup stops every process this script started, then removes its
# scratch directory, which it keeps when the script failed (not when
# it was interrupted).
cleanup() {
	local rc=$? p
	[ -n "$wrk_pid" ] && { kill "$wrk_pid" 2>/dev/null || true; }
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if ((rc == 0 || rc == 130)); then rm -rf "$work"; else log "logs kept in $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "lb.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# ensure_tools installs wrk, nginx, haproxy and caddy from Debian when
# one is missing (as root), and fails with what to install otherwise.
ensure_tools() {
	command -v go >/dev/null || die "missing go (https://go.dev/dl/; the module needs the version in go.mod)"
	local -a pkgs=()
	command -v curl >/dev/null || pkgs+=(curl)
	command -v wrk >/dev/null || pkgs+=(wrk)
	command -v haproxy >/dev/null || pkgs+=(haproxy)
	command -v caddy >/dev/null || pkgs+=(caddy)
	if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then pkgs+=(nginx); fi
	((${#pkgs[@]} == 0)) && return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "missing ${pkgs[*]}: install them (Debian: apt-get install ${pkgs[*]})"
	fi
	log "installing ${pkgs[*]} from Debian"
	apt-get update -qq
	# nginx-light (bookworm) is the lean build; later releases only have nginx.
	if [[ " ${pkgs[*]} " == *" nginx "* ]] && apt-cache show nginx-light >/dev/null 2>&1; then
		pkgs=("${pkgs[@]/#nginx/nginx-light}")
	fi
	# Packages must not start their own daemons (nginx and Caddy on :80):
	# policy-rc.d says so for the install, unless the machine has one.
	local policy=/usr/sbin/policy-rc.d made_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 || {
		[ -n "$made_policy" ] && rm -f "$policy"
		die "apt-get install ${pkgs[*]} failed"
	}
	[ -n "$made_policy" ] && rm -f "$policy"
	PATH=$PATH:/usr/sbin
}

# freeport prints a TCP port on 127.0.0.1 that nothing listens on.
freeport() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_ok PORT NAME waits until the proxy on PORT answers 200 with the
# backend's body.
wait_ok() {
	local body
	for _ in $(seq 200); do
		body=$(curl -sf "http://127.0.0.1:$1/" 2>/dev/null) && [[ $body == hello* ]] && return 0
		sleep 0.1
	done
	tail -n 5 "$work/$2.log" >&2 2>/dev/null || true
	die "$2 on port $1 never answered 200 with the backend's body"
}

# start NAME CMD...: runs CMD in the background, logging to $work/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
}

# build builds the backend and cutover: from CUTOVER_BIN if set, else
# from the commit CUTOVER_REV if set (its tree exported, so the work
# tree and the index are untouched), else from the work tree.
build() {
	go build -o "$work/backend" ./bench/backend
	if [ -n "$CUTOVER_BIN" ]; then
		cp "$CUTOVER_BIN" "$work/cutover"
		cutover_src="$CUTOVER_BIN"
	elif [ -n "$CUTOVER_REV" ]; then
		mkdir -p "$work/src"
		git archive "$CUTOVER_REV" | tar -x -C "$work/src"
		(cd "$work/src" && go build -o "$work/cutover" ./cmd/cutover)
		cutover_src="commit $(git rev-parse --short "$CUTOVER_REV")"
	else
		go build -o "$work/cutover" ./cmd/cutover
		cutover_src="work tree at $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
		[ -n "$(git status --porcelain -- internal cmd go.mod 2>/dev/null)" ] && cutover_src+=" + uncommitted changes"
	fi
}

start_backends() {
	b1=$(freeport) b2=$(freeport)
	start backend "$work/backend" "127.0.0.1:$b1" "127.0.0.1:$b2"
	wait_ok "$b1" backend
	wait_ok "$b2" backend
}

start_nginx() {
	port[nginx]=$(freeport)
	mkdir -p "$work/nginx"
	cat >"$work/nginx/nginx.conf" <<-CONF
		worker_processes 2;
		pid $work/nginx/nginx.pid;
		error_log $work/nginx/error.log;
		daemon off;
		events { worker_connections 4096; }
		http {
		  access_log off;
		  client_body_temp_path $work/nginx/body;
		  proxy_temp_path $work/nginx/proxy;
		  upstream backends { server 127.0.0.1:$b1; server 127.0.0.1:$b2; keepalive 128; }
		  server {
		    listen 127.0.0.1:${port[nginx]};
		    location / { proxy_pass http://backends; proxy_http_version 1.1; proxy_set_header Connection ""; }
		  }
		}
	CONF
	start nginx nginx -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -p "$work/nginx"
}

start_haproxy() {
	port[haproxy]=$(freeport)
	cat >"$work/haproxy.cfg" <<-CONF
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
		  bind 127.0.0.1:${port[haproxy]}
		  default_backend be
		backend be
		  balance roundrobin
		  server s1 127.0.0.1:$b1
		  server s2 127.0.0.1:$b2
	CONF
	start haproxy haproxy -f "$work/haproxy.cfg"
}

start_caddy() {
	port[caddy]=$(freeport)
	mkdir -p "$work/caddy"
	# No log directive: Caddy writes no access log by default.
	cat >"$work/caddy/Caddyfile" <<-CONF
		{
		  admin off
		  auto_https off
		}
		http://127.0.0.1:${port[caddy]} {
		  reverse_proxy 127.0.0.1:$b1 127.0.0.1:$b2 {
		    lb_policy round_robin
		    transport http {
		      keepalive 90s
		      keepalive_idle_conns 128
		      keepalive_idle_conns_per_host 128
		    }
		  }
		}
	CONF
	start caddy env XDG_DATA_HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy" \
		caddy run --adapter caddyfile --config "$work/caddy/Caddyfile"
}

# start_cutover runs one `cutover lb` with two listeners: "cutover"
# forwards to one target group, "cutover-weighted" 90/10 to two.
start_cutover() {
	port[cutover]=$(freeport) port[cutover-weighted]=$(freeport)
	start cutover "$work/cutover" lb --dir "$work/lb" --log-level warn
	local sock=$work/lb/admin.sock
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	local arn=arn:aws:elasticloadbalancing:us-east-1:000000000000
	local tg tgs="" sep=""
	for tg in single blue green; do
		tgs+="$sep{\"arn\": \"$arn:targetgroup/$tg/0\", \"protocol\": \"HTTP\", \"deregistrationDelay\": 0,
		  \"healthCheck\": {\"enabled\": true, \"path\": \"/\", \"interval\": 2000000000, \"timeout\": 1000000000,
		    \"healthyThreshold\": 2, \"unhealthyThreshold\": 2, \"matcher\": \"200\"},
		  \"targets\": [{\"host\": \"127.0.0.1\", \"port\": $b1}, {\"host\": \"127.0.0.1\", \"port\": $b2}]}"
		sep=,
	done
	curl -sf --unix-socket "$sock" -X PUT http://lb/config -d @- >/dev/null <<-JSON || die "cutover lb refused the configuration"
		{"version": 1,
		 "listeners": [
		  {"arn": "$arn:listener/app/bench/0/single", "address": "127.0.0.1:${port[cutover]}", "protocol": "HTTP",
		   "defaultActions": [{"type": "forward", "targetGroups": [{"arn": "$arn:targetgroup/single/0", "weight": 1}]}]},
		  {"arn": "$arn:listener/app/bench/0/weighted", "address": "127.0.0.1:${port[cutover-weighted]}", "protocol": "HTTP",
		   "defaultActions": [{"type": "forward", "targetGroups": [
		     {"arn": "$arn:targetgroup/blue/0", "weight": 90}, {"arn": "$arn:targetgroup/green/0", "weight": 10}]}]}],
		 "targetGroups": [$tgs]}
	JSON
	# Measure only once all six targets passed their health checks.
	for _ in $(seq 100); do
		[ "$(curl -sf --unix-socket "$sock" http://lb/health | tr -d ' \n' | grep -o '"state":"healthy"' | wc -l)" = 6 ] && return 0
		sleep 0.1
	done
	die "cutover's targets never became healthy: $(curl -s --unix-socket "$sock" http://lb/health)"
}

# weighted_split prints the share of requests the green group of the
# weighted listener received (expected 10%).
weighted_split() {
	curl -sf --unix-socket "$work/lb/admin.sock" http://lb/stats | tr -d ' \n' |
		grep -o '"targetGroupArn":"[^"]*","target":{[^}]*},"requests":[0-9]*' |
		awk -F'"' '{n = $NF; sub(/.*:/, "", n); if ($4 ~ /green/) g += n; else if ($4 ~ /blue/) b += n}
			END { if (b + g) printf "%.1f%% of %d", 100 * g / (b + g), b + g; else print "n/a" }'
}

# run_wrk ARGS...: runs wrk in the background and waits for it, so that
# a signal to this script is handled at once, not when wrk is done.
run_wrk() {
	wrk "$@" &
	wrk_pid=$!
	local rc=0
	wait "$wrk_pid" || rc=$?
	wrk_pid=
	return "$rc"
}

# measure NAME ROUND: warms up, then runs wrk against NAME and appends
# "NAME ROUND rps p50_ms p99_ms non2xx socket_errors" to $work/raw.
measure() {
	local name=$1 round=$2 url="http://127.0.0.1:${port[$1]}/"
	run_wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null 2>&1 || true
	run_wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$work/wrk-$name-$round.txt" 2>&1 || true
	awk -v name="$name" -v round="$round" '
		function ms(v, u) { u = v; sub(/^[0-9.]+/, "", u); v += 0
			return u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v }
		/Requests\/sec:/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx or 3xx responses:/ { non = $NF }
		/Socket errors:/ { sock = $4 + $6 + $8 + $10 }
		END { if (rps == "") { rps = "nan"; p50 = "nan"; p99 = "nan" }
			printf "%s %s %s %.3f %.3f %d %d\n", name, round, rps, p50, p99, non, sock }
	' "$work/wrk-$name-$round.txt" | tee -a "$work/raw" |
		awk '{ printf "lb.sh: round %s %-16s %8.0f req/s  p50 %.2f ms  p99 %.2f ms\n", $2, $1, $3, $4, $5 }' >&2
}

# table prints the medians over the rounds, cutover's ratios and the
# goals, as aligned text or (MARKDOWN=1) as a Markdown table.
table() {
	awk -v order="$PROXIES" -v md="${MARKDOWN:-}" '
		function median(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2fx", a / b) }
		function row(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10) {
			if (md) printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c1, c2, c3, c4, c5, c6, c7, c8, c9, c10
			else printf "%-17s %8s %7s %7s %8s %8s %10s %10s %10s %12s\n", c1, c2, c3, c4, c5, c6, c7, c8, c9, c10
		}
		{ rps[$1] = rps[$1] " " $3; p50[$1] = p50[$1] " " $4; p99[$1] = p99[$1] " " $5
		  non[$1] += $6; sock[$1] += $7 }
		END {
			n = split(order, names, " ")
			for (i = 1; i <= n; i++) if (names[i] in rps) {
				r[names[i]] = median(rps[names[i]]); q[names[i]] = median(p99[names[i]]) }
			row("proxy", "req/s", "p50 ms", "p99 ms", "non-2xx", "sock-err", "rps/nginx", "p99/nginx", "rps/caddy", "rps/cutover")
			if (md) print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
			for (i = 1; i <= n; i++) { p = names[i]; if (!(p in rps)) continue
				row(p, sprintf("%.0f", r[p]), sprintf("%.2f", median(p50[p])), sprintf("%.2f", q[p]), non[p], sock[p],
					ratio(r[p], r["nginx"]), ratio(q[p], q["nginx"]), ratio(r[p], r["caddy"]), ratio(r[p], r["cutover"])) }
			row("goal (cutover)", "", "", "", "0", "0", ">=1.00x", "<=1.20x", ">=2.00x", "~1.00x wtd")
		}' "$work/raw"
}

# spread prints, per proxy, the req/s of every round in run order.
spread() {
	awk -v order="$PROXIES" '{ s[$1] = s[$1] sprintf(" %.0f", $3) }
		END { n = split(order, names, " "); for (i = 1; i <= n; i++) if (names[i] in s) printf "  %-17s%s\n", names[i], s[names[i]] }' "$work/raw"
}

machine() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
	echo "load average (1, 5, 15 min) before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency (after a $WARMUP warm-up), $ROUNDS round(s), medians"
	echo "response: $(curl -s -o /dev/null -w '%{size_download}-byte body, %{size_header}-byte header' "http://127.0.0.1:$b1/") (bench/backend)"
	echo "versions: $(nginx -v 2>&1 | sed 's/.*: //'), HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }'), Caddy $(caddy version 2>/dev/null | awk '{ print $1 }'), $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }'), $(go version | awk '{ print $3 }')"
	echo "cutover: $cutover_src, GOMAXPROCS=${GOMAXPROCS:-default ($(nproc))}; weighted listener 90/10, green got $(weighted_split)"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
}

main() {
	ensure_tools
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	declare -gA port
	build
	start_backends
	local p
	for p in $PROXIES; do
		case $p in
		nginx) start_nginx ;;
		haproxy) start_haproxy ;;
		caddy) start_caddy ;;
		cutover) [ -n "${port[cutover]:-}" ] || start_cutover ;;
		cutover-weighted) [ -n "${port[cutover]:-}" ] || start_cutover ;;
		*) die "unknown proxy $p (nginx haproxy caddy cutover cutover-weighted)" ;;
		esac
	done
	for p in $PROXIES; do wait_ok "${port[$p]}" "$p"; done

	local round order
	for round in $(seq "$ROUNDS"); do
		order=$PROXIES
		((round % 2 == 0)) && order=$(tr ' ' '\n' <<<"$PROXIES" | tac | tr '\n' ' ')
		for p in $order; do measure "$p" "$round"; done
	done

	echo
	table
	echo
	machine
	echo "req/s per round:"
	spread
}

main "$@"
