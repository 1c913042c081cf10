#!/bin/sh
# Docker source benchmark: event-to-answer latency over N container starts and N stops (default
# 100) against a private dockerd (own socket, data root and exec root in a temp dir, no registry).
# Latency = wall-clock time of the first DNS answer that reflects the change (polled on the DNS
# port with dnspython, while the Docker call is still in flight) minus the daemon's own timeNano of
# the event (start; the first of kill/die/stop for a stop). Needs root, docker.io, busybox-static.
#
#   bench/docker.sh [N]          JOYRIDE=path/to/joyride (default build/src/joyride)
set -eu
cd "$(dirname "$0")/.."
N=${1:-100}
JOYRIDE=${JOYRIDE:-build/src/joyride}
if [ ! -x "$JOYRIDE" ]; then
    echo "bench/docker.sh: $JOYRIDE not built (make build, or set JOYRIDE=)" >&2
    exit 1
fi
export JOYRIDE_BUILD="$(cd "$(dirname "$JOYRIDE")/.." && pwd)"
exec /usr/bin/python3 - "$N" <<'PY'
import statistics
import sys
import tempfile
import time

sys.path.insert(0, "tests/integration")
from conftest import Node, node_env, wait_until  # noqa: E402
from test_docker import LABEL, EventRecorder, PrivateDockerd, act_and_wait_answer  # noqa: E402

n = int(sys.argv[1])
d = PrivateDockerd()
node = None
work = tempfile.mkdtemp(prefix="jr-bench-docker-")
try:
    d.start()
    d.api.import_busybox()
    env = node_env(DOCKER_HOST=d.docker_host, LOG_LEVEL="WARNING")
    node = Node(env, work).wait_ready()
    wait_until(lambda: node.json("/status")[1]["docker_monitor"]["connected"], timeout=15)
    rec = EventRecorder(d.api)
    answered = {}
    for i in range(n):
        name = "bench%03d.example.com" % i
        cid = d.api.create({LABEL: name}, auto_remove=True)
        answered[(cid, "up")] = act_and_wait_answer(node, lambda: d.api.start(cid), name,
                                                    [node.addr])
        answered[(cid, "down")] = act_and_wait_answer(node, lambda: d.api.stop(cid), name, [])
    lat = rec.latencies_ms(answered)
    rec.close()
    for kind, label in (("up", "start"), ("down", "stop")):
        ms = lat[kind]
        p99 = ms[max(0, -(-99 * len(ms) // 100) - 1)]
        print("%-5s n=%d  median %.2f ms  p99 %.2f ms  max %.2f ms  min %.2f ms" % (
            label, len(ms), statistics.median(ms), p99, ms[-1], ms[0]))
finally:
    if node:
        node.stop()
    d.cleanup()
PY
