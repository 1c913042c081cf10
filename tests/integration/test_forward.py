"""Forwarding and its cache against the real binary: a real upstream (knotd serving a small zone on
a unique loopback address) and scripted Python upstreams (slow, truncating, spoofing, SERVFAIL,
counting) on loopback. Nothing is ever sent to a real resolver."""

import re
import shutil
import socket
import struct
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from conftest import free_port, unique_loopback, wait_until
from proc import Proc

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
ZONE = "fwd.test"


class Knot(Proc):
    """knotd authoritative for fwd.test on addr:port."""

    def __init__(self, tmp, addr, port, ttl=300):
        self.addr, self.port = addr, port
        d = tmp / ("knot-%d" % port)
        (d / "db").mkdir(parents=True)
        (d / "z.zone").write_text("""$ORIGIN fwd.test.
$TTL %d
@ SOA ns.fwd.test. hostmaster.fwd.test. 1 3600 600 86400 120
@ NS ns
ns A 127.0.0.1
www A 192.0.2.10
owned A 192.0.2.99
b A 192.0.2.98
big TXT "%s" "%s" "%s"
""" % (ttl, "a" * 200, "b" * 200, "c" * 200))
        (d / "knot.conf").write_text("""server:
    listen: %s@%d
    rundir: %s
database:
    storage: %s/db
log:
  - target: stderr
    any: error
zone:
  - domain: fwd.test
    file: %s/z.zone
""" % (addr, port, d, d, d))
        self.start_proc([KNOTD, "-c", d / "knot.conf"], d / "knot.log")

        def up():
            q = dns.message.make_query("www.fwd.test", "A")
            return dns.query.udp(q, addr, port=port, timeout=0.5).answer
        wait_until(up, timeout=10, what="knotd answering")

    @property
    def target(self):
        return "%s:%d" % (self.addr, self.port)


class Fake:
    """A scripted upstream on UDP (and TCP) at addr:port. handler(query, tcp) returns a list of
    (delay seconds, dns.message.Message or raw bytes) to send back. Counts what it received."""

    def __init__(self, addr, handler, port=None):
        self.addr = addr
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.handler = handler
        self.udp_queries = []
        self.udp_peers = []
        self.tcp_queries = []
        self.stopping = False
        self.u = socket.socket(fam, socket.SOCK_DGRAM)
        self.u.bind((addr, port or 0))
        self.port = self.u.getsockname()[1]
        self.u.settimeout(0.05)
        self.t = socket.socket(fam, socket.SOCK_STREAM)
        self.t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.t.bind((addr, self.port))
        self.t.listen(16)
        self.t.settimeout(0.05)
        self.threads = [threading.Thread(target=self._udp, daemon=True),
                        threading.Thread(target=self._tcp, daemon=True)]
        for th in self.threads:
            th.start()

    @property
    def target(self):
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "%s:%d" % (self.addr, self.port)

    @staticmethod
    def wire(m):
        return m if isinstance(m, bytes) else m.to_wire()

    def _udp(self):
        while not self.stopping:
            try:
                data, peer = self.u.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            q = dns.message.from_wire(data)
            self.udp_queries.append(q)
            self.udp_peers.append(peer)
            for delay, m in self.handler(q, False):
                threading.Timer(delay, self._send, (self.wire(m), peer)).start()

    def _send(self, data, peer):
        if not self.stopping:
            try:
                self.u.sendto(data, peer)
            except OSError:
                pass

    def _tcp(self):
        while not self.stopping:
            try:
                c, _ = self.t.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with c:
                c.settimeout(2)
                try:
                    n = struct.unpack("!H", c.recv(2))[0]
                    data = b""
                    while len(data) < n:
                        data += c.recv(n - len(data))
                    q = dns.message.from_wire(data)
                    self.tcp_queries.append(q)
                    for delay, m in self.handler(q, True):
                        time.sleep(delay)
                        w = self.wire(m)
                        c.sendall(struct.pack("!H", len(w)) + w)
                except (OSError, struct.error):
                    pass

    def stop(self):
        self.stopping = True
        self.u.close()
        self.t.close()
        for th in self.threads:
            th.join(2)


