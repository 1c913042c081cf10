"""The cluster end to end: real joyride processes in network namespaces on a private bridge that
each test creates and removes (netns.py). Measured figures are printed as "MEASURED ..." lines
(run with -s to see them)."""

import base64
import os
import shutil
import signal
import socket
import statistics
import struct
import threading
import time

import pytest

from conftest import JOYRIDE, SAN_ENV
from netns import Lab, NsNode

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not JOYRIDE.exists(),
    reason="needs root, iproute2 and a built joyride")

NAME = "n%d.cluster.test"


def measured(what, value):
    print("MEASURED %s: %s" % (what, value))


def poll(pred, timeout, interval=0.01, what="condition"):
    """Polls pred until truthy; returns seconds taken. Fails with `what` after timeout."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            last = pred()
            if last:
                return time.monotonic() - t0
        except Exception as e:  # noqa: BLE001 - a node may be starting or briefly unreachable
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


def answers(node, name, timeout=0.3):
    try:
        return node.addresses(name, timeout=timeout)
    except Exception:  # noqa: BLE001 - timeouts count as "no answer yet"
        return None


def hosts_line(node, name=None):
    return "%s %s\n" % (node.addr, name or NAME % node.i)


def all_answer(nodes, owners):
    return all(answers(n, NAME % o.i) == [o.addr] for n in nodes for o in owners)


def none_answer(nodes, name):
    return all(answers(n, name) == [] for n in nodes)


def finish(lab, nodes):
    """Stops every node; a sanitizer exit code (98/99) fails the test."""
    bad = []
    for n in nodes:
        rc = n.stop()
        if rc in (98, 99):
            bad.append("node%d exited %d:\n%s" % (n.i, rc, n.log()[-3000:]))
    lab.close()
    if bad:
        pytest.fail("\n".join(bad))


def make_nodes(lab, tmp_path, count, env=None, per_node=None):
    nodes = []
    for i in range(1, count + 1):
        extra = dict(env or {})
        extra.update((per_node or {}).get(i, {}))
        nodes.append(NsNode(lab, i, JOYRIDE, tmp_path, env_extra=extra,
                            hosts={"local": "%s %s\n" % (lab.ip(i), NAME % i)}, san_env=SAN_ENV))
    return nodes


def wait_started(node):
    poll(lambda: "started:" in node.log() or not node.alive(), 15, what="node start")
    assert node.alive(), "node exited:\n" + node.log()[-2000:]


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    """Three nodes that find each other by broadcast only (no seeds). Periodic push/pull is
    pushed out of the tests' reach, so every repair seen here is the targeted one; discovery
    runs at its default interval (5 s), so a heal measured here is not a discovery heartbeat's."""
    tmp = tmp_path_factory.mktemp("trio")
    lab = Lab(3)
    nodes = make_nodes(lab, tmp, 3, env={"SWIM_PUSHPULL_INTERVAL": "600s",
                                         "DISCOVERY_INTERVAL": "5s"})
    try:
        for n in nodes:
            n.start()
        t_last = nodes[-1].started_at
        wait_started(nodes[0])
        took = poll(lambda: all_answer(nodes, nodes), 10, what="every node answering every name")
        since_last = time.monotonic() - t_last
        measured("3 nodes, no seeds: every node answers every name after the last start (s)",
                 "%.2f" % since_last)
        assert since_last < 3.0, "cluster formed %.2fs after the last start" % since_last
        del took
        yield lab, nodes
    finally:
        finish(lab, nodes)


def test_discovery_logs_and_members(trio):
    lab, nodes = trio

    def logged():
        for n in nodes:
            log = n.log()
            want = ["DNS sync manager started successfully", "Received DNS sync with"]
            for o in nodes:
                if o is not n:
                    want.append("Discovered DNS node: %s at %s" % (o.node_id, o.addr))
                    want.append("SWIM member joined: %s" % o.node_id)
            missing = [w for w in want if w not in log]
            if missing:
                return False
        return True
    # discovery runs at its default interval (5 s) here: a node started after a peer's announce
    # hears of it at that peer's next heartbeat
    poll(logged, 12, interval=0.1, what="the documented log lines")


