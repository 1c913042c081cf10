"""DNS behaviour of the real joyride binary: A/AAAA answers from hosts files, several addresses,
unknown-name actions, SOA in negatives with DNS_DOMAINS, NODATA, EDNS and truncation with the
retry over TCP, TCP framing and limits, case echo, error rcodes, malformed packets, and dig/kdig
smoke tests."""

import os
import random
import selectors
import shutil
import socket
import struct
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from conftest import JOYRIDE, wait_until

HOSTS = {
    "main.hosts": """# test records
10.0.0.1    web.example.com www.example.com
fd00::1     web.example.com
10.0.0.2    multi.example.com
10.0.0.3    multi.example.com
10.0.0.9    deep.a.b.example.com
fd00::9     v6only.example.com
192.0.2.1   outside.org
""",
    "more.hosts": "10.0.0.4 multi.example.com\n",
    "big.hosts": "".join("10.1.%d.%d big.example.com\n" % (i // 250, i % 250) for i in range(60)),
}


def start(joyride, env=None, ready=True):
    n = joyride(hosts=HOSTS, env=env or {}, ready=ready)
    wait_answer(n, "web.example.com")
    return n


def wait_answer(n, name):
    """Waits until name resolves (the hosts directory is read asynchronously)."""
    wait_until(lambda: n.addresses(name), timeout=15, what="%s to resolve" % name)


def raw_udp(n, payload, timeout=2.0):
    """Sends raw bytes over UDP; returns the reply bytes or None when nothing came back."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(payload, (n.addr, n.dns_port))
        return s.recvfrom(65535)[0]
    except socket.timeout:
        return None
    finally:
        s.close()


def recv_exact(s, k):
    buf = b""
    while len(buf) < k:
        chunk = s.recv(k - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), k))
        buf += chunk
    return buf


def tcp_read_msg(s):
    (length,) = struct.unpack("!H", recv_exact(s, 2))
    return dns.message.from_wire(recv_exact(s, length))


def tcp_conn(n, timeout=5.0):
    s = socket.create_connection((n.addr, n.dns_port), timeout=timeout)
    return s


def closed_by_peer(s, timeout):
    """True when the server closes s within timeout (recv returns b'' or the connection resets)."""
    s.settimeout(timeout)
    try:
        while True:
            if s.recv(4096) == b"":
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def addresses(r, rdtype):
    out = []
    for rrset in r.answer:
        if rrset.rdtype == rdtype:
            out.extend(rd.address for rd in rrset)
    return out


# ---- answers ----

def test_a_and_aaaa(joyride):
    n = start(joyride)
    assert n.addresses("web.example.com") == ["10.0.0.1"]
    assert n.addresses("www.example.com") == ["10.0.0.1"]
    assert n.addresses("web.example.com", "AAAA") == ["fd00::1"]
    r = n.query("web.example.com", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert r.answer[0].ttl == 60
    # TCP answers the same.
    assert n.addresses("web.example.com", "AAAA", tcp=True) == ["fd00::1"]


def test_ttl_setting(joyride):
    n = start(joyride, env={"DNS_TTL": "17"})
    r = n.query("web.example.com", "A")
    assert r.answer[0].ttl == 17


def test_multiple_addresses_all_returned_and_rotated(joyride):
    n = start(joyride)
    wait_until(lambda: len(n.addresses("multi.example.com")) == 3, what="both files loaded")
    assert n.addresses("multi.example.com") == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    firsts = set()
    for _ in range(12):
        r = n.query("multi.example.com", "A")
        firsts.add(addresses(r, dns.rdatatype.A)[0])
    assert len(firsts) > 1, "the order of addresses never changes (no round robin)"


def test_any_returns_a_and_aaaa(joyride):
    n = start(joyride)
    r = n.query("web.example.com", "ANY", tcp=True)
    types = sorted(rrset.rdtype for rrset in r.answer)
    assert types == [dns.rdatatype.A, dns.rdatatype.AAAA]


def test_nodata(joyride):
    n = start(joyride)
    for name, rdtype in [("v6only.example.com", "A"), ("web.example.com", "MX"),
                         ("web.example.com", "TXT"), ("a.b.example.com", "A")]:
        r = n.query(name, rdtype)
        assert r.rcode() == dns.rcode.NOERROR, (name, rdtype)
        assert r.answer == [], (name, rdtype)
        assert r.authority == [], (name, rdtype)  # no SOA without DNS_DOMAINS


def test_case_is_echoed(joyride):
    n = start(joyride)
    q = dns.message.make_query("WeB.ExAmPlE.CoM", "A")
    wire = q.to_wire()
    reply = raw_udp(n, wire)
    assert reply is not None
    # The question section is echoed byte for byte (dnspython compares names case-insensitively).
    qlen = len(b"\x03WeB\x07ExAmPlE\x03CoM\x00") + 4
    assert reply[12:12 + qlen] == wire[12:12 + qlen]
    r = dns.message.from_wire(reply)
    assert addresses(r, dns.rdatatype.A) == ["10.0.0.1"]
    # Answers are compressed: the owner is a pointer to the question name.
    answer_at = 12 + qlen
    assert reply[answer_at:answer_at + 2] == b"\xc0\x0c"


# ---- unknown names ----

def test_unknown_nxdomain_default(joyride):
    n = start(joyride)
    r = n.query("nope.example.com", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.answer == [] and r.authority == []


def test_unknown_refused(joyride):
    n = start(joyride, env={"DNS_UNKNOWN_ACTION": "refused"})
    assert n.query("nope.example.com", "A").rcode() == dns.rcode.REFUSED
    assert n.addresses("web.example.com") == ["10.0.0.1"]


def test_unknown_drop(joyride):
    n = joyride(hosts=HOSTS, env={"DNS_UNKNOWN_ACTION": "drop"}, ready=False)
    wait_until(lambda: n.addresses("web.example.com"), timeout=15, what="web.example.com")
    with pytest.raises(dns.exception.Timeout):
        n.query("nope.example.com", "A", timeout=0.5)
    with pytest.raises((dns.exception.Timeout, EOFError, ConnectionError)):
        n.query("nope.example.com", "A", tcp=True, timeout=0.5)
    # Known names still answer, and the server is still up.
    assert n.addresses("web.example.com") == ["10.0.0.1"]


def test_domains_soa_in_negatives(joyride):
    n = start(joyride, env={"DNS_DOMAINS": "example.com,corp.internal", "DNS_TTL": "42"})
    r = n.query("nope.example.com", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.flags & dns.flags.AA
    assert len(r.authority) == 1
    soa_rrset = r.authority[0]
    assert soa_rrset.rdtype == dns.rdatatype.SOA
    assert soa_rrset.name.to_text() == "example.com."
    soa = soa_rrset[0]
    assert soa.minimum == 42
    assert soa_rrset.ttl == min(42, soa.minimum)
    # MNAME: the zone's (only) NS name, this node's
    ns = n.query("example.com", "NS").answer[0]
    assert soa.mname == ns[0].target and soa.mname.to_text().endswith(".ns.example.com.")
    assert soa.rname.to_text() == "hostmaster.example.com."
    # NODATA inside a domain carries the SOA too.
    r = n.query("web.example.com", "MX")
    assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    # The apex answers SOA.
    r = n.query("example.com", "SOA")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer[0].rdtype == dns.rdatatype.SOA
    # The serial changes when the records change.
    serial1 = r.answer[0][0].serial
    # Names outside the domains are refused; known names are still answered.
    assert n.query("nope.example.org", "A").rcode() == dns.rcode.REFUSED
    assert n.addresses("outside.org") == ["192.0.2.1"]
    hosts = os.path.join(n.env["HOSTS_DIRECTORY"], "new.hosts")
    with open(hosts, "w") as f:
        f.write("10.7.7.7 new.example.com\n")
    wait_until(lambda: n.addresses("new.example.com") == ["10.7.7.7"], what="new record")
    serial2 = n.query("example.com", "SOA").answer[0][0].serial
    assert serial2 != serial1


# ---- EDNS, truncation, TCP ----

def test_edns_echoed_and_truncation_retries_over_tcp(joyride):
    n = start(joyride)
    wait_until(lambda: len(n.addresses("big.example.com", tcp=True)) == 60, what="big loaded")
    # Without EDNS 60 A records (960+ bytes) do not fit in 512: TC, no answers.
    r = n.query("big.example.com", "A")
    assert r.flags & dns.flags.TC
    assert r.answer == []
    # EDNS 4096: OPT echoed with our size, and 60 records fit in 1232.
    r = n.query("big.example.com", "A", use_edns=0, payload=4096)
    assert r.edns == 0
    assert r.payload == 1232
    assert not r.flags & dns.flags.TC
    assert len(addresses(r, dns.rdatatype.A)) == 60
    # A small EDNS size is honoured: TC with OPT, then the client retries over TCP.
    q = dns.message.make_query("big.example.com", "A", use_edns=0, payload=512)
    r, used_tcp = dns.query.udp_with_fallback(q, n.addr, port=n.dns_port, timeout=3)
    assert used_tcp
    assert len(addresses(r, dns.rdatatype.A)) == 60
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
    assert r.flags & dns.flags.TC and r.answer == [] and r.edns == 0


def test_edns_do_bit_and_badvers(joyride):
    n = start(joyride)
    r = n.query("web.example.com", "A", use_edns=0, want_dnssec=True)
    assert r.ednsflags & dns.flags.DO
    q = dns.message.make_query("web.example.com", "A")
    q.use_edns(edns=1)  # (use_edns=1 in make_query means True, i.e. version 0)
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0


def test_tcp_several_queries_one_connection(joyride):
    n = start(joyride)
    s = tcp_conn(n)
    try:
        names = ["web.example.com", "nope.example.com", "multi.example.com", "www.example.com"]
        msgs = []
        for i, name in enumerate(names):
            q = dns.message.make_query(name, "A")
            q.id = 1000 + i
            w = q.to_wire()
            msgs.append(struct.pack("!H", len(w)) + w)
        s.sendall(b"".join(msgs[:3]))  # pipelined in one write
        rs = [tcp_read_msg(s) for _ in range(3)]
        assert [r.id for r in rs] == [1000, 1001, 1002]
        assert rs[1].rcode() == dns.rcode.NXDOMAIN
        # The last one split across writes, the length prefix too.
        for b in (msgs[3][:1], msgs[3][1:5], msgs[3][5:]):
            s.sendall(b)
        r = tcp_read_msg(s)
        assert r.id == 1003 and addresses(r, dns.rdatatype.A) == ["10.0.0.1"]
    finally:
        s.close()


def supports(var):
    out = subprocess.run([str(JOYRIDE), "--help"], capture_output=True, text=True).stdout
    return var in out


def test_tcp_idle_connection_closed(joyride):
    n = start(joyride, env={"DNS_TCP_IDLE_TIMEOUT": "500ms"})
    s = tcp_conn(n)
    try:
        t0 = time.monotonic()
        assert closed_by_peer(s, 10.0)
        took = time.monotonic() - t0
        assert took >= 0.4, "closed after %.3fs, before the idle timeout" % took
    finally:
        s.close()


def client_prefix(n):
    """A /24 of loopback source addresses for simulated clients, away from the node's own."""
    a = n.addr.split(".")
    return "127.%d.%d." % ((int(a[1]) + 1) % 255 or 1, int(a[2]))


def tcp_from(n, src, timeout=5.0):
    return socket.create_connection((n.addr, n.dns_port), timeout=timeout, source_address=(src, 0))


def metric(n, name):
    for line in n.http("/metrics")[2].decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no metric " + name)


def test_tcp_held_connections_do_not_lock_out(joyride):
    """At the connection cap a new client is served: the least recently active held connection
    makes room (the cap used to refuse every new connection while it was held)."""
    n = start(joyride, env={"DNS_TCP_MAX_CONNECTIONS": "8"})  # at most 4 per client address
    p = client_prefix(n)
    held = [tcp_from(n, p + str(1 + i // 4)) for i in range(8)]
    try:
        wait_until(lambda: metric(n, "joyride_dns_tcp_connections_open") == 8,
                   what="8 open connections")
        for k in range(3):
            q = dns.message.make_query("web.example.com", "A")
            r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3, source=p + str(10 + k))
            assert addresses(r, dns.rdatatype.A) == ["10.0.0.1"]
        # each client closes its connection after the answer, so one eviction made the room
        assert metric(n, "joyride_dns_tcp_connections_evicted_total") == 1
        # The oldest held connections were the ones closed.
        assert closed_by_peer(held[0], 3.0)
    finally:
        for s in held:
            s.close()


def test_tcp_per_client_cap(joyride):
    """One client address holds at most its share of the cap (8 of 64): a further connection from
    it closes that client's own least recently active one; other clients keep theirs."""
    n = start(joyride, env={"DNS_TCP_MAX_CONNECTIONS": "64"})
    p = client_prefix(n)
    other = tcp_from(n, p + "200")
    mine = [tcp_from(n, p + "1") for _ in range(12)]
    try:
        closed = [s for s in mine[:4] if closed_by_peer(s, 3.0)]
        assert len(closed) == 4
        wait_until(lambda: metric(n, "joyride_dns_tcp_connections_open") == 9,
                   what="8 connections of one client and 1 of another")
        for s in mine[4:] + [other]:
            q = dns.message.make_query("web.example.com", "A")
            w = q.to_wire()
            s.settimeout(5)
            s.sendall(struct.pack("!H", len(w)) + w)
            assert tcp_read_msg(s).id == q.id
    finally:
        for s in mine + [other]:
            s.close()


def test_tcp_slow_query_closed(joyride):
    """Slowloris: a client sending one byte of a query every 0.3 s (each byte used to reset the
    idle timer) is closed about 2 s after its first byte, while other clients are served."""
    n = start(joyride, env={"DNS_TCP_MAX_CONNECTIONS": "16", "DNS_TCP_IDLE_TIMEOUT": "30s"})
    p = client_prefix(n)
    slow = [tcp_from(n, p + str(1 + i)) for i in range(4)]
    w = dns.message.make_query("web.example.com", "A").to_wire()
    frame = struct.pack("!H", len(w)) + w
    t0 = time.monotonic()
    try:
        alive = list(slow)
        i = 0
        while alive and i < len(frame) - 1 and time.monotonic() - t0 < 8:
            for s in list(alive):
                try:
                    s.sendall(frame[i:i + 1])
                except OSError:
                    alive.remove(s)
                    continue
                if closed_by_peer(s, 0.3 / len(slow)):
                    alive.remove(s)
            i += 1
        took = time.monotonic() - t0
        assert not alive, "trickling clients still open after %.1fs" % took
        assert 1.5 <= took < 6, "closed after %.1fs" % took
        assert metric(n, "joyride_dns_tcp_connections_timed_out_total") == 4
        assert n.addresses("web.example.com", tcp=True) == ["10.0.0.1"]
    finally:
        for s in slow:
            s.close()


# ---- error rcodes ----

def test_notimp_for_other_opcodes(joyride):
    n = start(joyride)
    for opcode in (dns.opcode.NOTIFY, dns.opcode.UPDATE, dns.opcode.IQUERY, dns.opcode.STATUS):
        q = dns.message.make_query("example.com", "SOA")
        q.set_opcode(opcode)
        r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
        assert r.rcode() == dns.rcode.NOTIMP, dns.opcode.to_text(opcode)
        assert r.opcode() == opcode


def test_zone_transfers_refused(joyride):
    n = start(joyride)
    for rdtype in ("AXFR", "IXFR"):
        q = dns.message.make_query("example.com", rdtype)
        r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3)
        assert r.rcode() == dns.rcode.REFUSED, rdtype
        r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
        assert r.rcode() == dns.rcode.REFUSED, rdtype
    # A real IXFR request carries the client's SOA in the authority section.
    q = dns.message.make_query("example.com", "IXFR")
    q.authority.append(dns.rrset.from_text("example.com.", 60, "IN", "SOA",
                                           "ns.example.com. h.example.com. 5 1 1 1 1"))
    r = dns.query.tcp(q, n.addr, port=n.dns_port, timeout=3)
    assert r.rcode() == dns.rcode.REFUSED


def test_classes(joyride):
    n = start(joyride)
    for cls in (dns.rdataclass.CH, dns.rdataclass.HS):
        q = dns.message.make_query("version.bind", "TXT", rdclass=cls)
        r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
        assert r.rcode() == dns.rcode.REFUSED
    # QCLASS ANY matches the Internet class.
    q = dns.message.make_query("web.example.com", "A", rdclass=dns.rdataclass.ANY)
    r = dns.query.udp(q, n.addr, port=n.dns_port, timeout=3)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer[0].rdclass == dns.rdataclass.IN


def test_malformed_packets_do_not_kill_the_server(joyride):
    n = start(joyride)
    good = dns.message.make_query("web.example.com", "A", use_edns=0).to_wire()
    rng = random.Random(1234)
    formerr_expected = [
        good[:12] + b"\xc0\x0c\x00\x01\x00\x01",                      # pointer in the question
        good[:12] + b"\x3f" + b"a" * 10,                              # label past the end
        good + b"\x00\x00\x00",                                       # trailing garbage
        good[:4] + b"\x00\x02" + good[6:],                            # QDCOUNT 2
    ]
    for p in formerr_expected:
        reply = raw_udp(n, p)
        assert reply is not None
        r = dns.message.from_wire(reply, question_only=True) if reply[5] else None
        assert reply[3] & 0x0F == dns.rcode.FORMERR
        assert reply[:2] == p[:2]
        del r
    # Truncated at every offset and random junk: whatever comes back is well formed.
    payloads = [good[:i] for i in range(len(good))]
    payloads += [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600))) for _ in range(200)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for p in payloads:
            s.sendto(p, (n.addr, n.dns_port))
    finally:
        s.close()
    # Same over TCP, then close.
    t = tcp_conn(n)
    try:
        t.sendall(struct.pack("!H", 40) + bytes(rng.getrandbits(8) for _ in range(40)))
        t.sendall(struct.pack("!H", 12) + good[:12])
    except OSError:
        pass
    finally:
        t.close()
    assert n.alive()
    assert n.addresses("web.example.com") == ["10.0.0.1"]
    assert n.addresses("web.example.com", tcp=True) == ["10.0.0.1"]
    assert n.alive()


# ---- real clients ----

def test_dig_smoke(joyride):
    if not shutil.which("dig"):
        pytest.skip("dig not installed")
    n = start(joyride)
    out = subprocess.run(["dig", "@" + n.addr, "-p", str(n.dns_port), "+short", "+tries=2",
                          "+time=2", "multi.example.com", "A"],
                         capture_output=True, text=True, timeout=20).stdout.split()
    assert sorted(out) == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    full = subprocess.run(["dig", "@" + n.addr, "-p", str(n.dns_port), "+tries=2", "+time=2",
                           "nope.example.com", "A"], capture_output=True, text=True,
                          timeout=20).stdout
    assert "status: NXDOMAIN" in full
    assert "malformed" not in full.lower() and "FORMERR" not in full


def test_kdig_smoke(joyride):
    if not shutil.which("kdig"):
        pytest.skip("kdig not installed")
    n = start(joyride)
    for tcp in ([], ["+tcp"]):
        out = subprocess.run(["kdig", "@" + n.addr, "-p", str(n.dns_port), "+short", "+retry=1",
                              "+time=2", *tcp, "web.example.com", "AAAA"],
                             capture_output=True, text=True, timeout=20).stdout.split()
        assert out == ["fd00::1"]
    full = subprocess.run(["kdig", "@" + n.addr, "-p", str(n.dns_port), "+retry=1", "+time=2",
                           "+bufsize=512", "big.example.com", "A"], capture_output=True,
                          text=True, timeout=20).stdout
    assert "NOERROR" in full
    assert full.count("big.example.com.") >= 60  # kdig retried the truncated answer over TCP