def a_answer(q, address, ttl=60):
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text(q.question[0].name, ttl, "IN", "A", address))
    return r


@pytest.fixture
def fakes():
    made = []

    def make(addr, handler, port=None):
        f = Fake(addr, handler, port)
        made.append(f)
        return f
    yield make
    for f in made:
        f.stop()


@pytest.fixture
def knot(tmp_path):
    made = []

    def make(addr=None, ttl=300):
        addr = addr or unique_loopback()
        k = Knot(tmp_path, addr, free_port(addr), ttl)
        made.append(k)
        return k
    yield make
    for k in made:
        k.stop()


def ask(node, name, rdtype="A", tcp=False, timeout=3.0, **kw):
    return node.query(name, rdtype, tcp=tcp, timeout=timeout, **kw)


def addrs(r):
    return sorted(rd.address for rs in r.answer if rs.rdtype == dns.rdatatype.A for rd in rs)


def metric(node, name):
    _, _, body = node.http("/metrics")
    total = 0.0
    found = False
    for line in body.decode().splitlines():
        m = re.match(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), line)
        if m:
            total += float(m.group(2))
            found = True
    assert found, "metric %s missing" % name
    return total


def test_forwarded_answer_udp_and_tcp(joyride, knot):
    k = knot()
    n = joyride(env={"DNS_FORWARDERS": k.target})
    for tcp in (False, True):
        r = ask(n, "WwW.Fwd.TEST", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert addrs(r) == ["192.0.2.10"]
        assert r.flags & dns.flags.RA and not r.flags & dns.flags.AA
        assert str(r.question[0].name) == "WwW.Fwd.TEST."  # the client's case
        assert str(r.answer[0].name) in ("WwW.Fwd.TEST.", "www.fwd.test.")
        assert 290 <= r.answer[0].ttl <= 300
    r = ask(n, "nothing.fwd.test")
    assert r.rcode() == dns.rcode.NXDOMAIN and not r.flags & dns.flags.AA
    assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA


def test_big_answer_truncated_for_small_client(joyride, knot):
    k = knot()
    n = joyride(env={"DNS_FORWARDERS": k.target})
    q = dns.message.make_query("big.fwd.test", "TXT", use_edns=0, payload=512)
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
    assert r.flags & dns.flags.TC and not r.answer
    r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3)
    assert not r.flags & dns.flags.TC and len(b"".join(r.answer[0][0].strings)) == 600
    q = dns.message.make_query("big.fwd.test", "TXT", use_edns=0, payload=1232)
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
    assert not r.flags & dns.flags.TC and r.answer


def test_owned_and_domain_names_never_forwarded(joyride, knot):
    k = knot()
    n = joyride(hosts={"h": "10.9.9.9 owned.fwd.test\n10.9.9.8 a.b.fwd.test\n"},
                env={"DNS_FORWARDERS": k.target})
    r = ask(n, "owned.fwd.test")
    assert addrs(r) == ["10.9.9.9"] and r.flags & dns.flags.AA
    r = ask(n, "b.fwd.test")  # an empty non-terminal of ours; the upstream has an address
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.flags & dns.flags.AA
    assert addrs(ask(n, "www.fwd.test")) == ["192.0.2.10"]

    d = joyride(env={"DNS_FORWARDERS": k.target, "DNS_DOMAINS": ZONE})
    r = ask(d, "www.fwd.test")  # inside DNS_DOMAINS: ours, so NXDOMAIN with our SOA
    assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AA
    assert str(r.authority[0][0].rname) == "hostmaster.fwd.test."
    mname = str(r.authority[0][0].mname)  # ours, this node's NS name; the upstream says ns.fwd.test.
    assert mname.endswith(".ns.fwd.test.") and mname != "ns.fwd.test."