def wait_all(nodes, name, want, timeout=5.0):
    """Polls every node until each answers `want` for name; returns (seconds until the first node
    answered it, seconds until the last one did)."""
    t0 = time.monotonic()
    seen = {}
    while time.monotonic() - t0 < timeout:
        for n in nodes:
            if n.i not in seen and answers(n, name) == want:
                seen[n.i] = time.monotonic() - t0
        if len(seen) == len(nodes):
            return min(seen.values()), max(seen.values())
        time.sleep(0.005)
    raise AssertionError("%s: only nodes %s answer %r after %.1fs" % (name, sorted(seen), want,
                                                                      timeout))


def test_change_propagates(trio):
    lab, nodes = trio
    n1 = nodes[0]
    total, spread = [], []
    # add, change and remove names on node1; every node follows
    for k in range(8):
        name = "p%d.cluster.test" % k
        n1.write_hosts("extra", hosts_line(n1) + "%s %s\n" % (lab.ip(100 + k), name))
        first, last = wait_all(nodes, name, [lab.ip(100 + k)])
        total.append(last)
        spread.append(last - first)
    n1.write_hosts("extra", "%s p7.cluster.test\n" % lab.ip(200))
    first, last = wait_all(nodes, "p7.cluster.test", [lab.ip(200)])
    total.append(last)
    spread.append(last - first)
    n1.remove_hosts("extra")
    first, last = wait_all(nodes, "p7.cluster.test", [])
    total.append(last)
    spread.append(last - first)
    measured("change propagation, hosts file write -> all 3 nodes answer, n=%d" % len(total),
             "median %.3f s, max %.3f s" % (statistics.median(total), max(total)))
    measured("change propagation, origin answers -> all 3 nodes answer (the cluster's part)",
             "median %.3f s, max %.3f s" % (statistics.median(spread), max(spread)))
    assert max(total) < 2.0


def test_cluster_api_shape_and_values(trio):
    lab, nodes = trio
    n1 = nodes[0]
    status, body = n1.json("/dns/cluster")
    assert status == 200
    assert body["status"] == "success"
    c = body["cluster"]
    for key in ("node_id", "running", "discovered_nodes", "statistics", "nodes", "swim_cluster"):
        assert key in c
    assert c["node_id"] == "node1" and c["running"] is True
    assert c["discovered_nodes"] == 2
    st = c["statistics"]
    for key in ("nodes_discovered", "nodes_active", "dns_records_synced", "sync_operations",
                "last_sync"):
        assert key in st
    assert st["nodes_discovered"] == 2 and st["nodes_active"] == 3
    assert st["dns_records_synced"] >= 2 and st["sync_operations"] >= 2
    assert isinstance(st["last_sync"], str) and st["last_sync"].endswith("Z")
    assert sorted(n["node_id"] for n in c["nodes"]) == ["node2", "node3"]
    for n in c["nodes"]:
        assert n["ip_address"] == lab.ip(int(n["node_id"][-1]))
        assert n["last_seen"].endswith("Z")
        assert n["metadata"] == {"role": "dns-server", "swim_port": 8890}
    sw = c["swim_cluster"]
    assert sw["alive_members"] == 3
    assert sw["member_counts"] == {"alive": 3, "suspect": 0, "failed": 0, "left": 0}
    v1 = sw["dns_version"]
    assert isinstance(v1, int)
    states = {m["node_id"]: m for m in sw["members"]}
    assert set(states) == {"node1", "node2", "node3"}
    assert all(m["state"] == "alive" for m in states.values())
    # dns_version follows the served record set
    nodes[1].write_hosts("v", "%s version-bump.cluster.test\n" % lab.ip(2))
    poll(lambda: answers(n1, "version-bump.cluster.test") == [lab.ip(2)], 5, what="bump")
    assert n1.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["dns_version"] != v1
    nodes[1].remove_hosts("v")
    poll(lambda: answers(n1, "version-bump.cluster.test") == [], 5, what="bump removed")

    status, body = n1.json("/dns/sync", method="POST", data=b"")
    assert status == 200
    assert body == {"status": "success", "message": "DNS synchronization initiated"}
    status, metrics = n1.http("/metrics")
    assert status == 200
    assert b'joyride_cluster_members{state="alive"} 3' in metrics
    # every record with its owner node
    status, body = n1.json("/dns/records")
    assert status == 200
    owners = {r["hostname"]: (r["owner"], r["ip_address"]) for r in body["records"]}
    for k in nodes:
        assert owners[NAME % k.i] == (k.node_id, k.addr)
    status, body = n1.json("/status")
    assert body["dns_sync_cluster"]["enabled"] is True
    assert body["dns_sync_cluster"]["running"] is True


