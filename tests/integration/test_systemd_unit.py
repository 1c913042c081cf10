"""packaging/joyride.service under a real systemd: this machine's own OS tree, made writable by an
overlay on a tmpfs (nothing of the host changes), booted with systemd-nspawn in a private network
namespace (only loopback) into basic.target, so none of the host's own services start. The unit
is installed unchanged with the binary under test as /usr/local/bin/joyride and an env file made
from packaging/joyride.env.

Covers, with every hardening setting of the unit in force: `systemctl start` returns once
joyride sent READY=1; it runs as a dynamic unprivileged user with the docker group, serves DNS on
port 53 (AmbientCapabilities), answers from the hosts directory and follows a new hosts file
(inotify under ProtectSystem=strict), reaches the Docker socket when the OS has Docker, shows
STATUS= in `systemctl show`; a stuck process (SIGSTOP) is killed by the watchdog and restarted;
`systemctl stop` is clean and quick."""

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import JOYRIDE, ROOT, wait_until
from proc import Proc

ENV_OVERRIDES = {
    "HOSTIP": "127.0.0.1", "DNS_PORT": "53", "DNS_BIND_ADDRESS": "127.0.0.1",
    "HTTP_BIND_ADDRESS": "127.0.0.1", "CLUSTER_BIND_ADDRESS": "127.0.0.1",
    "DISCOVERY_BROADCAST": "127.255.255.255", "LOG_LEVEL": "DEBUG",
    "ASAN_OPTIONS": "detect_leaks=0",  # LeakSanitizer needs ptrace, which the unit filters out
}


