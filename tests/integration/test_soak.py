"""Long-uptime memory: a node's own tombstones and its gossip queue stay bounded under hosts-file
churn, whether it has no peers (one Docker host, the most common deployment), or a live member
that never reports what it holds (a serf agent in the same cluster). bench/soak.sh runs the same
churn for minutes and tables RSS."""

import time

from churn import Churner, sample
from conftest import free_port, unique_loopback, wait_until
from test_swim_serf import SERF, Serf

NAMES = 2000
PERIOD = 0.1
QUEUE_MAX = 4096  # swim_config.user_queue_max's default


def sync_node(joyride):
    addr = unique_loopback()
    return joyride(hosts={"base": "10.9.9.9 base.soak.test\n"},
                   env={"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
                        "SWIM_PORT": str(free_port(addr)), "NODE_ID": "soak-node",
                        "LOG_LEVEL": "INFO"})


def churn_and_check(node, seconds, settle, queue_settled=16):
    """Churns for `seconds`; returns the highest tombstone count seen. Then removes the file and
    waits up to `settle` s for tombstones to be collected and the gossip queue to drain."""
    c = Churner(node.env["HOSTS_DIRECTORY"], NAMES, PERIOD)
    c.start()
    peak_t = peak_q = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            s = sample(node)
            peak_t = max(peak_t, s["tombstones"])
            peak_q = max(peak_q, s["queued"])
            time.sleep(0.25)
    finally:
        c.halt()
    c.remove()
    assert c.rounds >= seconds / PERIOD / 2, "churn too slow (%d rounds)" % c.rounds

    last = {}

    def settled():
        last.update(sample(node))
        return last["tombstones"] == 0 and last["queued"] < queue_settled and last["entries"] == 1
    try:
        wait_until(settled, timeout=settle, interval=0.2, what="tombstones collected")
    except AssertionError:
        raise AssertionError("not settled after %.0f s: %s" % (settle, last)) from None
    print("\nMEASURED %d rounds of %d names: peak tombstones %d, peak gossip queue %d" % (
        c.rounds, NAMES, peak_t, peak_q))
    return c.rounds, peak_t, peak_q


def test_no_peers_tombstones_and_queue_bounded(joyride):
    node = sync_node(joyride)
    wait_until(lambda: node.addresses("base.soak.test.") == ["10.9.9.9"], timeout=5)
    rounds, peak_t, peak_q = churn_and_check(node, 6.0, settle=5.0)
    # Without collection every round's names stay as tombstones (rounds x NAMES).
    assert peak_t <= 6 * NAMES, "tombstones reached %d in %d rounds" % (peak_t, rounds)
    assert peak_q < 64, "gossip queue reached %d with nobody to gossip to" % peak_q
    assert node.addresses("base.soak.test.") == ["10.9.9.9"]


def test_silent_member_does_not_pin_tombstones(joyride, tmp_path):
    assert SERF, "serf is not installed"
    node = sync_node(joyride)
    serf = Serf(tmp_path, "silent-serf", node.addr,
                join="%s:%s" % (node.addr, node.env["SWIM_PORT"]))
    try:
        wait_until(lambda: serf.members().get("silent-serf") == "alive" and len(serf.members()) == 2,
                   timeout=15, what="serf joined")
        # The queue drains only by gossip to the one member, a packet per gossip interval: it
        # must stay under its cap (4096 user broadcasts, plus a few membership ones), not reach zero here.
        _, _, peak_q = churn_and_check(node, 4.0, settle=25.0, queue_settled=QUEUE_MAX)
        assert peak_q <= QUEUE_MAX + 16, "gossip queue reached %d (cap %d)" % (peak_q, QUEUE_MAX)
        assert serf.members().get("soak-node") == "alive", serf.members()
    finally:
        serf.stop()