def block_gossip(lab, i, discovery=False):
    """Node i stops receiving SWIM UDP (gossip, direct deltas, relays), with discovery=True its
    discovery heartbeats too (each one can start a state exchange with a peer); TCP (probe
    fallback, repairs, push/pull) still works, so nobody is declared dead."""
    ports = "{ 8889, 8890 }" if discovery else "8890"
    rules = """table inet jrgossip {
  chain in { type filter hook input priority 0; policy accept;
             iifname "eth0" udp dport %s drop; }
}
""" % ports
    lab.run(i, ["nft", "-f", "-"], input=rules, text=True, check=True, capture_output=True)


def unblock_gossip(lab, i):
    lab.run(i, ["nft", "delete", "table", "inet", "jrgossip"], capture_output=True)


def test_sync_now_repairs_dropped_gossip(trio):
    lab, nodes = trio
    n1, n3 = nodes[0], nodes[2]
    # node3 stops receiving gossip (the change, its relays, the beacon); probes fall back to TCP
    block_gossip(lab, 3)
    try:
        n1.write_hosts("gossip", "%s lost-gossip.cluster.test\n" % lab.ip(77))
        poll(lambda: answers(nodes[1], "lost-gossip.cluster.test") == [lab.ip(77)], 5,
             what="node2 got the change")
        # node1's retransmissions of that change and of its version beacon (1 s after it) are over
        time.sleep(3.0)
        assert answers(n3, "lost-gossip.cluster.test") == []
    finally:
        unblock_gossip(lab, 3)
    status, body = n3.json("/dns/sync", method="POST", data=b"")
    assert status == 200 and body["status"] == "success"
    took = poll(lambda: answers(n3, "lost-gossip.cluster.test") == [lab.ip(77)], 5,
                what="node3 repaired by POST /dns/sync")
    measured("POST /dns/sync repaired a node that missed a change in (s)", "%.3f" % took)
    n1.remove_hosts("gossip")
    poll(lambda: none_answer(nodes, "lost-gossip.cluster.test"), 5, what="cleanup")


def test_missed_change_repaired_at_the_next_one(trio):
    """A change whose gossip never arrived is repaired as soon as the next change reveals the
    gap: the bar is within 1 s, without waiting for push/pull anti-entropy (30 s)."""
    lab, nodes = trio
    n1, n3 = nodes[0], nodes[2]
    block_gossip(lab, 3, discovery=True)
    try:
        n1.write_hosts("gap-a", "%s gap-a.cluster.test\n" % lab.ip(81))
        poll(lambda: answers(nodes[1], "gap-a.cluster.test") == [lab.ip(81)], 5, what="node2")
        time.sleep(3.0)  # node1's retransmissions of that change and its beacon are over
        assert answers(n3, "gap-a.cluster.test") == []
    finally:
        unblock_gossip(lab, 3)
    t0 = time.monotonic()
    n1.write_hosts("gap-b", "%s gap-b.cluster.test\n" % lab.ip(82))
    poll(lambda: answers(n3, "gap-a.cluster.test") == [lab.ip(81)]
         and answers(n3, "gap-b.cluster.test") == [lab.ip(82)], 5, what="gap repaired")
    took = time.monotonic() - t0
    measured("missed change repaired after the next change revealed the gap (s, from the write)",
             "%.3f" % took)
    assert took < 1.0
    n1.remove_hosts("gap-a")
    n1.remove_hosts("gap-b")
    poll(lambda: none_answer(nodes, "gap-b.cluster.test"), 5, what="cleanup")


