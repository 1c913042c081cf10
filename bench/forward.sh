#!/bin/sh
# Forwarding benchmark: Joyride, dnsmasq and Unbound as caching forwarders in front of the same
# upstream (knotd authoritative for a generated zone of 100k names on 127.0.0.1), side by side
# in one run: each round starts every forwarder once, in turn, on a fresh process. The forwarder
# under test is pinned to CPU 0; dnsperf, the latency client and the upstream run on CPU 1.
# Per forwarder and round:
#   miss   400 names never asked, one at a time (a Python client): median and p99 latency, next
#          to the same names asked of the upstream directly;
#   hit    1000 names asked once to warm the cache, then dnsperf on those names for DURATION:
#          QPS and forwarder CPU-seconds per 100k answers (utime+stime from /proc/PID/stat);
#   memory all 100k names asked once (dnsperf), then VmRSS, and its growth since the start
#          (dnsmasq allocates its whole --cache-size at start, so its growth is ~0; compare RSS).
# The median round (by hit QPS; by latency for the miss figures) is reported, with Joyride's
# ratios to each peer.
#
# Environment: JOYRIDE (binary; default build/joyride or build/src/joyride), DURATION (seconds
# of the hit run, default 10), ROUNDS (default 3), CLIENTS / OUTSTANDING (dnsperf -c / -q,
# default 8 / 500), SERVERS (default "joyride dnsmasq unbound"), NICE (e.g. -20), VERBOSE=1
# prints every run, KEEP=1 keeps the temp dir. JOYRIDE_BASE=path/to/other/joyride adds it as
# server "base" in the same rounds (e.g. a build of another commit).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${JOYRIDE:-}" ]; then
    JOYRIDE=$root/build/src/joyride
    [ -x "$root/build/joyride" ] && JOYRIDE=$root/build/joyride
fi
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-8}
OUTSTANDING=${OUTSTANDING:-500}
SERVERS=${SERVERS:-joyride dnsmasq unbound}
if [ -n "${JOYRIDE_BASE:-}" ]; then
    [ -x "$JOYRIDE_BASE" ] || { echo "bench: JOYRIDE_BASE=$JOYRIDE_BASE is not executable" >&2; exit 1; }
    case " $SERVERS " in *" base "*) ;; *) SERVERS="$SERVERS base" ;; esac
fi
NAMES=100000
HOT=1000
MISSES=400
PRIO=""
[ -n "${NICE:-}" ] && PRIO="nice -n $NICE"
ADDR=127.0.0.1
ZONE=fwd.benchzone

for tool in dnsperf knotd dnsmasq unbound taskset kdig; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (scripts/deps.sh bench installs it)" >&2; exit 1; }
done
[ -x "$JOYRIDE" ] || { echo "bench: $JOYRIDE not built (run make build)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs" >&2; exit 1; }