def test_conditional_zone_goes_to_its_upstream(joyride, knot, fakes):
    k = knot()
    corp = fakes(unique_loopback(), lambda q, tcp: [(0, a_answer(q, "10.1.1.1"))])
    n = joyride(env={"DNS_FORWARDERS": k.target,
                     "DNS_FORWARD_ZONES": "corp.test=%s" % corp.target})
    assert addrs(ask(n, "x.corp.test")) == ["10.1.1.1"]
    assert addrs(ask(n, "www.fwd.test")) == ["192.0.2.10"]
    assert [str(q.question[0].name) for q in corp.udp_queries] == ["x.corp.test."]
    # the longest matching zone wins
    dev = fakes(unique_loopback(), lambda q, tcp: [(0, a_answer(q, "10.1.1.2"))])
    m = joyride(env={"DNS_FORWARDERS": k.target, "DNS_FORWARD_ZONES": "corp.test=%s,dev.corp.test=%s"
                     % (corp.target, dev.target)})
    assert addrs(ask(m, "x.dev.corp.test")) == ["10.1.1.2"]
    assert addrs(ask(m, "dev.corp.test")) == ["10.1.1.2"]
    assert addrs(ask(m, "y.corp.test")) == ["10.1.1.1"]
    assert addrs(ask(m, "xdev.corp.test")) == ["10.1.1.1"]  # a label boundary, not a string suffix
    # only a zone configured: other names get the unknown-name action, nothing is forwarded
    z = joyride(env={"DNS_FORWARD_ZONES": "corp.test=%s" % corp.target})
    assert ask(z, "www.fwd.test").rcode() == dns.rcode.NXDOMAIN


def test_upstream_down_servfail_within_timeout(joyride, fakes):
    addr = unique_loopback()
    closed = "%s:%d" % (addr, free_port(addr))  # nothing listens: ICMP port unreachable
    n = joyride(env={"DNS_FORWARDERS": closed, "DNS_FORWARD_TIMEOUT": "1s"})
    t0 = time.monotonic()
    r = ask(n, "www.example.org")
    assert r.rcode() == dns.rcode.SERVFAIL and r.flags & dns.flags.RA
    assert time.monotonic() - t0 < 1.5
    silent = fakes(unique_loopback(), lambda q, tcp: [])
    s = joyride(env={"DNS_FORWARDERS": silent.target, "DNS_FORWARD_TIMEOUT": "1s"})
    wait_until(lambda: len(silent.udp_queries) > 0, what="ready probe forwarded")
    t0 = time.monotonic()
    r = ask(s, "silent.example.org")
    took = time.monotonic() - t0
    assert r.rcode() == dns.rcode.SERVFAIL and 0.7 < took < 1.5, took


def test_ipv6_upstream(joyride, fakes):
    up = fakes("::1", lambda q, tcp: [(0, a_answer(q, "10.8.8.8"))])
    n = joyride(env={"DNS_FORWARDERS": up.target})
    assert addrs(ask(n, "v6.example.org")) == ["10.8.8.8"]
    assert addrs(ask(n, "v6.example.org", tcp=True)) == ["10.8.8.8"]
    assert any(str(q.question[0].name) == "v6.example.org." for q in up.udp_queries)