def test_lost_last_change_repaired_by_version_beacon(trio):
    """The last change of a burst is lost and nothing follows it: the owner's version beacon
    (1 s after its last change) shows the peer it is behind, and it repairs at once."""
    lab, nodes = trio
    n1, n3 = nodes[0], nodes[2]
    beacons_before = n3.log().count("node1 is at seq")
    block_gossip(lab, 3)
    t0 = time.monotonic()
    try:
        n1.write_hosts("beacon", "%s beacon.cluster.test\n" % lab.ip(91))
        poll(lambda: answers(nodes[1], "beacon.cluster.test") == [lab.ip(91)], 5, what="node2")
        # past the change's direct sends and the gossip retransmissions and relays (2 rounds
        # of 200 ms here), before the beacon (1 s after the change)
        time.sleep(max(0.0, 0.8 - (time.monotonic() - t0)))
        assert answers(n3, "beacon.cluster.test") == []
    finally:
        unblock_gossip(lab, 3)
    poll(lambda: answers(n3, "beacon.cluster.test") == [lab.ip(91)], 5, what="beacon repair")
    took = time.monotonic() - t0
    how = "version beacon" if n3.log().count("node1 is at seq") > beacons_before else "gossip"
    measured("lost last change, nothing after it: repaired (s, from the write)",
             "%.2f via %s" % (took, how))
    assert took < 2.0
    n1.remove_hosts("beacon")
    poll(lambda: none_answer(nodes, "beacon.cluster.test"), 5, what="cleanup")


def test_sigkill_withdraws_and_restart_restores(trio):
    lab, nodes = trio
    n1, n2, n3 = nodes
    n3.proc.send_signal(signal.SIGKILL)
    n3.proc.wait()
    took = poll(lambda: none_answer([n1, n2], NAME % 3), 30, interval=0.05,
                what="node3's names withdrawn")
    measured("SIGKILL -> names withdrawn on the others (s)", "%.2f" % took)
    # The host is up, so its kernel answers probes with ICMP port unreachable: positive evidence
    # that needs no suspicion timeout (memberlist's timing alone takes 5 s here).
    assert took < 2.0, "SIGKILL took %.2f s to withdraw" % took
    # the members' view says failed
    poll(lambda: n1.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["member_counts"]
         ["failed"] == 1, 2, what="node3 failed in /dns/cluster")
    assert all_answer([n1, n2], [n1, n2])
    n3._log.close()
    n3.start()
    took = poll(lambda: all_answer(nodes, nodes), 10, what="node3 back everywhere")
    measured("restart after SIGKILL -> every node answers every name (s)", "%.2f" % took)


def test_partition_heals(trio):
    lab, nodes = trio
    n1, n2, n3 = nodes
    lab.cut(3)
    t_cut = time.monotonic()
    try:
        poll(lambda: none_answer([n1, n2], NAME % 3), 30, interval=0.1,
             what="cut node withdrawn")
        # both sides change something while apart
        n1.write_hosts("split", "%s during-split-1.cluster.test\n" % lab.ip(51))
        n3.write_hosts("split", "%s during-split-3.cluster.test\n" % lab.ip(53))
        poll(lambda: answers(n2, "during-split-1.cluster.test") == [lab.ip(51)], 5, what="n2")
        time.sleep(max(0.0, 20.0 - (time.monotonic() - t_cut)))  # a 20 s cut
    finally:
        lab.heal(3)
    t0 = time.monotonic()

    def converged():
        return (all_answer(nodes, nodes)
                and all(answers(n, "during-split-1.cluster.test") == [lab.ip(51)] for n in nodes)
                and all(answers(n, "during-split-3.cluster.test") == [lab.ip(53)] for n in nodes))
    poll(converged, 20, interval=0.05, what="convergence after heal")
    took = time.monotonic() - t0
    measured("20 s partition healed -> every node answers every name (s)", "%.2f" % took)
    # heal pings to dead members find the other side within a second (discovery alone: 0-5 s)
    assert took < 2.0, "heal took %.2f s" % took
    n1.remove_hosts("split")
    n3.remove_hosts("split")