tmp=$(mktemp -d /tmp/joyride-fwdbench.XXXXXX)
server_pid=""
upstream_pid=""
cleanup() {
    for p in $server_pid $upstream_pid; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

. "$root/bench/lib.sh"

# ---- the upstream: knotd with NAMES names, TTL 1 h (nothing expires during a run) ----
mkdir -p "$tmp/knot/db"
{
    # shellcheck disable=SC2016
    printf '$ORIGIN %s.\n$TTL 3600\n' $ZONE
    printf '@ SOA ns hostmaster 1 3600 600 86400 3600\n@ NS ns\nns A 127.0.0.1\n'
    awk -v n=$NAMES 'BEGIN { for (i = 0; i < n; i++)
        printf "h%06d A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
} >"$tmp/knot/zone"
awk -v n=$HOT -v z=$ZONE 'BEGIN { for (i = 0; i < n; i++) printf "h%06d.%s A\n", i, z }' >"$tmp/hot.txt"
awk -v n=$NAMES -v z=$ZONE 'BEGIN { for (i = 0; i < n; i++) printf "h%06d.%s A\n", i, z }' >"$tmp/all.txt"
awk -v n=$MISSES -v z=$ZONE 'BEGIN { for (i = 0; i < n; i++) printf "h%06d.%s\n", 50000 + i, z }' >"$tmp/miss.txt"
uport=$(free_port)
cat >"$tmp/knot/knot.conf" <<EOF
server:
    listen: $ADDR@$uport
    rundir: $tmp/knot
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: $tmp/knot/db
log:
  - target: stderr
    any: error
zone:
  - domain: $ZONE
    file: $tmp/knot/zone
EOF
# shellcheck disable=SC2086
$PRIO taskset -c 1 knotd -c "$tmp/knot/knot.conf" >"$tmp/knot.log" 2>&1 &
upstream_pid=$!

wait_ready() { # port pid
    end=$(($(date +%s) + 20))
    while [ "$(date +%s)" -lt "$end" ]; do
        kdig @$ADDR -p "$1" +short +time=1 +retry=0 ns.$ZONE A 2>/dev/null | grep -q '^127\.' && return 0
        kill -0 "$2" 2>/dev/null || { echo "bench: server exited" >&2; return 1; }
        sleep 0.1
    done
    echo "bench: nothing answers on port $1" >&2
    return 1
}
wait_ready "$uport" "$upstream_pid"

start_joyride() {
    http=$(free_port)
    # shellcheck disable=SC2086
    env -i PATH="$PATH" DNS_PORT="$1" DNS_BIND_ADDRESS=$ADDR HTTP_PORT="$http" \
        HTTP_BIND_ADDRESS=$ADDR HOSTIP=$ADDR HOSTS_DIRECTORY= DNS_WORKERS=1 ENABLE_DNS_SYNC=false \
        LOG_LEVEL=WARNING DOCKER_HOST=unix:///nonexistent.sock DNS_FORWARDERS=$ADDR:$uport \
        DNS_CACHE_SIZE=200000 $PRIO taskset -c 0 "$JOYRIDE" >"$tmp/joyride.log" 2>&1 &
    server_pid=$!
}
start_base() {
    current=$JOYRIDE
    JOYRIDE=$JOYRIDE_BASE
    start_joyride "$1"
    JOYRIDE=$current
}
start_dnsmasq() {
    # shellcheck disable=SC2086
    $PRIO taskset -c 0 dnsmasq --no-daemon --no-resolv --no-hosts --server="$ADDR#$uport" \
        --port="$1" --listen-address=$ADDR --bind-interfaces --cache-size=200000 \
        --dns-forward-max=1000 --pid-file= --user="$(id -un)" --log-facility=- \
        >"$tmp/dnsmasq.log" 2>&1 &
    server_pid=$!
}
start_unbound() {
    cat >"$tmp/unbound.conf" <<EOF
server:
    interface: $ADDR@$1
    port: $1
    num-threads: 1
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$tmp"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    qname-minimisation: no
    msg-cache-size: 128m
    rrset-cache-size: 256m
    num-queries-per-thread: 4096
forward-zone:
    name: "."
    forward-addr: $ADDR@$uport
EOF
    # shellcheck disable=SC2086
    $PRIO taskset -c 0 unbound -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
    server_pid=$!
}
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# Sequential latency of the names in miss.txt against port: "median_ms p99_ms failures".
latency() {
    taskset -c 1 /usr/bin/python3 - "$ADDR" "$1" "$tmp/miss.txt" <<'EOF'
import socket, struct, sys, time
addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
lat, bad = [], 0
for i, name in enumerate(open(path).read().split()):
    q = struct.pack("!6H", i & 0xFFFF, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack("!2H", 1, 1)
    t0 = time.perf_counter()
    s.sendto(q, (addr, port))
    try:
        while True:
            r = s.recv(2048)
            if r[:2] == q[:2]:
                break
        lat.append((time.perf_counter() - t0) * 1000)
        if r[3] & 0x0F != 0 or struct.unpack("!H", r[6:8])[0] == 0:
            bad += 1
    except socket.timeout:
        bad += 1
lat.sort()
print("%.3f %.3f %d" % (lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], bad))
EOF
}

dnsperf_run() { # port file seconds|"" outstanding -> "completed qps lost"
    if [ -n "$3" ]; then lim="-l $3"; else lim="-n 1"; fi
    # shellcheck disable=SC2086
    $PRIO taskset -c 1 dnsperf -s $ADDR -p "$1" -d "$2" $lim -c "$CLIENTS" -q "$4" -t 2 >"$tmp/dnsperf.txt" 2>&1
    awk '/Queries completed:/ { d = $3 } /Queries lost:/ { l = $3 } /Queries per second:/ { q = $4 }
        END { printf "%d %.0f %d\n", d, q, l }' "$tmp/dnsperf.txt"
}

# One forwarder, fresh: "hit_qps cpu_s_per_100k miss_median miss_p99 miss_bad rss_mb rss_growth_mb"
run_one() {
    port=$(free_port)
    "start_$1" "$port"
    wait_ready "$port" "$server_pid"
    rss0=$(rss_kb "$server_pid")
    miss=$(latency "$port")
    dnsperf_run "$port" "$tmp/hot.txt" "" 100 >/dev/null
    c0=$(cpu_ticks "$server_pid")
    hit=$(dnsperf_run "$port" "$tmp/hot.txt" "$DURATION" "$OUTSTANDING")
    c1=$(cpu_ticks "$server_pid")
    fill=$(dnsperf_run "$port" "$tmp/all.txt" "" 200)
    rss1=$(rss_kb "$server_pid")
    stop_server
    [ "${VERBOSE:-0}" = 1 ] && echo "  $1: hit(completed qps lost)=$hit fill=$fill miss=$miss" >&2
    # shellcheck disable=SC2086
    set -- $hit $miss
    awk -v done="$1" -v qps="$2" -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v med="$4" \
        -v p99="$5" -v bad="$6" -v r0="$rss0" -v r1="$rss1" 'BEGIN {
        printf "%.0f %.3f %s %s %s %.1f %.1f\n", qps, done ? ticks / hz / done * 100000 : 0,
            med, p99, bad, r1 / 1024, (r1 - r0) / 1024 }'
}