def test_dnssec_bits_payload_and_ports(joyride, fakes):
    def handler(q, tcp):
        r = a_answer(q, "10.5.5.5")
        r.flags |= dns.flags.AD
        if q.ednsflags & dns.flags.DO:
            r.answer.append(dns.rrset.from_text(
                q.question[0].name, 60, "IN", "RRSIG",
                "A 13 3 60 20300101000000 20200101000000 12345 example.org. "
                "c2lnbmF0dXJlIGJ5dGVzIHVuY2hhbmdlZA=="))
        return [(0, r)]
    up = fakes(unique_loopback(), handler)
    n = joyride(env={"DNS_FORWARDERS": up.target})
    before = len(up.udp_queries)
    r = ask(n, "sec.example.org", want_dnssec=True)
    assert not r.flags & dns.flags.AD and r.ednsflags & dns.flags.DO
    sig = [rs for rs in r.answer if rs.rdtype == dns.rdatatype.RRSIG]
    assert sig and sig[0][0].signature == b"signature bytes unchanged"
    r = ask(n, "sec.example.org")  # no DO: its own cache entry, its own upstream query
    assert not [rs for rs in r.answer if rs.rdtype == dns.rdatatype.RRSIG]
    asked = up.udp_queries[before:]
    assert [bool(q.ednsflags & dns.flags.DO) for q in asked] == [True, False]
    assert all(q.edns == 0 and q.payload == 1232 for q in asked)
    for i in range(8):
        ask(n, "port%d.example.org" % i)
    ports = [p[1] for p in up.udp_peers[before:]]
    assert len(set(ports)) == len(ports), ports  # a fresh random source port per query
    ids = [q.id for q in up.udp_queries[before:]]
    assert len(set(ids)) >= len(ids) - 1, ids  # random IDs (a 16-bit clash is possible, rarely)


def test_cache_size_bound(joyride, fakes):
    up = fakes(unique_loopback(), lambda q, tcp: [(0, a_answer(q, "10.9.0.1"))])
    n = joyride(env={"DNS_FORWARDERS": up.target, "DNS_CACHE_SIZE": "3"})
    for i in range(10):
        ask(n, "evict%d.example.org" % i)
    assert metric(n, "joyride_dns_cache_entries") <= 3
    assert metric(n, "joyride_dns_cache_evictions_total") >= 7
    before = len(up.udp_queries)
    ask(n, "evict9.example.org")  # recent: still cached
    ask(n, "evict0.example.org")  # evicted: asked again
    assert [str(q.question[0].name) for q in up.udp_queries[before:]] == ["evict0.example.org."]


def test_slow_upstream_fails_over(joyride, fakes):
    slow = fakes(unique_loopback(), lambda q, tcp: [(2.0, a_answer(q, "10.6.6.6"))])
    fast = fakes(unique_loopback(), lambda q, tcp: [(0, a_answer(q, "10.7.7.7"))])
    n = joyride(env={"DNS_FORWARDERS": "%s,%s" % (slow.target, fast.target)}, ready=False)
    n.wait_ready()
    times = []
    for i in range(6):
        t0 = time.monotonic()
        r = ask(n, "n%d.example.org" % i)
        times.append(time.monotonic() - t0)
        assert addrs(r) == ["10.7.7.7"]
    assert max(times) < 1.5, times
    # after the first failover the fast one is preferred (smoothed RTT)
    assert sorted(times)[3] < 0.3, times


def test_truncated_udp_answer_retried_over_tcp(joyride, fakes):
    def handler(q, tcp):
        r = a_answer(q, "10.3.3.3")
        if not tcp:
            r.answer = []
            r.flags |= dns.flags.TC
        return [(0, r)]
    up = fakes(unique_loopback(), handler)
    n = joyride(env={"DNS_FORWARDERS": up.target})
    r = ask(n, "tc.example.org")
    assert addrs(r) == ["10.3.3.3"] and not r.flags & dns.flags.TC
    assert any(str(q.question[0].name) == "tc.example.org." for q in up.tcp_queries)


def test_spoofed_answers_dropped(joyride, fakes):
    def handler(q, tcp):
        wrong_id = a_answer(q, "10.6.6.1")
        wrong_id.id = (q.id + 1) & 0xFFFF
        other = dns.message.make_query("other.example.org", "A")
        other.id = q.id
        wrong_q = a_answer(other, "10.6.6.2")
        wrong_q.flags |= dns.flags.QR
        return [(0, wrong_id), (0.02, wrong_q), (0.05, a_answer(q, "10.2.2.2"))]
    up = fakes(unique_loopback(), handler)
    n = joyride(env={"DNS_FORWARDERS": up.target})
    before = metric(n, "joyride_dns_forward_spoofed_total")
    r = ask(n, "spoof.example.org")
    assert addrs(r) == ["10.2.2.2"]
    wait_until(lambda: metric(n, "joyride_dns_forward_spoofed_total") >= before + 2,
               what="spoofed answers counted")


