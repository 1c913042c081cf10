#!/bin/sh
# DNS benchmark: Joyride against Knot DNS and dnsmasq serving the same 1000 generated names on
# 127.0.0.1, one server at a time, driven by dnsperf (90 % hits, 10 % misses). The server is
# pinned to CPU 0 and dnsperf to CPU 1. Prints per server: QPS, average latency, lost %,
# server CPU-seconds per 100k answered queries (utime+stime from /proc/PID/stat), RSS (VmRSS),
# and Joyride's ratio to each peer; then the same over TCP against Knot.
#
# Environment: JOYRIDE (binary; default build/joyride or build/src/joyride), DURATION (seconds
# per run, default 10), ROUNDS (each round runs every server once; the run with the median QPS
# is reported; default 3), CLIENTS (dnsperf -c, default 8), OUTSTANDING (dnsperf -q, default 500), SERVERS (default
# "joyride knot dnsmasq"), NICE (e.g. -20: run servers and dnsperf at that niceness, so other
# work on a shared machine disturbs the runs less), VERBOSE=1 prints every run, KEEP=1 keeps the
# temp dir. JOYRIDE_BASE=path/to/other/joyride adds it as server "base" (e.g. a build of an older
# commit), run in the same rounds, and prints Joyride's ratio to it.
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
NAMES=1000
SERVERS=${SERVERS:-joyride knot dnsmasq}
if [ -n "${JOYRIDE_BASE:-}" ]; then
    [ -x "$JOYRIDE_BASE" ] || { echo "bench: JOYRIDE_BASE=$JOYRIDE_BASE is not executable" >&2; exit 1; }
    case " $SERVERS " in *" base "*) ;; *) SERVERS="joyride base ${SERVERS#joyride }" ;; esac
fi
# "nice -n N" when NICE is set; used unquoted on purpose (empty: no word at all). $! of a
# background "$PRIO cmd &" is then still the server's own PID.
PRIO=""
[ -n "${NICE:-}" ] && PRIO="nice -n $NICE"
ADDR=127.0.0.1
ZONE=bench.test

for tool in dnsperf knotd dnsmasq taskset kdig; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool not found (make bench installs it)" >&2; exit 1; }
done
[ -x "$JOYRIDE" ] || { echo "bench: $JOYRIDE not built (run make build)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (server on CPU 0, dnsperf on CPU 1)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/joyride-bench.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "bench: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT INT TERM

. "$root/bench/lib.sh"

# ---- the data: 1000 names, the same in every server's format; the query mix ----
mkdir -p "$tmp/hosts" "$tmp/knot/db"
awk -v n=$NAMES -v z=$ZONE 'BEGIN {
    for (i = 0; i < n; i++)
        printf "10.%d.%d.%d host%04d.%s\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256, i, z
}' >"$tmp/hosts/bench.hosts"
{
    # shellcheck disable=SC2016
    printf '$ORIGIN %s.\n$TTL 60\n' $ZONE
    printf '@ SOA %s. hostmaster.%s. 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n' $ZONE $ZONE
    awk -v z=$ZONE '{ sub("." z "$", "", $2); print $2, "A", $1 }' "$tmp/hosts/bench.hosts"
} >"$tmp/knot/$ZONE.zone"
awk -v n=$NAMES -v z=$ZONE 'BEGIN {
    srand(42)
    for (i = 0; i < 100000; i++) {
        if (rand() < 0.9) printf "host%04d.%s A\n", int(rand() * n), z
        else printf "miss%06d.%s A\n", i, z
    }
}' >"$tmp/queries.txt"

wait_ready() { # port name: until the name resolves over UDP (and TCP), 15 s deadline
    end=$(($(date +%s) + 15))
    while [ "$(date +%s)" -lt "$end" ]; do
        if kdig @$ADDR -p "$1" +short +time=1 +retry=0 "$2" A 2>/dev/null | grep -q '^10\.' &&
            kdig @$ADDR -p "$1" +tcp +short +time=1 +retry=0 "$2" A 2>/dev/null | grep -q '^10\.'; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { echo "bench: server exited" >&2; return 1; }
        sleep 0.1
    done
    echo "bench: server on port $1 not answering" >&2
    return 1
}

