"""systemd integration: the sd_notify protocol spoken to a Python AF_UNIX datagram socket given as
NOTIFY_SOCKET (what systemd does for Type=notify), and the unit file checked by
`systemd-analyze verify`.

Covers: READY=1 only once DNS and HTTP answer and the first hosts and Docker loads are published
(a container running before joyride starts answers the moment READY=1 arrives), STATUS= lines,
WATCHDOG=1 repeatedly at half of WATCHDOG_USEC (WATCHDOG_PID unset or naming joyride; none when it
names another process), STOPPING=1 on SIGTERM, in that order; packaging/joyride.service verifies
clean and packaging/joyride.env names only real settings."""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import JOYRIDE, ROOT, node_env, wait_until
from test_docker import LABEL, dk, dockerd  # noqa: F401 - the private dockerd fixtures

WATCHDOG_USEC = 300000  # WATCHDOG=1 expected every 150 ms


class NotifySocket:
    """The systemd side of sd_notify: a datagram socket whose reader thread records (monotonic
    arrival time, message) as they come."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.msgs = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.th = threading.Thread(target=self._read, daemon=True)
        self.th.start()

    def _read(self):
        while not self.done.is_set():
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            with self.lock:
                self.msgs.append((time.monotonic(), data.decode()))

    def pump(self):
        """A copy of what arrived so far."""
        with self.lock:
            return list(self.msgs)

    def clear(self):
        with self.lock:
            self.msgs.clear()

    def wait_for(self, prefix, timeout=10.0):
        def seen():
            return next((m for m in self.pump() if m[1].startswith(prefix)), None)
        return wait_until(seen, timeout=timeout, interval=0.005, what="%s from joyride" % prefix)

    def close(self):
        self.done.set()
        self.th.join(5)
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def notify_socket(tmp_path):
    s = NotifySocket(tmp_path / "notify.sock")
    yield s
    s.close()


def fields(msg):
    return dict(line.split("=", 1) for line in msg.split("\n") if "=" in line)


def watchdog_times(msgs):
    return [t for t, m in msgs if m == "WATCHDOG=1"]


def test_ready_status_watchdog_stopping_in_order(joyride, notify_socket):
    node = joyride(hosts={"h": "10.7.7.7 notified.test\n"}, ready=False, env={
        "NOTIFY_SOCKET": notify_socket.path, "WATCHDOG_USEC": WATCHDOG_USEC})
    t_ready, ready = notify_socket.wait_for("READY=1")
    # ready means serving: DNS and HTTP answer at once, with the hosts directory loaded
    assert node.addresses("notified.test") == ["10.7.7.7"]
    assert node.http("/health")[0] == 200
    status = fields(ready)["STATUS"]
    assert re.match(r"^1 record served, cluster sync off, Docker not connected$", status), status

    time.sleep(1.0)  # watch the watchdog for a second
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(timeout=10) == 0
    notify_socket.wait_for("STOPPING=1")
    msgs = notify_socket.pump()
    kinds = [m.split("=", 1)[0] for _, m in msgs]
    print("\nnotify messages: %s" % " ".join(
        "%s@%.0fms" % (m.replace("\n", "|"), (t - msgs[0][0]) * 1000) for t, m in msgs))
    # order: READY once, then WATCHDOG pings, STOPPING last
    assert kinds.count("READY") == 1 and kinds[-1] == "STOPPING" and kinds.count("STOPPING") == 1
    wd = watchdog_times(msgs)
    after_ready = [t for t in wd if t > t_ready]
    assert len(after_ready) >= 4, kinds
    gaps = [b - a for a, b in zip(after_ready, after_ready[1:])]
    assert all(0.10 < g < 0.30 for g in gaps), gaps  # every WATCHDOG_USEC / 2 = 150 ms
    assert "systemd watchdog 0.300 s: WATCHDOG=1 every 150 ms" in node.log()


def run_until_ready(argv, env, notify_socket):
    """Starts argv, waits for READY=1; returns the Popen (the caller stops it)."""
    p = subprocess.Popen([str(a) for a in argv], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        notify_socket.wait_for("READY=1")
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0


def test_watchdog_pid_selects_the_process(notify_socket, tmp_path):
    """WATCHDOG_PID naming joyride itself (as systemd sets it) keeps the watchdog; naming another
    process turns it off (it is meant for that process), while READY=1 is still sent."""
    env = node_env(NOTIFY_SOCKET=notify_socket.path, WATCHDOG_USEC=WATCHDOG_USEC)
    # sh sets WATCHDOG_PID to its own pid, then exec keeps that pid for joyride
    wrapper = tmp_path / "wrap.sh"
    wrapper.write_text('#!/bin/sh\nWATCHDOG_PID=$$ exec "%s"\n' % JOYRIDE)
    wrapper.chmod(0o755)
    p = run_until_ready([wrapper], env, notify_socket)
    try:
        wait_until(lambda: len(watchdog_times(notify_socket.pump())) >= 3, timeout=5.0,
                   what="WATCHDOG=1 with WATCHDOG_PID = joyride's pid")
    finally:
        stop(p)
    notify_socket.wait_for("STOPPING=1")

    notify_socket.clear()
    p = run_until_ready([JOYRIDE], {**env, "WATCHDOG_PID": str(os.getpid())}, notify_socket)
    try:
        time.sleep(0.6)  # four watchdog intervals
        assert watchdog_times(notify_socket.pump()) == []
    finally:
        stop(p)
    notify_socket.wait_for("STOPPING=1")


def test_ready_waits_for_the_first_docker_list(joyride, dk, notify_socket):
    """A labelled container that runs before joyride starts answers as soon as READY=1 arrives."""
    name = "ready-%d.example.com" % os.getpid()
    dk.api.run({LABEL: name})
    node = joyride(ready=False, env={"NOTIFY_SOCKET": notify_socket.path,
                                     "DOCKER_HOST": dk.docker_host})
    _, ready = notify_socket.wait_for("READY=1", timeout=15.0)
    assert node.addresses(name) == [node.addr]
    assert fields(ready)["STATUS"] == "1 record served, cluster sync off, Docker connected"


def test_no_notify_socket_sends_nothing(joyride):
    node = joyride(env={"WATCHDOG_USEC": WATCHDOG_USEC})
    assert "notify" not in node.log() and "watchdog" not in node.log()


# ---------------------------------------------------------------- the unit and its env file


def test_unit_verifies_clean(tmp_path):
    exe = shutil.which("systemd-analyze")
    if not exe:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    unit = (ROOT / "packaging" / "joyride.service").read_text()
    for want in ("Type=notify", "WatchdogSec=", "EnvironmentFile=-/etc/joyride/joyride.env",
                 "SupplementaryGroups=docker", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"):
        assert want in unit, want
    # verify checks that ExecStart exists: point it at the binary under test
    assert "ExecStart=/usr/local/bin/joyride\n" in unit
    (tmp_path / "joyride.service").write_text(
        unit.replace("ExecStart=/usr/local/bin/joyride", "ExecStart=%s" % JOYRIDE))
    r = subprocess.run([exe, "verify", str(tmp_path / "joyride.service")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def test_env_file_names_real_settings():
    """Every KEY= in packaging/joyride.env (set or commented out) is a setting joyride knows."""
    help_text = subprocess.run([str(JOYRIDE), "--help"], capture_output=True, text=True,
                               timeout=10).stdout
    known = set(re.findall(r"\b([A-Z][A-Z0-9_]+)\b", help_text))
    keys = re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (ROOT / "packaging" / "joyride.env").read_text(),
                      re.M)
    assert len(keys) > 10
    assert [k for k in keys if k not in known] == []
