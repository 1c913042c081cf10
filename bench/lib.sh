# bench/lib.sh — shell helpers the DNS benchmarks share (sourced; needs ADDR set).
# free_port: a port free for both TCP and UDP on $ADDR. cpu_ticks PID: utime + stime in clock
# ticks. rss_kb PID: resident set size in KB.

free_port() {
    /usr/bin/python3 - "$ADDR" <<'PYEOF'
import socket, sys
for _ in range(100):
    t = socket.socket(); t.bind((sys.argv[1], 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind((sys.argv[1], p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PYEOF
}
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
