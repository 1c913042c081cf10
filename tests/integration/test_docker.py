"""Docker source against a real Docker Engine: a private dockerd (own socket, data root and exec
root in a temp dir, no bridge, no iptables, an image imported from the local busybox binary, no
registry) shared by this module, and the real joyride binary pointed at it with DOCKER_HOST.

Covers: labelled containers answer within 1 s (latency printed), several names, joyride.host.ip,
joyride.host.ttl and PTRs of containers (DNS_PTR=all), unlabelled ignored, stop/kill/pause/unpause/rm, containers that exit at once leave nothing,
containers already running at start, daemon killed and restarted with changes in between,
joyride started with no daemon, a 50-container burst, prompt shutdown, status and metrics.

The helpers (PrivateDockerd, DockerAPI) are also used by bench/docker.sh."""

import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.reversename
import pytest

from conftest import wait_until
from proc import Proc

IMAGE = "local/busybox"
LABEL = "joyride.host.name"


# ---------------------------------------------------------------- Docker Engine API client


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class DockerError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %s: %s" % (status, body[:300]))
        self.status = status


class DockerAPI:
    """The few Engine API calls the tests need, over the private unix socket."""

    def __init__(self, sock):
        self.sock = sock
        self.created = set()  # every container id made through this client (for cleanup)

    def call(self, method, path, body=None, timeout=60.0, raw=None, headers=None, parse=True):
        conn = _UnixHTTPConnection(self.sock, timeout)
        try:
            hdrs = dict(headers or {})
            data = raw
            if body is not None:
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            out = r.read()
            if r.status >= 400:
                raise DockerError(r.status, out.decode(errors="replace"))
            if parse and out and r.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(out)
            return out
        finally:
            conn.close()

    def ping(self, timeout=1.0):
        try:
            return self.call("GET", "/_ping", timeout=timeout) == b"OK"
        except (OSError, DockerError, http.client.HTTPException):
            return False

    def import_busybox(self):
        """Imports a one-binary image (busybox as sh, sleep, true) with no registry."""
        bb = shutil.which("busybox") or "/bin/busybox"
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            d = tarfile.TarInfo("bin")
            d.type, d.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(d)
            tar.add(bb, arcname="bin/busybox")
            for app in ("sh", "sleep", "true"):
                link = tarfile.TarInfo("bin/" + app)
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
        q = urllib.parse.urlencode({"fromSrc": "-", "repo": IMAGE, "tag": "latest"})
        self.call("POST", "/images/create?" + q, raw=buf.getvalue(),
                  headers={"Content-Type": "application/x-tar"}, timeout=120)

    def create(self, labels=None, cmd=("sleep", "1000"), name=None, auto_remove=False,
               restart=None, healthcheck=None, binds=None):
        """healthcheck: the Engine's Config.Healthcheck object; binds: ["host:container", ...]."""
        body = {
            "Image": IMAGE,
            "Cmd": list(cmd),
            "Labels": dict(labels or {}),
            "HostConfig": {"Init": True, "NetworkMode": "none", "AutoRemove": auto_remove},
        }
        if restart:
            body["HostConfig"]["RestartPolicy"] = {"Name": restart}
        if healthcheck:
            body["Healthcheck"] = healthcheck
        if binds:
            body["HostConfig"]["Binds"] = list(binds)
        q = "?" + urllib.parse.urlencode({"name": name}) if name else ""
        cid = self.call("POST", "/containers/create" + q, body)["Id"]
        self.created.add(cid)
        return cid

    def start(self, cid):
        self.call("POST", "/containers/%s/start" % cid)

    def run(self, labels=None, cmd=("sleep", "1000"), **kw):
        cid = self.create(labels, cmd, **kw)
        self.start(cid)
        return cid

    def stop(self, cid, t=1):
        self.call("POST", "/containers/%s/stop?t=%d" % (cid, t))

    def kill(self, cid, sig="KILL"):
        self.call("POST", "/containers/%s/kill?signal=%s" % (cid, sig))

    def pause(self, cid):
        self.call("POST", "/containers/%s/pause" % cid)

    def unpause(self, cid):
        self.call("POST", "/containers/%s/unpause" % cid)

    def remove(self, cid, force=True):
        try:
            self.call("DELETE", "/containers/%s?force=%d" % (cid, 1 if force else 0))
        except DockerError as e:
            if e.status != 404:
                raise

    def wait(self, cid, timeout=30.0):
        try:
            self.call("POST", "/containers/%s/wait" % cid, timeout=timeout)
        except DockerError as e:
            if e.status != 404:
                raise

    def inspect(self, cid):
        return self.call("GET", "/containers/%s/json" % cid)

    def ps(self, all_=False):
        q = "?all=1" if all_ else ""
        return self.call("GET", "/containers/json" + q)

    def running_names(self, label=LABEL):
        """Running (not paused) containers that carry label."""
        return [c for c in self.ps() if c["State"] == "running" and label in (c["Labels"] or {})]