def test_servfail_passed_through(joyride, fakes):
    def handler(q, tcp):
        r = dns.message.make_response(q)
        r.set_rcode(dns.rcode.SERVFAIL)
        return [(0, r)]
    up = fakes(unique_loopback(), handler)
    n = joyride(env={"DNS_FORWARDERS": up.target})
    t0 = time.monotonic()
    assert ask(n, "broken.example.org").rcode() == dns.rcode.SERVFAIL
    assert time.monotonic() - t0 < 0.5


def test_cache_hit_and_negative_cache(joyride, knot):
    k = knot()
    n = joyride(env={"DNS_FORWARDERS": k.target})
    first = ask(n, "www.fwd.test")
    assert ask(n, "nx.fwd.test").rcode() == dns.rcode.NXDOMAIN
    k.stop()
    time.sleep(1.1)
    r = ask(n, "www.fwd.test")
    assert addrs(r) == ["192.0.2.10"]
    assert r.answer[0].ttl < first.answer[0].ttl  # counted down
    r = ask(n, "nx.fwd.test")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].ttl <= 120
    assert metric(n, "joyride_dns_cache_hits_total") >= 2


def test_cache_expiry_and_serve_stale(joyride, fakes):
    counter = {"n": 0}

    def handler(q, tcp):
        counter["n"] += 1
        return [(0, a_answer(q, "10.0.0.%d" % counter["n"], ttl=1))]
    up = fakes(unique_loopback(), handler)
    n = joyride(env={"DNS_FORWARDERS": up.target, "DNS_FORWARD_TIMEOUT": "1s"})
    base = counter["n"]
    a1 = addrs(ask(n, "exp.example.org"))
    assert addrs(ask(n, "exp.example.org")) == a1  # cached: the upstream was asked once
    assert counter["n"] == base + 1
    time.sleep(1.2)
    a2 = addrs(ask(n, "exp.example.org"))
    assert a2 != a1 and counter["n"] == base + 2  # expired: asked again
    up.stop()
    time.sleep(1.2)
    r = ask(n, "exp.example.org")
    assert addrs(r) == a2 and r.answer[0].ttl == 30  # RFC 8767 stale answer


def test_coalescing_one_upstream_query(joyride, fakes):
    up = fakes(unique_loopback(), lambda q, tcp: [(0.3, a_answer(q, "10.4.4.4"))])
    n = joyride(env={"DNS_FORWARDERS": up.target})
    before = len(up.udp_queries)
    results = []

    def one():
        results.append(addrs(ask(n, "same.example.org")))
    th = [threading.Thread(target=one) for _ in range(20)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert results == [["10.4.4.4"]] * 20
    asked = [q for q in up.udp_queries[before:] if str(q.question[0].name) == "same.example.org."]
    assert len(asked) == 1


def test_access_control(joyride, knot):
    k = knot()
    n = joyride(hosts={"h": "10.9.9.9 owned.fwd.test\n"},
                env={"DNS_FORWARDERS": k.target, "DNS_FORWARD_ALLOW": "127.0.0.2/32"})
    q = dns.message.make_query("www.fwd.test", "A")
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3, source="127.0.0.3")
    assert r.rcode() == dns.rcode.REFUSED
    r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3, source="127.0.0.3")
    assert r.rcode() == dns.rcode.REFUSED
    q2 = dns.message.make_query("owned.fwd.test", "A")
    r = dns.query.udp(q2, n.addr, port=n.dns_port, timeout=3, source="127.0.0.3")
    assert addrs(r) == ["10.9.9.9"]
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3, source="127.0.0.2")
    assert addrs(r) == ["192.0.2.10"]
    r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3, source="127.0.0.2")
    assert addrs(r) == ["192.0.2.10"]