def test_graceful_leave_drops_at_once(trio):
    lab, nodes = trio
    n1, n2, n3 = nodes
    assert all_answer(nodes, nodes)
    t0 = time.monotonic()
    n2.proc.send_signal(signal.SIGTERM)
    poll(lambda: none_answer([n1, n3], NAME % 2), 5, what="node2's names dropped")
    took = time.monotonic() - t0
    measured("SIGTERM (goodbye + leave) -> names dropped on the others (s)", "%.2f" % took)
    assert n2.stop() == 0
    assert took < 2.0
    poll(lambda: n1.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["member_counts"]
         == {"alive": 2, "suspect": 0, "failed": 0, "left": 1}, 2, what="node2 left")


def test_seeds_without_discovery(tmp_path):
    lab = Lab(3)
    seeds = "%s:8890" % lab.ip(1)
    nodes = make_nodes(lab, tmp_path, 3, env={"DISCOVERY_PORT": "0"},
                       per_node={2: {"CLUSTER_SEEDS": seeds}, 3: {"CLUSTER_SEEDS": seeds}})
    try:
        # the seed starts last: the others retry until it answers
        nodes[1].start()
        nodes[2].start()
        wait_started(nodes[1])
        time.sleep(1.2)
        nodes[0].start()
        took = poll(lambda: all_answer(nodes, nodes), 15, what="seeded cluster")
        measured("CLUSTER_SEEDS, discovery off, seed started 1.2 s late: converged after (s)",
                 "%.2f" % took)
        for n in nodes:
            assert "Discovered DNS node" not in n.log()
        c = nodes[0].json("/dns/cluster")[1]["cluster"]
        assert c["discovered_nodes"] == 0 and c["swim_cluster"]["alive_members"] == 3
    finally:
        finish(lab, nodes)


class Capture(threading.Thread):
    """Raw frames on one bridge port (root namespace), keeping the payloads of SWIM traffic."""

    def __init__(self, ifname, port=8890):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.bind((ifname, 0))
        self.sock.settimeout(0.2)
        self.port = port
        self.payloads = []
        self.stop = False

    def run(self):
        while not self.stop:
            try:
                frame = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            ihl = (frame[14] & 0x0F) * 4
            proto = frame[23]
            l4 = frame[14 + ihl:]
            if proto == 17 and len(l4) >= 8:
                sport, dport = struct.unpack("!HH", l4[:4])
                data = l4[8:]
            elif proto == 6 and len(l4) >= 20:
                sport, dport = struct.unpack("!HH", l4[:4])
                data = l4[(l4[12] >> 4) * 4:]
            else:
                continue
            if self.port in (sport, dport) and data:
                self.payloads.append(data)

    def close(self):
        self.stop = True
        self.join(2)
        self.sock.close()