median_by() { # file column
    sort -n -k"$2" "$1" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

echo "Forwarding benchmark: upstream knotd with $NAMES names on $ADDR; forwarder on CPU 0," \
    "dnsperf/client/upstream on CPU 1; $ROUNDS rounds, hit run ${DURATION}s (-c $CLIENTS -q $OUTSTANDING)${NICE:+, nice $NICE}"
echo "joyride: $JOYRIDE ($("$JOYRIDE" --version | head -1)); $(dnsmasq --version | head -1 | cut -d' ' -f1-3);" \
    "unbound $(unbound -V | head -1 | cut -d' ' -f2); $(knotd -V | head -1)"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    echo "$(latency "$uport")" >>"$tmp/direct"
    for srv in $SERVERS; do
        r=$(run_one "$srv")
        [ "${VERBOSE:-0}" = 1 ] && echo "  round $i $srv: $r" >&2
        echo "$r" >>"$tmp/runs-$srv"
    done
    i=$((i + 1))
done

direct=$(median_by "$tmp/direct" 1)
echo
printf '%-9s %10s %14s %12s %12s %8s %10s %13s\n' server "hit QPS" "CPU s/100k" "miss med ms" \
    "miss p99 ms" "failed" "RSS MB" "+RSS 100k MB"
# shellcheck disable=SC2086
set -- $direct
printf '%-9s %10s %14s %12s %12s %8s %10s %13s\n' direct - - "$1" "$2" "$3" - -
for srv in $SERVERS; do
    h=$(median_by "$tmp/runs-$srv" 1)
    m=$(median_by "$tmp/runs-$srv" 3)
    # shellcheck disable=SC2086
    set -- $h
    qps=$1 cpu=$2 rss=$6 grow=$7
    # shellcheck disable=SC2086
    set -- $m
    printf '%-9s %10s %14s %12s %12s %8s %10s %13s\n' "$srv" "$qps" "$cpu" "$3" "$4" "$5" "$rss" "$grow"
    echo "$srv $qps $cpu $3 $4 $grow $rss" >>"$tmp/summary"
done
echo
# shellcheck disable=SC2086
set -- $direct
awk -v dmed="$1" -v dp99="$2" '
    { s[$1] = 1; qps[$1] = $2; cpu[$1] = $3; med[$1] = $4; p99[$1] = $5; grow[$1] = $6; rss[$1] = $7 }
    END {
        if (!("joyride" in s))
            exit
        printf "Joyride miss latency / direct: median x%.2f, p99 x%.2f\n", med["joyride"] / dmed, p99["joyride"] / dp99
        for (p in s) {
            if (p == "joyride")
                continue
            g = grow[p] > 0.5 ? sprintf("x%.2f", grow["joyride"] / grow[p]) : "-"
            printf "Joyride / %-8s hit QPS x%.2f   CPU per answer x%.2f   miss median x%.2f   RSS at 100k x%.2f   growth %s\n", p, qps["joyride"] / qps[p], cpu["joyride"] / cpu[p], med["joyride"] / med[p], rss["joyride"] / rss[p], g
        }
    }' "$tmp/summary"
