"""Chaos on a five-node cluster (network namespaces, netns.py): kill/restart loops, 10 s and 30 s
partitions with changes on both sides, 30 % loss, SIGSTOP, and every node restarted at once.

Each node owns a hosts file `chaos` whose names the test tracks in a model (what each owner
currently publishes, and every name it has removed). After each scenario every node must answer
every current name of every owner with its address (nothing lost) and no removed name (nothing
stale). Figures are printed as "MEASURED ..." lines (run with -s to see them)."""

import os
import random
import shutil
import signal
import time

import pytest

from conftest import JOYRIDE, SAN_ENV
from netns import Lab
from test_cluster import answers, finish, make_nodes, measured, poll, wait_started

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not JOYRIDE.exists(),
    reason="needs root, iproute2 and a built joyride")

N = 5
CONVERGE_S = 30.0  # after the fault ends; the slowest path is a push/pull round (SWIM_PUSHPULL)


class Model:
    """What each node publishes in its `chaos` file, and every name removed since."""

    def __init__(self, lab, nodes):
        self.lab, self.nodes = lab, nodes
        self.current = {n.i: {} for n in nodes}  # owner -> {name: addr}
        self.removed = set()
        self.serial = 0

    def change(self, node):
        """Adds a name to node's file and, once it holds three, removes its oldest."""
        self.serial += 1
        names = self.current[node.i]
        names["c%d-%d.chaos.test" % (node.i, self.serial)] = self.lab.ip(100 + self.serial % 100)
        if len(names) > 3:
            oldest = next(iter(names))
            del names[oldest]
            self.removed.add(oldest)
        node.write_hosts("chaos", "".join("%s %s\n" % (a, n) for n, a in names.items()))

    def wrong(self, observers=None):
        """The first (observer, name, answer, want) that disagrees with the model, or None."""
        for obs in observers or self.nodes:
            for owner, names in self.current.items():
                for name, addr in names.items():
                    got = answers(obs, name)
                    if got != [addr]:
                        return ("node%d" % obs.i, name, got, [addr])
            for name in sorted(self.removed):
                got = answers(obs, name)
                if got != []:
                    return ("node%d" % obs.i, name, got, [])
        return None

    def converge(self, what, timeout=CONVERGE_S, observers=None):
        """Waits until every observer agrees with the model; returns the seconds it took."""
        last = [None]

        def ok():
            last[0] = self.wrong(observers)
            return last[0] is None
        try:
            took = poll(ok, timeout, interval=0.1, what=what)
        except AssertionError:
            raise AssertionError("%s: not converged after %.0f s: %s answers %s for %s, want %s" %
                                 ((what, timeout, last[0][0], last[0][2], last[0][1], last[0][3])
                                  if last[0] else (what, timeout, "?", "?", "?", "?"))) from None
        measured(what + " -> every node agrees (s)", "%.2f" % took)
        return took


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("chaos")
    lab = Lab(N)
    nodes = make_nodes(lab, tmp, N, env={"SWIM_PUSHPULL_INTERVAL": "10s"})
    try:
        for n in nodes:
            n.start()
        wait_started(nodes[0])
        model = Model(lab, nodes)
        for n in nodes:
            model.change(n)
        model.converge("start")
        yield lab, nodes, model
    finally:
        finish(lab, nodes)


def restart(node):
    node._log.close()
    node.start()


def test_kill_restart_loop(cluster):
    lab, nodes, model = cluster
    rng = random.Random(7)
    for _ in range(3):
        victim = rng.choice(nodes)
        others = [n for n in nodes if n is not victim]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        model.change(rng.choice(others))  # a change it misses while it is down
        # its own names are still in the model: they must come back with it
        restart(victim)
        model.converge("SIGKILL node%d, change elsewhere, restart" % victim.i)
        model.change(victim)
        model.converge("change on the restarted node%d" % victim.i)


@pytest.mark.parametrize("seconds", [10, 30])
def test_partition_with_changes_on_both_sides(cluster, seconds):
    lab, nodes, model = cluster
    minority = nodes[3:]  # node4 and node5, each cut off from everyone
    majority = nodes[:3]
    t_end = time.monotonic() + seconds
    for n in minority:
        lab.cut(n.i)
    try:
        while time.monotonic() < t_end:
            model.change(majority[int(t_end - time.monotonic()) % 3])
            for n in minority:
                model.change(n)
            time.sleep(min(3.0, max(0.0, t_end - time.monotonic())))
    finally:
        for n in minority:
            lab.heal(n.i)
    model.converge("%d s partition of two nodes, changes on both sides, healed" % seconds)


def test_heavy_loss(cluster):
    lab, nodes, model = cluster
    for n in nodes:
        lab.loss(n.i, 30)
    try:
        t_end = time.monotonic() + 20.0
        while time.monotonic() < t_end:
            for n in nodes:
                model.change(n)
            time.sleep(2.0)
    finally:
        for n in nodes:
            lab.loss(n.i, None)
    model.converge("20 s of 30 % loss on every node with changes everywhere, loss removed")
    assert all(n.alive() for n in nodes)


def test_sigstop_then_continue(cluster):
    lab, nodes, model = cluster
    frozen = nodes[1]
    frozen.proc.send_signal(signal.SIGSTOP)
    try:
        model.change(nodes[0])
        model.change(nodes[2])
        others = [n for n in nodes if n is not frozen]
        # long enough to be declared dead: its names are withdrawn elsewhere
        poll(lambda: all(answers(o, n) == [] for o in others
                         for n in model.current[frozen.i]), 30, interval=0.2,
             what="the stopped node's names withdrawn")
    finally:
        frozen.proc.send_signal(signal.SIGCONT)
    model.converge("SIGSTOP until declared dead, changes elsewhere, SIGCONT")
    model.change(frozen)
    model.converge("change on the continued node")


def test_everyone_restarts_at_once(cluster):
    lab, nodes, model = cluster
    for n in nodes:
        n.proc.send_signal(signal.SIGTERM)
    for n in nodes:
        n.proc.wait(timeout=15)
    for n in nodes:
        restart(n)
    wait_started(nodes[0])
    model.converge("every node stopped and started at once")
    for n in nodes:
        model.change(n)
    model.converge("a change on every node after the restart")