class EventRecorder:
    """Follows the daemon's container events on a thread (the daemon replays only its last 256
    events, so long measurements need a live subscription). Subscribed once constructed."""

    KIND = {"start": "up", "kill": "down", "die": "down", "stop": "down"}

    def __init__(self, api):
        self.conn = _UnixHTTPConnection(api.sock, None)
        q = urllib.parse.urlencode({"filters": json.dumps({"type": ["container"]})})
        self.conn.request("GET", "/events?" + q)
        self.resp = self.conn.getresponse()  # headers in: the daemon has subscribed us
        self.first = {}  # (container id, "up"/"down") -> timeNano (s) of the first such event
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        try:
            for line in self.resp:
                if not line.strip():
                    continue
                ev = json.loads(line)
                kind = self.KIND.get(ev.get("Action"))
                if kind:
                    self.first.setdefault((ev["Actor"]["ID"], kind), ev["timeNano"] / 1e9)
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def latencies_ms(self, answered, timeout=10.0):
        """answered: {(cid, kind): wall-clock answer time} -> {kind: sorted latencies in ms}."""
        wait_until(lambda: all(k in self.first for k in answered), timeout=timeout,
                   what="every event recorded")
        out = {}
        for (cid, kind), t in answered.items():
            out.setdefault(kind, []).append((t - self.first[(cid, kind)]) * 1000)
        return {k: sorted(v) for k, v in out.items()}

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.th.join(5)
        self.conn.close()


