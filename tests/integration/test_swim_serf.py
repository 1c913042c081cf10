"""Interop between swimmies-agent and real HashiCorp serf agents (Debian `serf`) on loopback:
they form one cluster, detect each other's crashes in about serf's own time, see graceful leaves,
and do all of it encrypted with 16- and 32-byte keys; a node with the wrong key is not admitted.
Every process is started on a unique 127.x address with kernel-chosen free ports and stopped by PID.
"""

import base64
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, free_port, unique_loopback, wait_until
from proc import Proc

AGENT = BUILD / "src" / "swimmies" / "swimmies-agent"
SERF = shutil.which("serf")

pytestmark = [
    pytest.mark.skipif(SERF is None, reason="serf is not installed"),
    pytest.mark.skipif(not AGENT.exists(), reason="swimmies-agent is not built"),
]

# serf's own detection time with defaults was measured at 5.6-7.0 s; allow generous slack for a
# loaded 2-core machine but still fail on anything far from it.
DETECT_LIMIT = 12.0


class Serf(Proc):
    """A serf agent; stop() kills it (a crash, as the tests want; its log stays in tmp)."""

    STOP_SIGNAL = signal.SIGKILL
    STOP_TIMEOUT = 5.0

    def __init__(self, tmp, name, addr, key=None, join=None):
        self.name = name
        self.port = free_port(addr)
        self.bind = "%s:%d" % (addr, self.port)
        self.rpc = "%s:%d" % (addr, free_port(addr, both=False))
        args = [SERF, "agent", "-node=" + name, "-bind=" + self.bind, "-rpc-addr=" + self.rpc,
                "-log-level=debug"]
        if key:
            args.append("-encrypt=" + key)
        if join:
            args.append("-join=" + join)
        self.start_proc(args, Path(tmp) / ("serf-%s.log" % name))
        try:
            wait_until(self._rpc_up, timeout=15, what="serf %s rpc" % name)
        except BaseException:
            self.stop()
            raise

    def _rpc_up(self):
        return subprocess.run([SERF, "members", "-rpc-addr=" + self.rpc], capture_output=True,
                              timeout=5).returncode == 0

    def members(self):
        """{name: status} as serf reports it."""
        out = subprocess.run([SERF, "members", "-rpc-addr=" + self.rpc], capture_output=True,
                             text=True, timeout=5).stdout
        res = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3:
                res[parts[0]] = parts[2]
        return res


class Swim(Proc):
    """A swimmies-agent: events on stdout (.out), logs on stderr (.err), commands on stdin;
    stop() kills it."""

    STOP_SIGNAL = signal.SIGKILL
    STOP_TIMEOUT = 5.0

    def __init__(self, tmp, name, addr, join=(), keys=(), meta=(), extra=()):
        self.name = name
        self.tmp = Path(tmp)
        self.port = free_port(addr)
        self.bind = "%s:%d" % (addr, self.port)
        self.members_file = self.tmp / ("swim-%s.members" % name)
        self.out_path = self.tmp / ("swim-%s.out" % name)
        args = [str(AGENT), "--name", name, "--bind", self.bind,
                "--members-file", str(self.members_file), "--log-level", "debug"]
        for j in join:
            args += ["--join", j]
        for k in keys:
            args += ["--key", k]
        for m in meta:
            args += ["--meta", m]
        args += list(extra)
        self.start_proc(args, self.out_path, self.tmp / ("swim-%s.err" % name),
                        stdin=subprocess.PIPE)

    def members(self):
        """{name: state} from the members file the agent rewrites."""
        res = {}
        try:
            text = self.members_file.read_text()
        except FileNotFoundError:
            return res
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3:
                res[parts[0]] = parts[2]
        return res

    def events(self):
        return self.out_path.read_text().splitlines()

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def metrics(self):
        before = len([e for e in self.events() if e.startswith("metrics ")])
        self.command("metrics")
        line = wait_until(lambda: ([e for e in self.events() if e.startswith("metrics ")][before:]
                                   or [None])[0], timeout=5, what="metrics line")
        return dict(kv.split("=", 1) for kv in line.split()[1:])


@pytest.fixture
def procs(tmp_path):
    started = []
    yield started
    for p in started:
        p.stop()


