"""The container image against a real Docker Engine (a private dockerd, as in test_docker): the
image `make image` builds (scripts/image.sh: FROM scratch, the binary under test, its libraries,
the example hosts, the Dockerfile's runtime metadata) is loaded into that daemon and run as users
run it: host network, the Docker socket mounted read-only, the socket's group added, an
unprivileged user. Network hygiene: every socket it opens is on a unique loopback address with
free ports, and discovery broadcasts only to 127.255.255.255.

Covers: image size (< 100 MB) and metadata, answers for the example hosts and for a labelled
container within a second of its start, the HEALTHCHECK (`joyride health`) reporting healthy,
NODE_ID derived from the hostname (joyride is PID 1 in the container), and `docker stop` ending
it with exit code 0 within a second."""

import os
import random
import shutil
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import JOYRIDE, ROOT, SAN_ENV, Node, free_port, unique_loopback, wait_until
from test_docker import LABEL, EventRecorder, PrivateDockerd, act_and_wait_answer

MAX_IMAGE_BYTES = 100 * 1000 * 1000
STOP_BOUND_S = 1.0


@pytest.fixture(scope="module")
def dockerd():
    if os.geteuid() != 0:
        pytest.skip("a private dockerd needs root")
    for tool in ("dockerd", "docker", "busybox", "ldd", "strip"):
        if not shutil.which(tool):
            pytest.skip("%s is not installed (packages docker.io, busybox-static, binutils)" % tool)
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