def test_secret_keeps_outsiders_out_and_names_hidden(tmp_path):
    key = base64.b64encode(os.urandom(16)).decode()
    other = base64.b64encode(os.urandom(32)).decode()
    lab = Lab(4)
    nodes = make_nodes(lab, tmp_path, 4, env={"CLUSTER_SECRET": key},
                       per_node={4: {"CLUSTER_SECRET": other}})
    cap = Capture(lab.veth(1))  # node1's port: it originates the secret name below
    cap.start()
    try:
        for n in nodes:
            n.start()
        wait_started(nodes[0])
        members = nodes[:3]
        took = poll(lambda: all_answer(members, members), 10, what="encrypted cluster")
        measured("CLUSTER_SECRET cluster of 3 formed after (s)", "%.2f" % took)
        members[0].write_hosts("secret", "%s very-secret-name.cluster.test\n" % lab.ip(99))
        poll(lambda: all(answers(n, "very-secret-name.cluster.test") == [lab.ip(99)]
                         for n in members), 5, what="secret name everywhere")
        # several discovery heartbeats later the outsider is still out
        time.sleep(3.0)
        assert answers(nodes[3], NAME % 1) == []
        assert all(answers(n, NAME % 4) == [] for n in members)
        c = members[0].json("/dns/cluster")[1]["cluster"]
        assert sorted(m["node_id"] for m in c["swim_cluster"]["members"]) == [
            "node1", "node2", "node3"]
        assert c["swim_cluster"]["encrypted"] is True
    finally:
        cap.close()
        finish(lab, nodes)
    assert len(cap.payloads) > 10, "captured no SWIM traffic"
    blob = b"".join(cap.payloads)
    for secret in (b"very-secret-name", b"cluster", b"cluster.test", b"n1\x07cluster"):
        assert secret not in blob, "%r seen in clear on the bridge" % secret


def test_packet_loss_no_false_deaths_and_convergence(tmp_path):
    """10 % loss on every link (each node drops 10 % of what it sends to the others) for a
    minute."""
    lab = Lab(3)
    nodes = make_nodes(lab, tmp_path, 3)
    try:
        for n in nodes:
            n.start()
        wait_started(nodes[0])
        poll(lambda: all_answer(nodes, nodes), 10, what="cluster before loss")
        for i in (1, 2, 3):
            lab.loss(i, 10)
        t_end = time.monotonic() + 60.0
        rounds, worst = 0, 0.0
        while time.monotonic() < t_end:
            n = nodes[rounds % 3]
            name = "loss%d.cluster.test" % rounds
            n.write_hosts("loss", "%s %s\n" % (lab.ip(150 + rounds % 50), name))
            # a query may itself be lost: answers() treats a timeout as "not yet"
            _, last = wait_all(nodes, name, [lab.ip(150 + rounds % 50)], timeout=10.0)
            worst = max(worst, last)
            rounds += 1
            time.sleep(max(0.0, min(2.0, t_end - time.monotonic())))
        for i in (1, 2, 3):
            lab.loss(i, None)
        measured("10%% loss on every link for 60 s: %d changes, slowest to reach all (s)" % rounds,
                 "%.2f" % worst)
        for n in nodes:
            log = n.log()
            assert "SWIM member failed" not in log, "false death under loss:\n" + log[-3000:]
            assert n.alive()
        assert all_answer(nodes, nodes)
    finally:
        finish(lab, nodes)


def test_keep_records_of_failed_node(tmp_path):
    """RECORDS_ON_NODE_FAILURE=keep: a dead node's names stay served; a left node's do not."""
    lab = Lab(3)
    nodes = make_nodes(lab, tmp_path, 3, env={"RECORDS_ON_NODE_FAILURE": "keep"})
    try:
        for n in nodes:
            n.start()
        wait_started(nodes[0])
        poll(lambda: all_answer(nodes, nodes), 10, what="cluster")
        n1, n2, n3 = nodes
        n3.proc.send_signal(signal.SIGKILL)
        n3.proc.wait()
        poll(lambda: n1.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["member_counts"]
             ["failed"] == 1, 30, interval=0.1, what="node3 declared dead")
        assert "SWIM member failed: node3 (keeping its records)" in n1.log()
        assert all(answers(n, NAME % 3) == [n3.addr] for n in (n1, n2))
        n2.stop()
        poll(lambda: answers(n1, NAME % 2) == [], 5, what="left node's names dropped")
        assert answers(n1, NAME % 3) == [n3.addr]
    finally:
        finish(lab, nodes)