def _alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class PrivateDockerd(Proc):
    """A dockerd of our own: socket, data root and exec root under one short temp dir; one log
    file across restarts (appended)."""

    STOP_TIMEOUT = 30.0

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="jrd-", dir="/tmp"))
        self.sock = str(self.dir / "docker.sock")
        self.log_path = self.dir / "dockerd.log"
        self.driver = None
        self.api = DockerAPI(self.sock)

    @property
    def docker_host(self):
        return "unix://" + self.sock

    def start(self, timeout=40.0):
        exe = shutil.which("dockerd")
        if not exe:
            raise RuntimeError("dockerd is not installed")
        drivers = [self.driver] if self.driver else ["overlay2", "vfs"]
        errors = []
        for drv in drivers:
            self.start_proc(
                [exe, "--data-root", self.dir / "data", "--exec-root", self.dir / "exec",
                 "--pidfile", self.dir / "dockerd.pid", "-H", "unix://" + self.sock,
                 "--iptables=false", "--ip6tables=false", "--bridge=none",
                 "--storage-driver=" + drv],
                self.log_path, append=True, new_session=True)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if self.api.ping(timeout=0.5):
                    self.driver = drv
                    self.started_in = time.monotonic() - (deadline - timeout)
                    return
                time.sleep(0.05)
            errors.append("%s: exit %s" % (drv, self.proc.poll()))
            self.stop(signal.SIGKILL)
        raise RuntimeError("dockerd did not start (%s):\n%s" % (
            "; ".join(errors), self.log_tail()))

    def stop(self, sig=None, timeout=None):
        """Signals dockerd by PID and waits for it (SIGKILL past the timeout), then for the
        containerd it started."""
        if self.proc is None:
            return None
        rc = super().stop(sig, timeout)
        # dockerd's containerd dies with it (parent-death signal) but may still be exiting; a
        # dockerd started meanwhile would try to reuse it and time out, so wait for it.
        pidfile = self.dir / "exec" / "containerd" / "containerd.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return rc
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.02)
        # gone, or a zombie its new parent has not reaped yet: either way not reusable
        pidfile.unlink(missing_ok=True)
        return rc

    def running(self):
        return self.alive()

    def remove_all_containers(self):
        if not self.running():
            return
        for c in self.api.ps(all_=True):
            self.api.remove(c["Id"])

    def cleanup(self):
        """Containers, daemon, anything left behind (containerd, shims), mounts, the temp dir."""
        try:
            self.remove_all_containers()
        except Exception:  # noqa: BLE001 - keep cleaning up
            pass
        self.stop()
        # containerd, shims (their command lines name our dir) and container processes (in the
        # cgroup of a container we created) that a killed daemon left behind
        mine = str(self.dir)
        ids = [p % c.encode() for c in self.api.created for p in (b"/docker/%s", b"docker-%s.scope")]
        for p in Path("/proc").iterdir():
            if not p.name.isdigit() or int(p.name) == os.getpid():
                continue
            try:
                cmd = (p / "cmdline").read_bytes()
                cg = (p / "cgroup").read_bytes()
            except OSError:
                continue
            if mine.encode() in cmd or any(i in cg for i in ids):
                try:
                    os.kill(int(p.name), signal.SIGKILL)
                except OSError:
                    pass
        try:
            with open("/proc/self/mounts") as f:
                mounts = [line.split()[1] for line in f]
        except OSError:
            mounts = []
        for m in sorted((m for m in mounts if m.startswith(mine + "/")), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def dockerd():
    if os.geteuid() != 0:
        pytest.skip("a private dockerd needs root")
    if not shutil.which("dockerd") or not shutil.which("busybox"):
        pytest.skip("dockerd or busybox is not installed (packages docker.io, busybox-static)")
    d = PrivateDockerd()
    try:
        try:
            d.start()
        except RuntimeError as e:
            pytest.skip("dockerd cannot start here: %s" % e)
        d.api.import_busybox()
        yield d
    finally:
        d.cleanup()


@pytest.fixture
def dk(dockerd):
    """The module's daemon, running and empty at the start and end of each test."""
    if not dockerd.running():
        dockerd.start()
    dockerd.remove_all_containers()
    yield dockerd
    if dockerd.running():
        dockerd.remove_all_containers()


def uniq(prefix):
    return "%s-%06x.example.com" % (prefix, random.randrange(1 << 24))


def docker_status(node):
    status, body = node.json("/status")
    assert status == 200, body
    return body["docker_monitor"]


def wait_connected(node, timeout=15.0):
    return wait_until(lambda: docker_status(node)["connected"], timeout=timeout,
                      what="joyride connected to dockerd")


def docker_records(node):
    """{(hostname, ip)} of every docker-sourced record joyride serves."""
    status, body = node.json("/dns/records")
    assert status == 200, body
    return {(r["hostname"], r["ip_address"]) for r in body["records"]
            if r["source"].startswith("docker:")}


def expected_records(dk, hostip, label=LABEL):
    """{(hostname, ip)} that running labelled containers should give, from docker's own view."""
    out = set()
    for c in dk.api.running_names(label):
        labels = c["Labels"]
        ip = labels.get("joyride.host.ip", hostip)
        for n in labels[label].replace(",", " ").split():
            out.add((n.lower().rstrip("."), ip))
    return out


def wait_records_match(node, dk, timeout=10.0, what="records match docker ps"):
    """Polls until joyride's docker records equal what docker's running containers give; on
    timeout fails with the difference and the end of joyride's log."""
    try:
        wait_until(lambda: docker_records(node) == expected_records(dk, node.addr),
                   timeout=timeout, interval=0.05, what=what)
    except AssertionError:
        have, want = docker_records(node), expected_records(dk, node.addr)
        log = node.log().splitlines()
        ids = set()
        for name, _ in have ^ want:
            for line in log:
                if name in line and "(" in line:
                    ids.add(line.split("(", 1)[1][:12])
        for c in dk.api.ps(all_=True):
            if any(n in json.dumps(c["Labels"]) for n, _ in have ^ want):
                ids.add(c["Id"][:12])
        related = [line for line in log if any(i in line for i in ids)]
        raise AssertionError("%s: extra %s, missing %s\njoyride log about them:\n%s" % (
            what, sorted(have - want), sorted(want - have), "\n".join(related[-60:]))) from None


def start_joyride(joyride, dk, **env):
    node = joyride(env={"DOCKER_HOST": dk.docker_host, **env})
    wait_connected(node)
    return node


def act_and_wait_answer(node, action, name, want, timeout=5.0):
    """Runs action() on another thread and polls DNS meanwhile until name answers want (a sorted
    list); returns the wall-clock time of the first such answer. Polling does not wait for the
    Docker call to return, since the event comes before the call's reply."""
    errors = []

    def run():
        try:
            action()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    th = threading.Thread(target=run)
    th.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not errors:
            try:
                if node.addresses(name) == want:
                    return time.time()
            except Exception:  # noqa: BLE001 - a lost UDP reply: ask again
                pass
        raise AssertionError("%s did not answer %s within %.1fs %s" % (name, want, timeout, errors))
    finally:
        th.join()


# ---------------------------------------------------------------- tests


def test_labelled_container_answers_within_1s(joyride, dk):
    """Event-to-answer latency: from the daemon's own event timestamp (timeNano of start, and of
    the first removing event on stop) to the first DNS answer that reflects it."""
    node = start_joyride(joyride, dk)
    rec = EventRecorder(dk.api)
    answered = {}  # (cid, "up"/"down") -> wall-clock time of the first matching answer
    try:
        for i in range(5):
            name = uniq("web%d" % i)
            cid = dk.api.create({LABEL: name})
            answered[(cid, "up")] = act_and_wait_answer(node, lambda: dk.api.start(cid), name,
                                                        [node.addr])
            answered[(cid, "down")] = act_and_wait_answer(node, lambda: dk.api.stop(cid), name,
                                                          [])
        lat = rec.latencies_ms(answered)
    finally:
        rec.close()
    up, down = lat["up"], lat["down"]
    print("\nevent->answer ms: start %s (median %.1f), stop %s (median %.1f)" % (
        [round(x, 1) for x in up], statistics.median(up), [round(x, 1) for x in down],
        statistics.median(down)))
    assert max(up) < 1000, up
    assert max(down) < 1000, down


def test_several_names_in_one_label(joyride, dk):
    node = start_joyride(joyride, dk)
    a, b, c = uniq("multi-a"), uniq("multi-b"), uniq("multi-c")
    value = "%s, %s  %s,bad..name" % (a.upper(), b, c + ".")
    dk.api.run({LABEL: value}, name="multi")
    for n in (a, b, c):
        wait_until(lambda n=n: node.addresses(n) == [node.addr], timeout=5, what=n)
    assert docker_records(node) == {(a, node.addr), (b, node.addr), (c, node.addr)}
    wait_until(lambda: "container multi: invalid name 'bad..name'" in node.log(), timeout=5,
               what="invalid name logged with the container name")


def test_host_ip_label(joyride, dk):
    node = start_joyride(joyride, dk)
    v4, v6, bad = uniq("ip4"), uniq("ip6"), uniq("ipbad")
    dk.api.run({LABEL: v4, "joyride.host.ip": "10.20.30.40"})
    dk.api.run({LABEL: v6, "joyride.host.ip": "fd00::42"})
    dk.api.run({LABEL: bad, "joyride.host.ip": "10.20.30"}, name="badip")
    wait_until(lambda: node.addresses(v4) == ["10.20.30.40"], timeout=5, what=v4)
    wait_until(lambda: node.addresses(v6, "AAAA") == ["fd00::42"], timeout=5, what=v6)
    assert node.addresses(v6) == []  # no A for an AAAA-only override
    wait_until(lambda: docker_status(node)["events"]["start"] >= 3, timeout=5, what="3 starts")
    assert node.addresses(bad) == []  # a bad override never falls back to HOSTIP
    assert "container badip: invalid joyride.host.ip '10.20.30'" in node.log()


def test_ttl_label_and_opt_in_ptr(joyride, dk):
    """joyride.host.ttl sets the TTL of a container's answers (a bad value: a warning and
    DNS_TTL); with DNS_PTR=all HOSTIP's reverse name lists the containers' names, label order."""
    node = start_joyride(joyride, dk, DNS_PTR="all", DNS_TTL="50")
    a, b, bad = uniq("ttl-a"), uniq("ttl-b"), uniq("ttl-bad")
    dk.api.run({LABEL: "%s %s" % (b, a), "joyride.host.ttl": "25"})
    dk.api.run({LABEL: bad, "joyride.host.ttl": "soon"}, name="badttl")
    wait_until(lambda: node.addresses(a) == [node.addr] and node.addresses(bad) == [node.addr],
               timeout=5, what="both containers")
    assert node.query(a).answer[0].ttl == 25
    assert node.query(bad).answer[0].ttl == 50
    assert "container badttl: invalid joyride.host.ttl 'soon'" in node.log()
    ttls = {r["hostname"]: r["ttl"] for r in node.json("/dns/records")[1]["records"]}
    assert ttls == {a: 25, b: 25, bad: 50}
    r = node.query(dns.reversename.from_address(node.addr), "PTR")
    targets = [rd.target.to_text() for rrset in r.answer for rd in rrset]
    # each container's names by their place in its label, then by name; the smallest TTL
    assert targets == sorted([b + ".", bad + "."]) + [a + "."], targets
    assert r.answer[0].ttl == 25
    # the default (DNS_PTR=hosts): no PTR for containers
    plain = start_joyride(joyride, dk)
    wait_until(lambda: plain.addresses(a) == [plain.addr], timeout=5, what="plain node")
    r = plain.query(dns.reversename.from_address(plain.addr), "PTR")
    assert r.rcode() == 3 and not r.answer


def test_unlabelled_and_other_labels_ignored(joyride, dk):
    node = start_joyride(joyride, dk)
    other = uniq("other")
    dk.api.run({})
    dk.api.run({"some.other.label": other})
    wait_until(lambda: docker_status(node)["events"]["start"] >= 2, timeout=5, what="2 starts")
    assert docker_records(node) == set()
    assert docker_status(node)["containers_tracked"] == 0


def test_custom_label_keys(joyride, dk):
    mine, std = uniq("custom"), uniq("std")
    node = start_joyride(joyride, dk, DOCKER_LABELS="my.dns.names, joyride.host.name")
    dk.api.run({"my.dns.names": mine})
    dk.api.run({LABEL: std})
    wait_until(lambda: docker_records(node) == {(mine, node.addr), (std, node.addr)}, timeout=5,
               what="both label keys")


def test_stop_kill_pause_unpause_rm(joyride, dk):
    node = start_joyride(joyride, dk)
    name = uniq("life")
    here, gone = [node.addr], []

    def expect(want, what):
        wait_until(lambda: node.addresses(name) == want, timeout=5, what=what)

    cid = dk.api.run({LABEL: name})
    expect(here, "started")
    dk.api.pause(cid)
    expect(gone, "paused")
    dk.api.unpause(cid)
    expect(here, "unpaused")
    dk.api.kill(cid, "HUP")  # busybox sleep dies of SIGHUP: the die event removes
    expect(gone, "killed with HUP")
    dk.api.start(cid)
    expect(here, "started again")
    dk.api.kill(cid, "KILL")
    expect(gone, "killed")
    dk.api.start(cid)
    expect(here, "started once more")
    dk.api.stop(cid)
    expect(gone, "stopped")
    dk.api.start(cid)
    expect(here, "started for rm")
    dk.api.remove(cid, force=True)
    expect(gone, "removed")
    # the name goes at kill/die; destroy comes a moment later
    st = wait_until(lambda: (lambda s: s["events"]["destroy"] >= 1 and s)(docker_status(node)),
                    timeout=5, what="destroy event counted")
    for action in ("start", "pause", "unpause", "kill", "die", "stop", "destroy"):
        assert st["events"][action] >= 1, (action, st)
    assert st["containers_tracked"] == 0


def test_same_name_two_containers(joyride, dk):
    node = start_joyride(joyride, dk)
    name = uniq("shared")
    c1 = dk.api.run({LABEL: name})
    c2 = dk.api.run({LABEL: name})
    c3 = dk.api.run({LABEL: name, "joyride.host.ip": "10.0.0.3"})
    wait_until(lambda: node.addresses(name) == sorted([node.addr, "10.0.0.3"]), timeout=5,
               what="both addresses")
    dk.api.stop(c1)
    wait_until(lambda: docker_status(node)["events"]["die"] >= 1, timeout=5, what="die seen")
    assert node.addresses(name) == sorted([node.addr, "10.0.0.3"])  # c2 still holds HOSTIP
    dk.api.stop(c3)
    wait_until(lambda: node.addresses(name) == [node.addr], timeout=5, what="c3 gone")
    dk.api.stop(c2)
    wait_until(lambda: node.addresses(name) == [], timeout=5, what="all gone")


def test_container_exiting_at_once_leaves_nothing(joyride, dk):
    node = start_joyride(joyride, dk)
    names = [uniq("quick%d" % i) for i in range(8)]
    ids = []
    for i, n in enumerate(names):
        ids.append(dk.api.run({LABEL: n}, cmd=("sh", "-c", "exit 0"), auto_remove=(i % 2 == 0)))
    for cid in ids:
        dk.api.wait(cid)
    wait_until(lambda: docker_status(node)["events"]["die"] >= len(names), timeout=10,
               what="every die event applied")
    assert docker_records(node) == set()
    for n in names:
        assert node.addresses(n) == []
    assert docker_status(node)["containers_tracked"] == 0


def test_containers_running_before_start_are_picked_up(joyride, dk):
    names = [uniq("pre%d" % i) for i in range(3)]
    for n in names:
        dk.api.run({LABEL: n})
    paused = dk.api.run({LABEL: uniq("prepaused")})
    dk.api.pause(paused)
    dk.api.wait(dk.api.run({LABEL: uniq("prestopped")}, cmd=("true",)))
    node = start_joyride(joyride, dk)
    assert docker_records(node) == {(n, node.addr) for n in names}
    assert docker_status(node)["containers_tracked"] == 3
    for n in names:
        assert node.addresses(n) == [node.addr]


def test_daemon_killed_and_restarted(joyride, dk):
    node = start_joyride(joyride, dk)
    dk.api.run({LABEL: uniq("keep")}, restart="always")
    was = dk.api.run({LABEL: uniq("was")})
    dk.api.run({LABEL: uniq("gone")})
    wait_records_match(node, dk, what="records before the restart")
    assert len(docker_records(node)) == 3
    dk.stop(signal.SIGKILL)  # no events for what follows
    wait_until(lambda: not docker_status(node)["connected"], timeout=5, what="disconnect seen")
    dk.start()
    # changes while joyride is (probably) still backing off: the daemon restarts `keep`, the
    # others stopped with it; start one again and add a new one
    dk.api.start(was)
    new = uniq("new")
    dk.api.run({LABEL: new})
    wait_until(lambda: docker_status(node)["connected"], timeout=35, what="reconnect")
    want = expected_records(dk, node.addr)
    assert (new, node.addr) in want and len(want) >= 2
    wait_records_match(node, dk, what="records match docker ps after the restart")
    st = docker_status(node)
    assert st["reconnects"] >= 1
    assert node.log().count("WARNING docker: lost ") == 1, node.log()[-3000:]
    assert "connected again to unix://" in node.log()


def test_joyride_started_without_daemon(joyride, dk):
    dk.stop()
    hosts = {"static": "192.0.2.10 static.example.com\n"}
    node = joyride(hosts=hosts, env={"DOCKER_HOST": dk.docker_host})
    assert node.addresses("static.example.com") == ["192.0.2.10"]
    st = wait_until(lambda: (lambda s: s["last_error"] and s)(docker_status(node)), timeout=5,
                    what="a connection error reported")
    assert st["running"] and not st["connected"]
    assert "cannot connect to unix://" in st["last_error"]
    # let it retry a few times: one warning for the whole outage, no flood
    wait_until(lambda: node.log().count("docker: still cannot reach") >= 4, timeout=15,
               what="four retries (joyride now waits 4 s before the next)")
    assert node.log().count("WARNING docker:") == 1, node.log()[-3000:]
    t0 = time.monotonic()
    dk.start()  # joyride watches the socket's directory: it retries as soon as the socket appears
    wait_until(lambda: docker_status(node)["connected"], timeout=35, what="picked up")
    took = time.monotonic() - t0
    print("\ndaemon start -> joyride connected: %.2fs (dockerd itself took %.2fs to answer)" % (
        took, dk.started_in))
    assert took < dk.started_in + 1.5  # not the 4 s backoff
    name = uniq("late")
    dk.api.run({LABEL: name})
    wait_until(lambda: node.addresses(name) == [node.addr], timeout=5, what="picked up")
    assert "connected again to unix://" in node.log()
    assert node.addresses("static.example.com") == ["192.0.2.10"]


def test_burst_of_50_containers(joyride, dk):
    node = start_joyride(joyride, dk)
    names = [uniq("burst%02d" % i) for i in range(50)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda n: dk.api.run({LABEL: n}), names))
        # stop and remove some, kill others, while joyride is still catching up
        list(pool.map(dk.api.stop, ids[:10]))
        list(pool.map(lambda c: dk.api.remove(c, force=True), ids[10:20]))
        list(pool.map(dk.api.kill, ids[20:25]))
        list(pool.map(dk.api.pause, ids[25:30]))
    want = expected_records(dk, node.addr)
    assert len(want) == 20
    wait_records_match(node, dk, timeout=15, what="final records match the running containers")
    for n in names[30:]:
        assert node.addresses(n) == [node.addr]
    for n in names[:30]:
        assert node.addresses(n) == []
    assert docker_status(node)["containers_tracked"] == 20


