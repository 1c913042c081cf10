"""Docker source, health checks and Traefik router rules, against a real private dockerd (the
fixture of test_docker.py, started once for this module).

Health: a container with a HEALTHCHECK (a busybox shell test on a file in a bind-mounted host
directory the test creates and removes, probed every 200 ms) is answered only while healthy, and
withdrawn when unhealthy; the time from the daemon's health_status event to the first DNS answer
that reflects it is printed, on the node and on a peer in a network namespace. A container without
a health check is answered while running; the health of containers already running when joyride
starts comes from the list and inspect.

Traefik: with DOCKER_TRAEFIK=true the Host(...) names of traefik.http.routers.<r>.rule labels and
the HostSNI(...) names of traefik.tcp.routers.<r>.rule labels are answered; traefik.enable=false,
regexps and negated hosts are not; without DOCKER_TRAEFIK nothing is."""

import http.client
import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import JOYRIDE, SAN_ENV, wait_until
from netns import Lab, NsNode
from test_docker import (LABEL, _UnixHTTPConnection, dk, dockerd, docker_records,  # noqa: F401
                         docker_status, start_joyride, uniq)

INTERVAL_NS = 200 * 1000 * 1000


class HealthEvents:
    """Follows the daemon's container events on a thread, keeping (action, id, time in s) of
    every start and health_status event."""

    def __init__(self, api):
        self.conn = _UnixHTTPConnection(api.sock, None)
        q = urllib.parse.urlencode({"filters": json.dumps({"type": ["container"]})})
        self.conn.request("GET", "/events?" + q)
        self.resp = self.conn.getresponse()  # headers in: subscribed
        self.events = []
        self.lock = threading.Lock()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        try:
            for line in self.resp:
                if not line.strip():
                    continue
                ev = json.loads(line)
                with self.lock:
                    self.events.append((ev.get("Action"), ev["Actor"]["ID"], ev["timeNano"] / 1e9))
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def count(self, cid, action):
        with self.lock:
            return sum(1 for a, c, _ in self.events if a == action and c == cid)

    def nth(self, cid, action, n):
        """Time of the n-th (0-based) such event, waiting for it."""
        def get():
            with self.lock:
                ts = [t for a, c, t in self.events if a == action and c == cid]
            return ts[n] if len(ts) > n else None
        return wait_until(get, timeout=10, what="%s event #%d" % (action, n))

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.th.join(5)
        self.conn.close()