@pytest.mark.parametrize("var,value,msg", [
    ("DNS_FORWARDERS", "not-an-ip", "DNS_FORWARDERS: not-an-ip is not ip[:port]"),
    ("DNS_FORWARDERS", "127.0.0.1:0", "DNS_FORWARDERS: 127.0.0.1:0 is not ip[:port]"),
    ("DNS_FORWARD_ZONES", "corp=", "DNS_FORWARD_ZONES: corp=: "),
    ("DNS_FORWARD_ZONES", "10.0.0.1", "DNS_FORWARD_ZONES: 10.0.0.1 is not zone=ip[:port]"),
    ("DNS_FORWARD_ALLOW", "10.0.0.0/33", "DNS_FORWARD_ALLOW: 10.0.0.0/33 is not an address"),
    ("DNS_FORWARD_TIMEOUT", "soon", "DNS_FORWARD_TIMEOUT: soon is not a duration"),
    ("DNS_CACHE_SIZE", "0", "DNS_CACHE_SIZE: 0 is not a whole number"),
])
def test_bad_forwarding_config(joyride, var, value, msg):
    n = joyride(env={var: value}, ready=False)
    wait_until(lambda: not n.alive(), what="joyride exits")
    assert n.returncode == 2
    lines = n.log().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("joyride: " + msg), lines


def test_status_and_metrics_show_forwarding(joyride, knot, fakes):
    k = knot()
    addr = unique_loopback()
    closed = "%s:%d" % (addr, free_port(addr))
    n = joyride(env={"DNS_FORWARDERS": k.target, "DNS_FORWARD_ZONES": "dead.test=" + closed,
                     "DNS_FORWARD_TIMEOUT": "1s"})
    for i in range(8):
        ask(n, "s%d.fwd.test" % i)
    for i in range(3):
        assert ask(n, "x%d.dead.test" % i).rcode() == dns.rcode.SERVFAIL
    ask(n, "www.fwd.test")
    ask(n, "www.fwd.test")
    status, st = n.json("/status")
    assert status == 200
    f = st["dns_server"]["forwarding"]
    assert f["enabled"] and f["forwarded"] >= 9 and f["cache"]["entries"] >= 2
    # 14 client queries (with the fixture's readiness probe), each counted once: the second
    # www.fwd.test is the only hit
    assert (f["cache"]["hits"], f["cache"]["misses"]) == (1, 13)
    ups = {u["address"]: u for u in f["upstreams"]}
    assert ups[k.target]["answers"] >= 9 and ups[k.target]["state"] == "up"
    assert ups[closed]["errors"] >= 3 and ups[closed]["state"] == "resting"
    assert metric(n, "joyride_dns_forwarded_total") >= 9
    _, _, body = n.http("/metrics")
    text = body.decode()
    assert ups[closed]["zone"] == "dead.test"
    assert 'joyride_dns_upstream_up{upstream="%s",zone="dead.test"} 0' % closed in text
    assert 'joyride_dns_upstream_up{upstream="%s",zone=""} 1' % k.target in text
    _, plain = joyride(env={}).json("/status")
    assert plain["dns_server"]["forwarding"] == {"enabled": False}


def test_status_page_shows_forwarding(joyride, knot, tmp_path):
    from test_http import rendered_page
    k = knot()
    addr = unique_loopback()
    closed = "%s:%d" % (addr, free_port(addr))
    n = joyride(env={"DNS_FORWARDERS": k.target, "DNS_FORWARD_ZONES": "dead.test=" + closed,
                     "DNS_FORWARD_TIMEOUT": "1s"})
    ask(n, "www.fwd.test")
    ask(n, "www.fwd.test")
    for i in range(3):
        ask(n, "x%d.dead.test" % i)
    out = rendered_page(n, tmp_path / "profile")
    body = out[out.index('id="f-body"'):out.index('id="cluster"')]
    # six client queries with the fixture's readiness probe; the second www.fwd.test is the hit
    assert "Cache hits</dt><dd>1 of 6 (16.7 %)</dd>" in body, body
    assert '<td class="mono">%s</td><td class="muted">every other name</td><td class="ok">up</td>' % (
        k.target) in body, body
    assert '<td class="mono">%s</td><td class="mono">dead.test</td><td class="warn">resting</td><td>-</td>' % (
        closed) in body, body


