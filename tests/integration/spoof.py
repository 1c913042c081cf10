"""Hostile discovery traffic for tests and benchmarks: spoofed datagrams to the loopback
broadcast address (where every node's discovery socket listens), a TCP listener counting the
connections made to the address spoofed announces name, and a receiver of what real nodes
broadcast. Everything stays on 127.0.0.0/8."""

import json
import socket
import threading
import time

from conftest import unique_loopback

BCAST = "127.255.255.255"


def shared_discovery_port():
    """A UDP port free on the broadcast address (where every node's discovery socket binds)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((BCAST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def announce(node_id, ip, swim_port, kind="announce"):
    """A plain discovery message in the documented shape."""
    now = time.time()
    return json.dumps({
        "message_type": kind,
        "node_info": {"node_id": node_id, "hostname": "h", "ip_address": ip, "port": 5000,
                      "service_type": "joyride-dns", "last_seen": now,
                      "metadata": {"version": "0.1.0", "role": "dns-server",
                                   "swim_port": swim_port}},
        "timestamp": now}, separators=(",", ":")).encode()


class Spoofer:
    """Sends datagrams to the loopback broadcast address from its own loopback address."""

    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.bind((unique_loopback(), 0))
        self.sent = 0

    def send(self, data):
        self.sock.sendto(data, (BCAST, self.port))
        self.sent += 1
        if self.sent % 50 == 0:
            time.sleep(0.002)  # pacing, so the node's socket buffer takes (nearly) all of them

    def close(self):
        self.sock.close()


class Listener:
    """The address the spoofed announces name: TCP on a loopback address of its own, counting
    every connection made to it."""

    def __init__(self):
        self.addr = unique_loopback()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((self.addr, 0))
        self.sock.listen(1024)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            c.close()

    def close(self):
        self._stop.set()
        self._t.join(2)
        self.sock.close()


class Sniffer:
    """Receives what nodes broadcast on the discovery port (shares it, as the nodes do)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.sock.bind((BCAST, port))
        self.sock.settimeout(5)

    def from_node(self, node_id, timeout=5):
        """The next datagram node_id broadcasts (signed or plain)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.sock.recv(4096)
            msg = json.loads(data)
            inner = json.loads(msg["payload"]) if "payload" in msg else msg
            if inner.get("node_info", {}).get("node_id") == node_id:
                return data
        raise AssertionError("heard nothing from %s" % node_id)

    def close(self):
        self.sock.close()