@pytest.fixture
def flagdir():
    d = Path(tempfile.mkdtemp(prefix="jrh-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def healthcheck(interval_ns=INTERVAL_NS):
    return {"Test": ["CMD-SHELL", "[ -e /flag/ok ]"], "Interval": interval_ns,
            "Timeout": 2 * 1000 * 1000 * 1000, "Retries": 1}


def health_of(dk, cid):
    h = dk.api.inspect(cid)["State"].get("Health") or {}
    return h.get("Status")


def poll_answer(node, name, want, timeout=10.0):
    """Polls DNS as fast as it answers until name gives want; the wall-clock time of the first
    such answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if node.addresses(name) == want:
                return time.time()
        except Exception:  # noqa: BLE001 - a lost UDP reply: ask again
            pass
    raise AssertionError("%s did not answer %s within %.1fs" % (name, want, timeout))


def test_healthcheck_answered_only_while_healthy(joyride, dk, flagdir):
    node = start_joyride(joyride, dk)
    rec = HealthEvents(dk.api)
    name = uniq("hc")
    try:
        cid = dk.api.create({LABEL: name}, name="hcweb", healthcheck=healthcheck(),
                            binds=["%s:/flag:ro" % flagdir])
        dk.api.start(cid)
        # starting, then unhealthy (the file is missing): never answered meanwhile
        def unhealthy_and_unanswered():
            assert node.addresses(name) == [], "answered while %s" % health_of(dk, cid)
            return health_of(dk, cid) == "unhealthy"
        wait_until(unhealthy_and_unanswered, timeout=10, what="unhealthy, never answered")
        assert docker_records(node) == set()
        up, down = [], []
        for i in range(3):
            (flagdir / "ok").touch()
            t = poll_answer(node, name, [node.addr])
            up.append((t - rec.nth(cid, "health_status: healthy", i)) * 1000)
            (flagdir / "ok").unlink()
            t = poll_answer(node, name, [])
            down.append((t - rec.nth(cid, "health_status: unhealthy", i + 1)) * 1000)
    finally:
        rec.close()
    print("\nhealth_status event -> answer ms: healthy %s (median %.1f), unhealthy %s "
          "(median %.1f)" % ([round(x, 1) for x in up], statistics.median(up),
                            [round(x, 1) for x in down], statistics.median(down)))
    assert max(up) < 1000 and max(down) < 1000, (up, down)
    log = node.log()
    assert "container hcweb (%s) is unhealthy: withdrawing %s" % (cid[:12], name) in log, log
    assert "container hcweb (%s) is healthy: serving %s" % (cid[:12], name) in log
    # one line per transition: three withdrawals
    assert log.count("container hcweb (%s) is unhealthy: withdrawing" % cid[:12]) == 3
    st = docker_status(node)
    assert st["events"]["health_status: healthy"] == 3
    assert st["events"]["health_status: unhealthy"] == 4


def test_no_healthcheck_answered_while_running(joyride, dk):
    node = start_joyride(joyride, dk)
    name = uniq("nohc")
    cid = dk.api.run({LABEL: name})
    wait_until(lambda: node.addresses(name) == [node.addr], timeout=5, what="answered")
    assert dk.api.inspect(cid)["State"].get("Health") is None
    dk.api.stop(cid)
    wait_until(lambda: node.addresses(name) == [], timeout=5, what="withdrawn")
    dk.api.start(cid)  # known to have no check now: published from the event alone
    wait_until(lambda: node.addresses(name) == [node.addr], timeout=5, what="answered again")


def test_health_of_containers_running_before_start(joyride, dk, flagdir):
    """On (re)connect the list says which containers have a check, inspect gives their state:
    healthy answered; unhealthy and starting (a check every hour) not; no check answered."""
    (flagdir / "ok").touch()
    healthy, sick, starting, plain = (uniq(p) for p in ("pre-ok", "pre-sick", "pre-start",
                                                        "pre-plain"))
    ok_dir = flagdir / "good"
    ok_dir.mkdir()
    (ok_dir / "ok").touch()
    bad_dir = flagdir / "bad"
    bad_dir.mkdir()
    c_ok = dk.api.run({LABEL: healthy}, healthcheck=healthcheck(), binds=["%s:/flag" % ok_dir])
    c_bad = dk.api.run({LABEL: sick}, healthcheck=healthcheck(), binds=["%s:/flag" % bad_dir])
    dk.api.run({LABEL: starting}, healthcheck=healthcheck(3600 * 10**9),
               binds=["%s:/flag" % ok_dir])
    dk.api.run({LABEL: plain})
    wait_until(lambda: health_of(dk, c_ok) == "healthy" and health_of(dk, c_bad) == "unhealthy",
               timeout=10, what="health settled")
    node = start_joyride(joyride, dk)
    assert node.addresses(healthy) == [node.addr]
    assert node.addresses(plain) == [node.addr]
    assert node.addresses(sick) == []
    assert node.addresses(starting) == []
    assert docker_records(node) == {(healthy, node.addr), (plain, node.addr)}
    # the unhealthy one recovers: answered from its event
    (bad_dir / "ok").touch()
    wait_until(lambda: node.addresses(sick) == [node.addr], timeout=10, what="recovered")


TRAEFIK_LABELS = {
    "traefik.enable": "true",
    "traefik.http.routers.web.rule": "Host(`{a}`) || (Host(`{b}`) && PathPrefix(`/api`))",
    "traefik.http.routers.web.entrypoints": "websecure",
    "traefik.http.routers.v3.rule": 'Host("{c}") && !Host(`{neg}`)',
    "traefik.http.routers.rx.rule": "HostRegexp(`^.+\\.{wre}$`) || HostRegexp(`^api-.+\\.{wre}$`)",
    "traefik.tcp.routers.db.rule": "HostSNI(`{d}`) || HostSNI(`*`)",
    "traefik.http.services.web.loadbalancer.server.port": "80",
}


def traefik_labels(**names):
    """The labels with the names in; w (a domain) is in HostRegexp as an escaped regexp."""
    names = dict(names, wre=names["w"].replace(".", "\\."))
    return {k: v.format(**names) for k, v in TRAEFIK_LABELS.items()}


def test_traefik_rules_answered(joyride, dk):
    node = start_joyride(joyride, dk, DOCKER_TRAEFIK="true", LOG_LEVEL="DEBUG")
    n = {k: uniq("tr-" + k) for k in ("a", "b", "c", "d", "neg", "w")}
    cid = dk.api.run(traefik_labels(**n), name="traefikweb")
    want = {(n[k], node.addr) for k in "abcd"} | {("*." + n["w"], node.addr)}
    wait_until(lambda: docker_records(node) == want, timeout=5, what="router names")
    for k in "abcd":
        assert node.addresses(n[k]) == [node.addr]
    assert node.addresses(n["neg"]) == []
    # HostRegexp mapped to a wildcard: any name below the domain
    assert node.addresses("Any.Thing." + n["w"]) == [node.addr]
    log = node.log()
    wre = n["w"].replace(".", "\\.")
    assert ("container traefikweb: traefik.http.routers.rx.rule: '^.+\\.%s$' is the wildcard *.%s"
            % (wre, n["w"])) in log, log[-3000:]
    assert ("container traefikweb: traefik.http.routers.rx.rule: '^api-.+\\.%s$' skipped: not a "
            "wildcard pattern" % wre) in log, log[-3000:]
    assert "container traefikweb: traefik.tcp.routers.db.rule: '*' skipped" in log
    # traefik.enable=false: skipped; a joyride label next to rules: both kinds of names
    off = uniq("tr-off")
    dk.api.run({"traefik.enable": "false", "traefik.http.routers.x.rule": "Host(`%s`)" % off})
    joy, mixed = uniq("tr-joy"), uniq("tr-mixed")
    dk.api.run({LABEL: "%s,*.%s" % (joy, joy),
                "traefik.http.routers.m.rule": "Host(`%s`)" % mixed.upper()})
    wait_until(lambda: node.addresses(joy) == [node.addr] and node.addresses(mixed) == [node.addr],
               timeout=5, what="joyride and traefik names")
    assert node.addresses("x.y." + joy) == [node.addr]  # a wildcard in the joyride label
    assert node.addresses(off) == []
    code, doc = node.json("/dns/explain?name=%s" % mixed)
    assert code == 200 and doc["records"][0]["source"].startswith("docker:")
    # the names go with the container
    dk.api.stop(cid)
    wait_until(lambda: all(node.addresses(n[k]) == [] for k in "abcd"), timeout=5, what="gone")


def test_traefik_off_by_default_and_listed_at_start(joyride, dk):
    n = {k: uniq("tl-" + k) for k in ("a", "b", "c", "d", "neg", "w")}
    dk.api.run(traefik_labels(**n))  # running before joyride starts: found by the list
    node = start_joyride(joyride, dk)  # DOCKER_TRAEFIK unset
    later = uniq("tl-later")
    dk.api.run({"traefik.http.routers.l.rule": "Host(`%s`)" % later})
    wait_until(lambda: docker_status(node)["events"]["start"] >= 1, timeout=5, what="start seen")
    assert docker_records(node) == set()
    assert node.addresses(n["a"]) == [] and node.addresses(later) == []
    node.stop()
    node2 = start_joyride(joyride, dk, DOCKER_TRAEFIK="true")
    assert {(n[k], node2.addr) for k in "abcd"} | {(later, node2.addr), ("*." + n["w"], node2.addr)} \
        == docker_records(node2)


def test_health_transitions_reach_peers(dk, flagdir, tmp_path):
    """Two nodes in network namespaces on a private bridge; node1 follows the daemon. A health
    transition on node1's container is answered, then withdrawn, by node2 too."""
    if not shutil.which("ip") or not JOYRIDE.exists():
        pytest.skip("needs iproute2 and a built joyride")
    assert os.geteuid() == 0  # the dockerd fixture already needs root
    lab = Lab(2)
    nodes = [NsNode(lab, i, JOYRIDE, tmp_path, san_env=SAN_ENV,
                    env_extra={"DOCKER_HOST": dk.docker_host} if i == 1 else {},
                    hosts={"local": "%s n%d.peer.test\n" % (lab.ip(i), i)}) for i in (1, 2)]
    rec = HealthEvents(dk.api)
    try:
        for n in nodes:
            n.start()
        n1, n2 = nodes
        wait_until(lambda: n2.addresses("n1.peer.test") == [n1.addr], timeout=15,
                   what="node2 answers node1's hosts name")
        name = uniq("peer-hc")
        cid = dk.api.run({LABEL: name}, healthcheck=healthcheck(),
                         binds=["%s:/flag:ro" % flagdir])
        wait_until(lambda: health_of(dk, cid) == "unhealthy", timeout=10, what="unhealthy")
        assert n1.addresses(name) == [] and n2.addresses(name) == []
        peer_up, peer_down = [], []
        for i in range(3):
            (flagdir / "ok").touch()
            t = poll_answer(n2, name, [n1.addr])
            peer_up.append((t - rec.nth(cid, "health_status: healthy", i)) * 1000)
            (flagdir / "ok").unlink()
            t = poll_answer(n2, name, [])
            peer_down.append((t - rec.nth(cid, "health_status: unhealthy", i + 1)) * 1000)
        print("\nhealth_status event on node1 -> node2 answers, ms: healthy %s, unhealthy %s" % (
            [round(x, 1) for x in peer_up], [round(x, 1) for x in peer_down]))
        assert max(peer_up) < 2000 and max(peer_down) < 2000, (peer_up, peer_down)
    finally:
        rec.close()
        bad = [n.log()[-3000:] for n in nodes if n.stop() in (98, 99)]
        lab.close()
        assert not bad, bad