@pytest.mark.parametrize("wildcard,dest", [("0.0.0.0", None), ("::", "::1")])
def test_wildcard_bind_replies_from_the_address_asked(joyride, fakes, wildcard, dest):
    up = fakes(unique_loopback(), lambda q, tcp: [(0.05, a_answer(q, "10.4.3.2"))])
    dest = dest or unique_loopback()
    port = free_port("0.0.0.0")
    n = joyride(env={"DNS_FORWARDERS": up.target, "DNS_BIND_ADDRESS": wildcard,
                     "DNS_PORT": port}, ready=False)
    q = dns.message.make_query("wild.example.org", "A")
    wait_until(lambda: n.alive() and dns.query.udp(dns.message.make_query("ready.invalid", "A"),
                                                   dest, port=n.dns_port, timeout=0.5),
               what="joyride answering on the wildcard address")
    # dnspython refuses an answer from any other address or port than the one it asked
    r = dns.query.udp(q, dest, port=n.dns_port, timeout=3)
    assert addrs(r) == ["10.4.3.2"]
    r = dns.query.udp(q, dest, port=n.dns_port, timeout=3)  # from the cache, on the worker
    assert addrs(r) == ["10.4.3.2"]


def test_tcp_pipelined_answers_out_of_order(joyride, fakes):
    up = fakes(unique_loopback(), lambda q, tcp: [(0.3, a_answer(q, "10.1.2.3"))])
    n = joyride(hosts={"h": "10.9.9.9 mine.example.org\n"}, env={"DNS_FORWARDERS": up.target})
    slow = dns.message.make_query("slow.example.org", "A")
    mine = dns.message.make_query("mine.example.org", "A")
    data = b"".join(struct.pack("!H", len(w)) + w for w in (slow.to_wire(), mine.to_wire()))
    with socket.create_connection((n.addr, n.dns_port), timeout=3) as c:
        c.sendall(data)
        got = []
        buf = b""
        while len(got) < 2:
            buf += c.recv(4096)
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                ln = struct.unpack("!H", buf[:2])[0]
                got.append(dns.message.from_wire(buf[2:2 + ln]))
                buf = buf[2 + ln:]
    assert [m.id for m in got] == [mine.id, slow.id]  # ours at once, the forwarded one later
    assert addrs(got[0]) == ["10.9.9.9"] and addrs(got[1]) == ["10.1.2.3"]


def test_explain_says_forwarded(joyride, knot, fakes):
    k = knot()
    n = joyride(hosts={"h": "10.9.9.9 owned.fwd.test\n"}, env={"DNS_FORWARDERS": k.target})
    status, e = n.json("/dns/explain?name=www.fwd.test&type=A")
    assert status == 200 and e["rule"]["id"] == "forwarded"
    assert e["answer"]["forwarded"] and not e["answer"]["dropped"]
    _, e = n.json("/dns/explain?name=owned.fwd.test&type=A")
    assert not e["answer"]["forwarded"] and e["answer"]["rcode"] == "NOERROR"
    corp = fakes(unique_loopback(), lambda q, tcp: [(0, a_answer(q, "10.1.1.1"))])
    z = joyride(env={"DNS_FORWARD_ZONES": "corp.test=%s" % corp.target})
    _, e = z.json("/dns/explain?name=www.fwd.test&type=A")
    assert not e["answer"]["forwarded"] and e["answer"]["rcode"] == "NXDOMAIN"
    _, e = z.json("/dns/explain?name=a.corp.test&type=A")
    assert e["answer"]["forwarded"]