class Machine(Proc):
    """systemd-nspawn booting an overlay of / ; commands run inside with nsenter."""

    STOP_TIMEOUT = 30.0

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="jrns-", dir="/tmp"))
        # mkdtemp's suffix may hold "_", which systemd rejects in a machine name
        self.name = "jrns-" + secrets.token_hex(6)
        self.layer = self.dir / "layer"
        self.root = self.dir / "root"
        self.layer.mkdir()
        self.root.mkdir()
        self.mounted = []
        self.init_pid = None

    def _mount(self, *args):
        subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)
        self.mounted.append(args[-1])

    def prepare(self, env_text, unit_text):
        self._mount("-t", "tmpfs", "-o", "size=1g,mode=0755", "tmpfs", str(self.layer))
        (self.layer / "up").mkdir()
        (self.layer / "work").mkdir()
        self._mount("-t", "overlay", "overlay", "-o", "lowerdir=/,upperdir=%s,workdir=%s" % (
            self.layer / "up", self.layer / "work"), str(self.root))
        r = self.root
        shutil.copy2(JOYRIDE, r / "usr/local/bin/joyride")
        os.chmod(r / "usr/local/bin/joyride", 0o755)
        (r / "etc/systemd/system/joyride.service").write_text(unit_text)
        (r / "etc/joyride/hosts").mkdir(parents=True, exist_ok=True)
        (r / "etc/joyride/hosts/base").write_text("10.9.9.9 boot.joyride.test\n")
        (r / "etc/joyride/joyride.env").write_text(env_text)

    def boot(self, timeout=90.0):
        self.start_proc(["systemd-nspawn", "--directory", self.root, "--private-network",
                         "--register=no", "--keep-unit", "--machine", self.name, "--boot",
                         "--", "systemd.unit=basic.target"],
                        self.dir / "nspawn.log", stdin=subprocess.DEVNULL, new_session=True)

        def booted():
            if not self.alive():
                raise AssertionError("nspawn exited:\n" + self.log_tail())
            # nspawn's child is at first an intermediate process: wait for systemd itself
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                kids = f.read().split()
            if not kids or Path("/proc/%s/comm" % kids[0]).read_text().strip() != "systemd":
                return False
            self.init_pid = int(kids[0])
            return self.run("systemctl", "is-system-running").stdout.strip() in (
                "running", "degraded")
        wait_until(booted, timeout=timeout, interval=0.2, what="container booted")

    def run(self, *cmd, timeout=60, check=False, input=None):
        r = subprocess.run(["nsenter", "-t", str(self.init_pid), "-a", *cmd],
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check:
            assert r.returncode == 0, "%s: %s%s" % (" ".join(cmd), r.stdout, r.stderr)
        return r

    def show(self, unit, *props):
        out = self.run("systemctl", "show", unit, *("-p" + p for p in props), check=True).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def dig(self, name):
        return self.run("dig", "+short", "+time=1", "+tries=2", "@127.0.0.1", "-p", "53",
                        name).stdout.split()

    def journal(self, unit):
        return self.run("journalctl", "-u", unit, "--no-pager", "-o", "cat").stdout

    def cleanup(self):
        if self.alive():
            self.stop(signal.SIGTERM)  # nspawn asks the container's systemd to power off
        for m in reversed(self.mounted):
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def machine():
    if os.geteuid() != 0:
        pytest.skip("booting a container needs root")
    for tool in ("systemd-nspawn", "nsenter", "dig"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (packages systemd-container, util-linux, dnsutils)"
                        % tool)
    if not Path("/lib/systemd/systemd").exists():
        pytest.skip("this OS tree has no systemd to boot")
    env = (ROOT / "packaging" / "joyride.env").read_text()
    env += "".join("%s=%s\n" % kv for kv in ENV_OVERRIDES.items())
    m = Machine()
    try:
        try:
            m.prepare(env, (ROOT / "packaging" / "joyride.service").read_text())
        except subprocess.CalledProcessError as e:
            pytest.skip("cannot build an overlay of / here: %s" % e.stderr)
        t0 = time.monotonic()
        m.boot()
        m.boot_s = time.monotonic() - t0
        yield m
    finally:
        m.cleanup()


def test_unit_runs_hardened_notifies_and_is_restarted_by_the_watchdog(machine):
    m = machine
    has_docker = m.run("getent", "group", "docker").returncode == 0
    if not has_docker:
        pytest.skip("SupplementaryGroups=docker needs a docker group in this OS")
    t0 = time.monotonic()
    m.run("systemctl", "start", "joyride", check=True)  # Type=notify: returns after READY=1
    start_s = time.monotonic() - t0
    st = m.show("joyride", "ActiveState", "SubState", "MainPID", "StatusText", "NRestarts")
    assert st["ActiveState"] == "active" and st["SubState"] == "running", st
    pid = st["MainPID"]
    # a dynamic user (not root) with the docker group; DNS on port 53 all the same
    ps = m.run("ps", "-o", "user=,supgrp=", "-p", pid, check=True).stdout.split()
    assert ps[0] != "root" and "docker" in ps[1].split(","), ps
    assert m.dig("boot.joyride.test") == ["10.9.9.9"]
    # a new hosts file is answered within a second (inotify, ProtectSystem=strict)
    m.run("sh", "-c", "echo '10.9.9.10 live.joyride.test' >/etc/joyride/hosts/live", check=True)
    wait_until(lambda: m.dig("live.joyride.test") == ["10.9.9.10"], timeout=1.0,
               what="new hosts file answered")
    status = wait_until(lambda: (lambda s: s if s.startswith("2 records served") else None)(
        m.show("joyride", "StatusText")["StatusText"]), timeout=5.0, what="STATUS= updated")
    docker_socket = m.run("systemctl", "is-enabled", "docker.socket").stdout.strip() == "enabled"
    if docker_socket:  # the socket is reachable through SupplementaryGroups=docker
        status = wait_until(lambda: (lambda s: s if s.endswith("Docker connected") else None)(
            m.show("joyride", "StatusText")["StatusText"]), timeout=30.0, what="Docker connected")
    log = m.journal("joyride")
    assert "told systemd: ready" in log and "WATCHDOG=1 every 15000 ms" in log

    # watchdog: a process that stops answering is killed and restarted
    m.run("mkdir", "-p", "/etc/systemd/system/joyride.service.d", check=True)
    m.run("tee", "/etc/systemd/system/joyride.service.d/watchdog.conf",
          input="[Service]\nWatchdogSec=2s\n", check=True)
    m.run("systemctl", "daemon-reload", check=True)
    m.run("systemctl", "restart", "joyride", check=True)
    pid = m.show("joyride", "MainPID")["MainPID"]
    m.run("kill", "-STOP", pid, check=True)
    t1 = time.monotonic()
    new = wait_until(lambda: (lambda p: p if p not in ("0", pid) else None)(
        m.show("joyride", "MainPID")["MainPID"]), timeout=20.0, interval=0.1,
        what="restart by the watchdog")
    restart_s = time.monotonic() - t1
    log = m.journal("joyride")
    assert "Watchdog timeout (limit 2s)!" in log
    assert int(m.show("joyride", "NRestarts")["NRestarts"]) >= 1
    wait_until(lambda: m.show("joyride", "ActiveState")["ActiveState"] == "active",
               timeout=10.0, what="active again")
    assert m.dig("boot.joyride.test") == ["10.9.9.9"]

    t2 = time.monotonic()
    m.run("systemctl", "stop", "joyride", check=True)
    stop_s = time.monotonic() - t2
    st = m.show("joyride", "ActiveState", "Result")
    assert st["ActiveState"] == "inactive" and st["Result"] == "success", st
    assert "stopped in" in m.journal("joyride")
    exposure = m.run("systemd-analyze", "security", "joyride", "--no-pager").stdout
    score = [line for line in exposure.splitlines() if "Overall exposure level" in line]
    print("\nsystemd in nspawn booted in %.2f s; systemctl start (until READY=1) %.3f s; status "
          "'%s'; SIGSTOP -> new process %s after %.2f s (WatchdogSec=2s, RestartSec=2s); "
          "systemctl stop %.3f s; %s" % (m.boot_s, start_s, status, new, restart_s, stop_s,
                                         score[0].strip() if score else exposure[-200:]))
