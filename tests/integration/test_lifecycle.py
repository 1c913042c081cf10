"""Lifecycle of the real binary: SIGTERM and SIGINT stop it cleanly within a second (exit 0, which
under ASan also means nothing leaked; every port free again), even with clients connected; a port
already in use makes it exit 1 with one line naming the port."""

import signal
import socket
import subprocess
import time

import pytest

from conftest import JOYRIDE, free_port, node_env, unique_loopback, wait_until

STOP_BOUND_S = 1.0


def timed_stop(node, sig):
    t0 = time.monotonic()
    node.proc.send_signal(sig)
    rc = node.proc.wait(timeout=10)
    return rc, time.monotonic() - t0


def ports_free(addr, dns_port, http_port):
    """Binding every port the node used succeeds (its sockets are closed)."""
    socks = []
    try:
        for kind, port in ((socket.SOCK_DGRAM, dns_port), (socket.SOCK_STREAM, dns_port),
                           (socket.SOCK_STREAM, http_port)):
            s = socket.socket(socket.AF_INET, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            socks.append(s)
            s.bind((addr, port))
        return True
    finally:
        for s in socks:
            s.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(joyride, sig):
    node = joyride(hosts={"h": "10.1.1.1 alive.test\n"})
    assert node.addresses("alive.test") == ["10.1.1.1"]
    assert node.http("/status")[0] == 200
    rc, took = timed_stop(node, sig)
    assert rc == 0, node.log()[-3000:]
    assert took < STOP_BOUND_S, "stop took %.3f s" % took
    log = node.log()
    assert "stopping" in log and "stopped in" in log
    assert ports_free(node.addr, node.dns_port, node.http_port)


def test_stop_with_clients_connected(joyride):
    """Idle DNS-over-TCP and HTTP keep-alive connections do not delay the stop."""
    node = joyride(hosts={"h": "10.1.1.2 busy.test\n"})
    dns_tcp = socket.create_connection((node.addr, node.dns_port), timeout=2)
    http = socket.create_connection((node.addr, node.http_port), timeout=2)
    http.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert http.recv(100).startswith(b"HTTP/1.1 200")
    half = socket.create_connection((node.addr, node.http_port), timeout=2)
    half.sendall(b"GET /status HTTP/1.1\r\n")  # a request that never finishes
    try:
        rc, took = timed_stop(node, signal.SIGTERM)
    finally:
        for s in (dns_tcp, http, half):
            s.close()
    assert rc == 0, node.log()[-3000:]
    assert took < STOP_BOUND_S, "stop took %.3f s" % took


def start_expecting_exit(env, cwd):
    p = subprocess.run([str(JOYRIDE)], env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=15, stdin=subprocess.DEVNULL)
    return p.returncode, p.stderr


@pytest.mark.parametrize("kind", ["udp", "tcp"])
def test_dns_port_in_use(tmp_path, kind):
    env = node_env()
    addr, port = env["DNS_BIND_ADDRESS"], int(env["DNS_PORT"])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind((addr, port))
    if kind == "tcp":
        s.listen(1)
    try:
        rc, err = start_expecting_exit(env, tmp_path)
    finally:
        s.close()
    assert rc == 1, err
    lines = [l for l in err.splitlines() if l.startswith("joyride: ")]
    assert len(lines) == 1, err
    assert str(port) in lines[0] and "in use" in lines[0], lines[0]
    assert "DNS" in lines[0]


def test_http_port_in_use(tmp_path):
    env = node_env()
    addr, port = env["HTTP_BIND_ADDRESS"], int(env["HTTP_PORT"])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, port))
    s.listen(1)
    try:
        rc, err = start_expecting_exit(env, tmp_path)
    finally:
        s.close()
    assert rc == 1, err
    lines = [l for l in err.splitlines() if l.startswith("joyride: ")]
    assert lines == ["joyride: HTTP port %d on %s is already in use" % (port, addr)], err
    # the DNS port it had already bound is released again
    assert ports_free(addr, int(env["DNS_PORT"]), free_port(addr, both=False))


def test_startup_log_line(joyride):
    node = joyride(hosts={"h": "10.1.1.3 log.test\n"})
    log = node.log()
    line = [l for l in log.splitlines() if " started: DNS " in l]
    assert line, log
    assert "%s:%d" % (node.addr, node.dns_port) in line[0]
    assert "HTTP %s:%d" % (node.addr, node.http_port) in line[0]
    assert " INFO " in line[0] and "main:" in line[0]


def cluster_env(**extra):
    """Overrides for node_env: cluster sync on, a free SWIM port on the node's own loopback
    address, no broadcast discovery."""
    addr = unique_loopback()
    return {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
            "SWIM_PORT": str(free_port(addr)), **extra}


def test_stop_with_cluster_peer(joyride):
    """With a live peer the node leaves the cluster on the way out, still within the bound."""
    a_env = cluster_env()
    a = joyride(env=a_env)
    b = joyride(env=cluster_env(CLUSTER_SEEDS="%s:%s" % (a.addr, a_env["SWIM_PORT"])))

    def joined():
        code, body = b.json("/dns/cluster")
        return code == 200 and body["cluster"]["swim_cluster"]["alive_members"] >= 2
    wait_until(joined, timeout=15, what="the two nodes to form a cluster")
    _, status = b.json("/status")
    assert status["dns_sync_cluster"] == {"enabled": True, "running": True}
    rc, took = timed_stop(b, signal.SIGTERM)
    assert rc == 0, b.log()[-3000:]
    assert took < STOP_BOUND_S, "stop took %.3f s" % took
    assert "left the cluster" in b.log()


def test_swim_port_in_use(tmp_path):
    env = node_env(**cluster_env())
    addr, port = env["CLUSTER_BIND_ADDRESS"], int(env["SWIM_PORT"])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    try:
        rc, err = start_expecting_exit(env, tmp_path)
    finally:
        s.close()
    assert rc == 1, err
    lines = [l for l in err.splitlines() if l.startswith("joyride: ")]
    assert len(lines) == 1 and str(port) in lines[0], err