start_joyride() { # port
    http=$(free_port)
    # shellcheck disable=SC2086
    env -i PATH="$PATH" DNS_PORT="$1" DNS_BIND_ADDRESS=$ADDR HTTP_PORT="$http" \
        HTTP_BIND_ADDRESS=$ADDR HOSTIP=$ADDR HOSTS_DIRECTORY="$tmp/hosts" DNS_DOMAINS=$ZONE \
        DNS_WORKERS=1 ENABLE_DNS_SYNC=false LOG_LEVEL=WARNING DOCKER_HOST=unix:///nonexistent.sock \
        $PRIO taskset -c 0 "$JOYRIDE" >"$tmp/joyride.log" 2>&1 &
    server_pid=$!
}
start_base() { # port
    current=$JOYRIDE
    JOYRIDE=$JOYRIDE_BASE
    start_joyride "$1"
    JOYRIDE=$current
}
start_knot() { # port
    cat >"$tmp/knot/knot.conf" <<EOF
server:
    listen: $ADDR@$1
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
    file: $tmp/knot/$ZONE.zone
EOF
    # shellcheck disable=SC2086
    $PRIO taskset -c 0 knotd -c "$tmp/knot/knot.conf" >"$tmp/knot.log" 2>&1 &
    server_pid=$!
}
start_dnsmasq() { # port
    # shellcheck disable=SC2086
    $PRIO taskset -c 0 dnsmasq --no-daemon --no-resolv --no-hosts --addn-hosts="$tmp/hosts/bench.hosts" \
        --port="$1" --listen-address=$ADDR --bind-interfaces --local=/$ZONE/ --pid-file= \
        --user="$(id -un)" --log-facility=- --quiet-dhcp >"$tmp/dnsmasq.log" 2>&1 &
    server_pid=$!
}
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# One measured run: server mode -> "qps latency_ms lost_pct cpu_s_per_100k rss_mb"
run_one() {
    name=$1
    mode=$2
    port=$(free_port)
    "start_$name" "$port"
    wait_ready "$port" host0001.$ZONE
    c0=$(cpu_ticks "$server_pid")
    # shellcheck disable=SC2086
    $PRIO taskset -c 1 dnsperf -m "$mode" -s $ADDR -p "$port" -d "$tmp/queries.txt" -l "$DURATION" \
        -c "$CLIENTS" -q "$OUTSTANDING" -T 1 >"$tmp/dnsperf-$name-$mode.txt" 2>&1
    c1=$(cpu_ticks "$server_pid")
    rss=$(rss_kb "$server_pid")
    stop_server
    awk -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v rss="$rss" '
        /Queries completed:/ { done = $3 }
        /Queries lost:/ { lost = $5; gsub(/[()%]/, "", lost) }
        /Queries per second:/ { qps = $4 }
        /Average Latency/ { lat = $4 * 1000 }
        END {
            if (done == 0) { print "0 0 100 0 0"; exit }
            printf "%.0f %.3f %.2f %.3f %.1f\n", qps, lat, lost, ticks / hz / done * 100000, rss / 1024
        }' "$tmp/dnsperf-$name-$mode.txt"
}

# The median run by QPS of a file of result lines (the lower middle one for an even count).
median() {
    sort -n "$1" | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

# ROUNDS rounds; each round runs every server once, in turn, so load from elsewhere on the
# machine spreads over all of them. Sets res_<server>_<mode> to the median run by QPS (a shared
# machine makes the best run an outlier; the median is what a repeat would see).
run_all() { # mode servers...
    mode=$1
    shift
    i=0
    while [ "$i" -lt "$ROUNDS" ]; do
        for srv in "$@"; do
            # shellcheck disable=SC2034
            r=$(run_one "$srv" "$mode")
            [ "${VERBOSE:-0}" = 1 ] && echo "  run: $srv $mode $r" >&2
            echo "$r" >>"$tmp/runs-$srv-$mode"
            eval "res_${srv}_$mode=\$(median \"\$tmp/runs-$srv-$mode\")"
        done
        i=$((i + 1))
    done
}

has() { case " $SERVERS " in *" $1 "*) return 0 ;; esac; return 1; }

row() { # label "qps lat lost cpu rss"
    # shellcheck disable=SC2086
    set -- "$1" $2
    printf '%-10s %10s %10s %8s %16s %8s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}
header() {
    printf '%-10s %10s %10s %8s %16s %8s\n' server QPS "avg ms" "lost %" "CPU s/100k ans" "RSS MB"
}
ratio() { # label joyride-result peer-result
    # shellcheck disable=SC2086
    set -- "$1" $2 $3
    awk -v l="$1" -v jq="$2" -v jc="$5" -v jr="$6" -v pq="$7" -v pc="${10}" -v pr="${11}" 'BEGIN {
        printf "Joyride / %-8s QPS x%.2f   CPU per query x%.2f   RSS x%.2f\n", l,
            pq ? jq / pq : 0, pc ? jc / pc : 0, pr ? jr / pr : 0 }'
}

echo "DNS benchmark: $NAMES names, dnsperf 90 % hits / 10 % misses, ${DURATION}s per run," \
    "median of $ROUNDS; server on CPU 0, dnsperf on CPU 1 (-c $CLIENTS -q $OUTSTANDING)${NICE:+, nice $NICE}"
echo "joyride: $JOYRIDE ($("$JOYRIDE" --version 2>/dev/null | head -1)); $(knotd -V | head -1);" \
    "$(dnsmasq --version | head -1 | cut -d' ' -f1-3)"
echo
echo "UDP"
# shellcheck disable=SC2086
run_all udp $SERVERS
header
for srv in $SERVERS; do
    eval "row $srv \"\$res_${srv}_udp\""
done
for peer in base knot dnsmasq; do
    if has joyride && has $peer; then
        eval "ratio $peer \"\$res_joyride_udp\" \"\$res_${peer}_udp\""
    fi
done
tcp_servers=""
for srv in $SERVERS; do
    [ "$srv" = dnsmasq ] || tcp_servers="$tcp_servers $srv"
done
[ -n "$tcp_servers" ] || exit 0
echo
echo "TCP"
# shellcheck disable=SC2086
run_all tcp $tcp_servers
header
for srv in $tcp_servers; do
    eval "row $srv \"\$res_${srv}_tcp\""
done
for peer in base knot; do
    if has joyride && has $peer; then
        # shellcheck disable=SC2154 # set by run_all through eval
        eval "ratio $peer \"\$res_joyride_tcp\" \"\$res_${peer}_tcp\""
    fi
done