def test_status_metrics_and_prompt_shutdown(joyride, dk):
    node = start_joyride(joyride, dk)
    dk.api.run({LABEL: uniq("metric")})
    wait_until(lambda: docker_status(node)["containers_tracked"] == 1, timeout=5, what="tracked")
    st = docker_status(node)
    assert st["running"] and st["connected"]
    assert st["api_version"] and st["api_version"][0].isdigit()
    status, _, body = node.http("/metrics")
    assert status == 200
    assert 'joyride_docker_events_total{action="start"} 1' in body.decode()
    # the event stream is idle: shutdown must not wait for the next event
    t0 = time.monotonic()
    rc = node.stop()
    took = time.monotonic() - t0
    print("\nshutdown with an idle event stream: %.0f ms" % (took * 1000))
    assert rc == 0
    assert took < 2.0


def test_explain_names_the_container(joyride, dk):
    """/dns/explain gives a docker record's container id and name; with the same name in a hosts
    file of the node, both local sources are answered (and `joyride explain` shows them)."""
    name = uniq("explain")
    node = joyride(hosts={"h": "10.9.9.9 %s\n" % name}, env={"DOCKER_HOST": dk.docker_host})
    wait_connected(node)
    cid = dk.api.run({LABEL: name}, name="explain-web")
    wait_until(lambda: node.addresses(name) == sorted([node.addr, "10.9.9.9"]), timeout=5,
               what="both addresses")
    code, doc = node.json("/dns/explain?name=%s" % name)
    assert code == 200
    assert doc["rule"]["id"] == "all_sources"
    by_kind = {r["source_type"]: r for r in doc["records"]}
    d = by_kind["docker"]
    assert d["state"] == "served" and d["answered"] is True
    assert d["container_id"] == cid and d["source"] == "docker:" + cid
    assert d["container_name"] == "explain-web"
    assert d["address"] == node.addr and "line" not in d
    assert by_kind["hosts"]["line"] == 1
    from test_cli import cli
    rc, out, err = cli("explain", name, api="http://%s:%d" % (node.addr, node.http_port))
    assert rc == 0, err
    assert "docker:explain-web (%s)" % cid[:12] in out
    # the container goes: its record is gone with it, the hosts one stays
    dk.api.stop(cid)
    wait_until(lambda: node.addresses(name) == ["10.9.9.9"], timeout=5, what="docker record gone")
    code, doc = node.json("/dns/explain?name=%s" % name)
    assert [r["source_type"] for r in doc["records"] if r["state"] == "served"] == ["hosts"]