def _cluster(tmp_path, procs, key=None):
    base = unique_loopback()
    a = Serf(tmp_path, "serf-a", base, key=key)
    procs.append(a)
    b = Serf(tmp_path, "serf-b", base, key=key, join=a.bind)
    procs.append(b)
    s = Swim(tmp_path, "swim-1", base, join=[a.bind], keys=[key] if key else [],
             meta=["role=test"])
    procs.append(s)
    wait_until(lambda: a.members().get("swim-1") == "alive", timeout=15,
               what="serf-a sees swim-1 alive")
    wait_until(lambda: b.members().get("swim-1") == "alive", timeout=15,
               what="serf-b sees swim-1 alive")
    wait_until(lambda: s.members().get("serf-a") == "alive" and
               s.members().get("serf-b") == "alive", timeout=15,
               what="swim-1 lists both serf nodes alive")
    return a, b, s


def _keygen(nbytes):
    return base64.b64encode(os.urandom(nbytes)).decode()


@pytest.mark.parametrize("keylen", [0, 16, 32], ids=["plain", "aes128", "aes256"])
def test_swim_serf_cluster_and_failure_detection(tmp_path, procs, keylen):
    key = _keygen(keylen) if keylen else None
    a, b, s = _cluster(tmp_path, procs, key)

    # serf shows our tags
    out = subprocess.run([SERF, "members", "-rpc-addr=" + a.rpc], capture_output=True, text=True,
                         timeout=5).stdout
    assert any("swim-1" in line and "role=test" in line for line in out.splitlines()), out

    # a serf agent dies: swimmies marks it failed in about serf's time
    t0 = time.monotonic()
    b.kill()
    wait_until(lambda: s.members().get("serf-b") == "failed", timeout=30,
               what="swim-1 marks serf-b failed")
    took = time.monotonic() - t0
    assert took <= DETECT_LIMIT, "swimmies took %.1fs to mark serf-b failed" % took
    assert any(e.startswith("fail serf-b ") for e in s.events())

    # the swimmies node dies: serf marks it failed
    t0 = time.monotonic()
    s.kill()
    wait_until(lambda: a.members().get("swim-1") == "failed", timeout=30,
               what="serf-a marks swim-1 failed")
    took = time.monotonic() - t0
    assert took <= DETECT_LIMIT, "serf took %.1fs to mark swim-1 failed" % took


def test_swim_graceful_leave_seen_by_serf(tmp_path, procs):
    a, b, s = _cluster(tmp_path, procs)
    s.proc.send_signal(signal.SIGINT)
    s.proc.wait(timeout=10)
    # with serf's leave intent first, serf shows "left" (a bare memberlist leave would be "failed")
    wait_until(lambda: a.members().get("swim-1") == "left", timeout=15,
               what="serf-a sees swim-1 left")
    wait_until(lambda: b.members().get("swim-1") == "left", timeout=15,
               what="serf-b sees swim-1 left")


def test_serf_leave_seen_by_swim(tmp_path, procs):
    a, b, s = _cluster(tmp_path, procs)
    subprocess.run([SERF, "leave", "-rpc-addr=" + b.rpc], capture_output=True, timeout=15)
    wait_until(lambda: s.members().get("serf-b") == "left", timeout=15,
               what="swim-1 sees serf-b left")
    assert any(e.startswith("leave serf-b ") for e in s.events())


def test_wrong_key_not_admitted(tmp_path, procs):
    base = unique_loopback()
    good = _keygen(16)
    a = Serf(tmp_path, "serf-a", base, key=good)
    procs.append(a)
    s = Swim(tmp_path, "swim-bad", base, join=[a.bind], keys=[_keygen(16)])
    procs.append(s)
    # the join is retried every second; give it several attempts
    wait_until(lambda: int(s.metrics().get("dropped_decrypt", "0")) > 0, timeout=15,
               what="swim-bad counts undecryptable replies")
    assert "swim-bad" not in a.members()
    assert set(s.members()) == {"swim-bad"}
    assert not any(e.startswith("join serf-a") for e in s.events())


def test_plaintext_stream_to_encrypted_swim_rejected(tmp_path, procs):
    base = unique_loopback()
    key = _keygen(32)
    enc = Swim(tmp_path, "swim-enc", base, keys=[key])
    procs.append(enc)
    wait_until(lambda: enc.members().get("swim-enc") == "alive", timeout=10,
               what="swim-enc up")
    plain = Swim(tmp_path, "swim-plain", base, join=[enc.bind])
    procs.append(plain)
    wait_until(lambda: int(enc.metrics().get("dropped_plaintext", "0")) > 0, timeout=15,
               what="swim-enc rejects the plaintext push/pull")
    assert set(enc.members()) == {"swim-enc"}
    assert set(plain.members()) == {"swim-plain"}
