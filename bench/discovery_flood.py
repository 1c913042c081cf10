"""Spoofed discovery announces and POST /dns/sync floods against a loopback cluster, to compare
binaries. Starts NODES joyride processes on unique 127.x addresses that find each other by
broadcast to 127.255.255.255 (optionally with CLUSTER_SECRET), sends ANNOUNCES spoofed plain
announces with new node ids naming one address where a TCP listener counts connections, watches
for WATCH seconds, then times SYNCS sequential POST /dns/sync on the first node and counts the
exchanges it started.

    /usr/bin/python3 bench/discovery_flood.py JOYRIDE [--secret]
        NODES=5 ANNOUNCES=20000 WATCH=10 SYNCS=1000
"""

import base64
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, "tests/integration")
from conftest import Node, free_port, node_env, unique_loopback, wait_until  # noqa: E402
from spoof import Listener, Spoofer, announce, shared_discovery_port  # noqa: E402

binary = os.path.abspath(sys.argv[1])
secret = "--secret" in sys.argv[2:]
nodes_n = int(os.environ.get("NODES", "5"))
announces = int(os.environ.get("ANNOUNCES", "20000"))
watch = float(os.environ.get("WATCH", "10"))
syncs = int(os.environ.get("SYNCS", "1000"))


class BenchNode(Node):
    def __init__(self, env, workdir):
        self.addr = env["DNS_BIND_ADDRESS"]
        self.dns_port = int(env["DNS_PORT"])
        self.http_port = int(env["HTTP_PORT"])
        self.env = env
        self.workdir = Path(workdir)
        self.start_proc([binary], self.workdir / ("joyride-%s.log" % self.addr), env=env,
                        cwd=self.workdir)


def cluster(n):
    _, body = n.json("/dns/cluster")
    return body["cluster"]


def alive(n):
    return cluster(n)["swim_cluster"]["member_counts"]["alive"]


work = Path(tempfile.mkdtemp(prefix="jr-discflood-"))
port = shared_discovery_port()
key = base64.b64encode(os.urandom(32)).decode()
nodes = []
victim = Listener()
spoof = Spoofer(port)
try:
    for i in range(nodes_n):
        addr = unique_loopback()
        env = node_env(addr=addr, ENABLE_DNS_SYNC="true", DISCOVERY_PORT=str(port),
                       DISCOVERY_INTERVAL="1", SWIM_PORT=str(free_port(addr)), LOG_LEVEL="INFO",
                       SWIM_PUSHPULL_INTERVAL="600s", NODE_ID="bench-%d" % i,
                       CLUSTER_SECRET=key if secret else None)
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env.pop(k, None)
        nodes.append(BenchNode(env, work).wait_ready())
    wait_until(lambda: all(alive(n) == nodes_n for n in nodes), timeout=30, what="the cluster")
    time.sleep(2.5)  # every node heard every other over a few heartbeats
    lines0 = [len(n.log().splitlines()) for n in nodes]
    t0 = time.monotonic()
    for i in range(announces):
        spoof.send(announce("spoof-%d" % i, victim.addr, victim.port))
    sent_s = time.monotonic() - t0
    peak, sizes = [0] * nodes_n, [0] * nodes_n
    while time.monotonic() - t0 < watch:
        for k, n in enumerate(nodes):
            body = n.http("/dns/cluster")[2]
            peak[k] = max(peak[k], json.loads(body)["cluster"]["discovered_nodes"])
            sizes[k] = max(sizes[k], len(body))
        time.sleep(0.2)
    grown = [len(n.log().splitlines()) - l0 for n, l0 in zip(nodes, lines0)]
    print("binary %s, %d nodes, CLUSTER_SECRET %s" % (binary, nodes_n, "on" if secret else "off"))
    print("spoofed announces sent: %d in %.2f s" % (spoof.sent, sent_s))
    print("discovered table size per node, peak within %.0f s: %s" % (watch, peak))
    print("/dns/cluster bytes per node, peak: %s" % sizes)
    print("TCP connections to the spoofed address within %.0f s: %d" % (watch, victim.accepted))
    print("log lines written per node: %s" % grown)
    print("alive members per node at the end: %s" % [alive(n) for n in nodes])

    a = nodes[0]
    sent0 = cluster(a)["statistics"]["full_states_sent"]
    coalesced = 0
    t0 = time.monotonic()
    for _ in range(syncs):
        req = urllib.request.Request(a.url("/dns/sync"), method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=5) as r:
            coalesced += json.loads(r.read()).get("coalesced") is True
    took = time.monotonic() - t0
    time.sleep(1.0)
    exchanged = cluster(a)["statistics"]["full_states_sent"] - sent0
    print("%d POST /dns/sync in %.2f s: full states sent %d (%d peers), coalesced answers %d"
          % (syncs, took, exchanged, nodes_n - 1, coalesced))
finally:
    spoof.close()
    victim.close()
    for n in nodes:
        n.stop()