@pytest.fixture(scope="module")
def image(dockerd):
    """scripts/image.sh (what `make image` runs) with the binary under test, into our daemon."""
    tag = "joyride-test:%06x" % random.randrange(1 << 24)
    env = dict(os.environ, DOCKER_HOST=dockerd.docker_host)
    t0 = time.monotonic()
    r = subprocess.run([str(ROOT / "scripts" / "image.sh"), str(JOYRIDE), tag], env=env,
                       capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    info = dockerd.api.call("GET", "/images/%s/json" % urllib.parse.quote(tag, safe=""))
    print("\n%s built in %.2f s: %.1f MB (%s)" % (tag, took, info["Size"] / 1e6,
                                                   r.stdout.strip()))
    return tag, info


class ContainerNode:
    """joyride running in a container on the host network: the DNS/HTTP helpers of conftest.Node
    (they use only addr, dns_port and http_port)."""

    query = Node.query
    addresses = Node.addresses
    url = Node.url
    http = Node.http
    json = Node.json

    def __init__(self, dk, tag, extra_env=None):
        self.dk = dk
        self.addr = unique_loopback()
        self.dns_port = free_port(self.addr)
        self.http_port = free_port(self.addr, both=False)
        env = {
            "DNS_BIND_ADDRESS": self.addr, "HTTP_BIND_ADDRESS": self.addr,
            "CLUSTER_BIND_ADDRESS": self.addr, "HOSTIP": self.addr,
            "DNS_PORT": self.dns_port, "HTTP_PORT": self.http_port,
            "SWIM_PORT": free_port(self.addr), "DISCOVERY_PORT": free_port(self.addr),
            "DISCOVERY_BROADCAST": "127.255.255.255", "DNS_WORKERS": 2, "LOG_LEVEL": "DEBUG",
            **SAN_ENV, **(extra_env or {}),
        }
        gid = os.stat(dk.sock).st_gid
        body = {
            "Image": tag,
            "Env": ["%s=%s" % kv for kv in env.items()],
            # the image's HEALTHCHECK command, asked every 200 ms instead of every 10 s
            "Healthcheck": {"Interval": 200 * 1000 * 1000},
            "HostConfig": {
                "NetworkMode": "host",
                "Binds": ["%s:/var/run/docker.sock:ro" % dk.sock],
                "GroupAdd": [str(gid)],
            },
        }
        self.id = dk.api.call("POST", "/containers/create", body)["Id"]
        dk.api.created.add(self.id)

    def start(self):
        self.dk.api.start(self.id)

    def inspect(self):
        return self.dk.api.call("GET", "/containers/%s/json" % self.id)

    def logs(self):
        raw = self.dk.api.call("GET", "/containers/%s/logs?stdout=1&stderr=1" % self.id,
                               parse=False)
        out, i = [], 0
        while i + 8 <= len(raw):  # multiplexed frames: 8-byte header, then the payload
            n = int.from_bytes(raw[i + 4:i + 8], "big")
            out.append(raw[i + 8:i + 8 + n])
            i += 8 + n
        return b"".join(out).decode(errors="replace")

    def wait_ready(self, timeout=15.0):
        def ready():
            st = self.inspect()["State"]
            if not st["Running"]:
                raise AssertionError("container exited %s:\n%s" % (st["ExitCode"], self.logs()))
            return self.http("/health", timeout=1.0)[0] == 200 and self.query(
                "ready.invalid.", "A", timeout=0.5) is not None
        wait_until(ready, timeout=timeout, what="joyride in its container ready")


@pytest.fixture
def container(dockerd, image):
    made = []

    def make(**env):
        c = ContainerNode(dockerd, image[0], env)
        made.append(c)
        return c

    yield make
    for c in made:
        dockerd.api.remove(c.id)
    dockerd.remove_all_containers()


def test_image_size_and_metadata(image):
    tag, info = image
    assert info["Size"] < MAX_IMAGE_BYTES, "image is %.1f MB" % (info["Size"] / 1e6)
    cfg = info["Config"]
    assert cfg["User"] == "joyride"
    assert cfg["Entrypoint"] == ["/usr/bin/joyride"]
    assert cfg["StopSignal"] == "SIGTERM"
    assert cfg["WorkingDir"] == "/app"
    assert cfg["Healthcheck"]["Test"] == ["CMD", "/usr/bin/joyride", "health"]
    assert {"5353/udp", "5353/tcp", "5000/tcp"} <= set(cfg["ExposedPorts"])
    # the same metadata as the Dockerfile's runtime stage, which the user's `docker build` uses
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "USER joyride" in runtime and "STOPSIGNAL SIGTERM" in runtime
    assert 'CMD ["/usr/bin/joyride", "health"]' in runtime
    assert 'ENTRYPOINT ["/usr/bin/joyride"]' in runtime


def test_container_answers_is_healthy_and_stops_fast(dockerd, container):
    c = container()
    t0 = time.monotonic()
    c.start()
    c.wait_ready()
    up = time.monotonic() - t0
    assert c.addresses("web.joyride.test") == ["127.0.0.10"]  # the example hosts in /app/hosts
    assert c.json("/status")[1]["docker_monitor"]["connected"] is True
    # PID 1 in its own PID namespace: the node id comes from the hostname (the host's, on the
    # host network), not joyride-1
    status, cluster = c.json("/dns/cluster")
    assert status == 200
    assert cluster["cluster"]["node_id"] == "joyride-" + socket.gethostname()

    name = "img-%06x.example.com" % random.randrange(1 << 24)
    cid = dockerd.api.create({LABEL: name})
    rec = EventRecorder(dockerd.api)
    try:
        t1 = time.monotonic()
        answered = act_and_wait_answer(c, lambda: dockerd.api.start(cid), name, [c.addr],
                                       timeout=5.0)
        answer = time.monotonic() - t1
        event_ms = rec.latencies_ms({(cid, "up"): answered})["up"][0]
    finally:
        rec.close()
    # within a second of the container's start (the daemon's own event time; the start call
    # itself, runc setting the container up, takes up to a second on a loaded machine)
    assert event_ms < 1000, "labelled container answered %.1f ms after its start event" % event_ms

    health = wait_until(lambda: (c.inspect()["State"].get("Health") or {}).get("Status") == "healthy"
                        and c.inspect()["State"]["Health"], timeout=15.0, what="docker health")
    assert health["Log"][-1]["ExitCode"] == 0
    out = health["Log"][-1]["Output"]
    assert out.startswith("healthy: ") and "at http://%s:%d" % (c.addr, c.http_port) in out, out

    t2 = time.monotonic()
    dockerd.api.stop(c.id, t=10)
    stop = time.monotonic() - t2
    st = c.inspect()["State"]
    print("\njoyride container: ready %.3f s after start; a labelled container answered %.3f s "
          "after its start call (%.1f ms after the daemon's start event); healthy; docker stop "
          "took %.3f s (exit %d)" % (up, answer, event_ms, stop, st["ExitCode"]))
    assert st["ExitCode"] == 0, c.logs()[-3000:]
    assert stop < STOP_BOUND_S, "docker stop took %.3f s" % stop
    assert "stopped in" in c.logs()


def test_health_reports_unhealthy_without_http(dockerd, container):
    """The HEALTHCHECK command fails (1) when nothing answers /health: here it asks a port joyride
    does not serve (the check runs with the container's environment)."""
    c = container()
    c.start()
    c.wait_ready()
    r = dockerd.api.call("POST", "/containers/%s/exec" % c.id, {
        "Cmd": ["/usr/bin/joyride", "health", "--api",
                "http://%s:%d" % (c.addr, free_port(c.addr, both=False))],
        "AttachStdout": True, "AttachStderr": True})
    dockerd.api.call("POST", "/exec/%s/start" % r["Id"], {"Detach": False}, parse=False)
    res = wait_until(lambda: (lambda x: x if not x["Running"] else None)(
        dockerd.api.call("GET", "/exec/%s/json" % r["Id"])), timeout=10.0, what="exec done")
    assert res["ExitCode"] == 1


def test_compose_file_runs_the_image(dockerd, image, tmp_path):
    """docker-compose.yml as shipped, with an override that keeps every socket on loopback: the
    service comes up on the host network with the socket mounted, answers for the example hosts
    and a labelled container, turns healthy, and `docker-compose down` stops it."""
    exe = shutil.which("docker-compose")
    if not exe:
        pytest.skip("docker-compose is not installed (package docker-compose)")
    addr = unique_loopback()
    dns_port, http_port = free_port(addr), free_port(addr, both=False)
    override = tmp_path / "override.yml"
    override.write_text("""services:
  joyride:
    image: %s
    environment:
      DNS_BIND_ADDRESS: "%s"
      HTTP_BIND_ADDRESS: "%s"
      CLUSTER_BIND_ADDRESS: "%s"
      DISCOVERY_BROADCAST: 127.255.255.255
      DNS_PORT: "%d"
      HTTP_PORT: "%d"
      SWIM_PORT: "%d"
      DISCOVERY_PORT: "%d"
      ASAN_OPTIONS: "%s"
    healthcheck:
      interval: 200ms
""" % (image[0], addr, addr, addr, dns_port, http_port, free_port(addr), free_port(addr),
       SAN_ENV["ASAN_OPTIONS"]))
    project = "jrtest%06x" % random.randrange(1 << 24)
    env = dict(os.environ, DOCKER_HOST=dockerd.docker_host, HOSTIP=addr, DOCKER_SOCKET=dockerd.sock,
               DOCKER_GID=str(os.stat(dockerd.sock).st_gid))
    cmd = [exe, "-p", project, "-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]

    def compose(*args):
        return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)

    r = compose("up", "-d", "--no-build")
    cid = None
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        node = ContainerNode.__new__(ContainerNode)
        node.addr, node.dns_port, node.http_port = addr, dns_port, http_port
        wait_until(lambda: node.http("/health", timeout=1.0)[0] == 200, timeout=15.0,
                   what="joyride from compose ready")
        assert node.addresses("web.joyride.test") == ["127.0.0.10"]  # ./hosts mounted
        name = "compose-%06x.example.com" % random.randrange(1 << 24)
        act_and_wait_answer(node, lambda: dockerd.api.run({LABEL: name}), name, [addr])
        ours = [c for c in dockerd.api.ps() if c["Labels"].get(
            "com.docker.compose.project") == project]
        assert len(ours) == 1
        cid = ours[0]["Id"]
        wait_until(lambda: dockerd.api.call("GET", "/containers/%s/json" % cid)["State"][
            "Health"]["Status"] == "healthy", timeout=15.0, what="compose service healthy")
    finally:
        t0 = time.monotonic()
        down = compose("down")
        took = time.monotonic() - t0
    assert down.returncode == 0, down.stdout + down.stderr
    print("\ndocker-compose down took %.2f s" % took)
    assert all(c["Id"] != cid for c in dockerd.api.ps(all_=True))
