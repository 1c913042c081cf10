"""Wildcard records (RFC 4592) against the real binary: a `*.name` in a hosts file and over the API
answers, with the client's case as owner, for the names below it that do not exist (dnspython
and dig, UDP and TCP); existing names and empty non-terminals block it; the parent and other
types are NODATA; the most specific wildcard wins; DNS_DOMAINS keeps its SOA in negatives; names
a wildcard covers are never forwarded; misplaced '*' is logged and skipped; /dns/records shows
the kind and /dns/explain and `joyride explain` name the wildcard; and across a 3-node cluster in
network namespaces explicit names win on every node, several owners' wildcards give all their
addresses, and a dead owner's names give way to the wildcard."""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from conftest import JOYRIDE, SAN_ENV, free_port, unique_loopback, wait_until

TOKEN = "wild-token-%08x" % random.getrandbits(32)

HOSTS = """\
127.0.0.80 *.apps.wild.test
fd00::80 *.apps.wild.test
127.0.0.81 special.apps.wild.test
127.0.0.82 *.inner.apps.wild.test
127.0.0.83 a.ent.apps.wild.test
127.0.0.90 a*.bad.wild.test
127.0.0.91 x.*.bad.wild.test
127.0.0.92 *x.bad.wild.test
"""


def ask(node, name, rdtype="A", tcp=False):
    return node.query(name, rdtype, tcp=tcp, timeout=3.0)


def addrs(r, rdtype="A"):
    t = dns.rdatatype.from_text(rdtype)
    return sorted(rd.address for rs in r.answer if rs.rdtype == t for rd in rs)


def dig(node, name, rdtype="A", tcp=False):
    argv = ["dig", "@%s" % node.addr, "-p", str(node.dns_port), "+norec", "+noall", "+answer",
            "+comments", "+authority", name, rdtype] + (["+tcp"] if tcp else [])
    return subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout


def call(node, method, path, body=None):
    h = {"Authorization": "Bearer " + TOKEN}
    data = json.dumps(body).encode() if body is not None else None
    if data:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request(node.url(path), method=method, data=data, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def node(joyride, tmp_path):
    return joyride(hosts={"wild": HOSTS},
                   env={"DNS_DOMAINS": "wild.test", "API_TOKEN": TOKEN,
                        "API_RECORDS_FILE": tmp_path / "api-records.json"})


def test_hosts_file_wildcard_answers(node):
    for tcp in (False, True):
        # a name below the wildcard that does not exist: synthesized, owner the question as sent
        r = ask(node, "Foo.Apps.WILD.test", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
        assert addrs(r) == ["127.0.0.80"]
        assert str(r.answer[0].name) == "Foo.Apps.WILD.test."
        assert addrs(ask(node, "foo.apps.wild.test", "AAAA", tcp), "AAAA") == ["fd00::80"]
        # several labels below the closest encloser
        assert addrs(ask(node, "a.b.c.apps.wild.test", tcp=tcp)) == ["127.0.0.80"]
    # an explicit name wins, for every type: its own address, NODATA for AAAA
    assert addrs(ask(node, "special.apps.wild.test")) == ["127.0.0.81"]
    r = ask(node, "special.apps.wild.test", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    # below an explicit name: its closest encloser has no wildcard -> NXDOMAIN with the SOA
    r = ask(node, "x.special.apps.wild.test")
    assert r.rcode() == dns.rcode.NXDOMAIN and r.authority[0].rdtype == dns.rdatatype.SOA
    assert str(r.authority[0].name) == "wild.test."
    # the most specific wildcard wins
    assert addrs(ask(node, "x.inner.apps.wild.test")) == ["127.0.0.82"]
    assert addrs(ask(node, "y.x.inner.apps.wild.test")) == ["127.0.0.82"]
    r = ask(node, "x.inner.apps.wild.test", "AAAA")  # the inner one has no AAAA: NODATA
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    # an empty non-terminal blocks the wildcard for itself and (no wildcard there) below it
    r = ask(node, "ent.apps.wild.test")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert ask(node, "b.ent.apps.wild.test").rcode() == dns.rcode.NXDOMAIN
    # the parent is not matched: NODATA (it exists as the wildcard's parent)
    r = ask(node, "apps.wild.test")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    # the wildcard node itself, queried literally
    assert addrs(ask(node, "*.apps.wild.test")) == ["127.0.0.80"]
    # a type the wildcard lacks: NODATA with the SOA
    r = ask(node, "foo.apps.wild.test", "MX")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    # ANY: every address of the wildcard
    r = ask(node, "foo.apps.wild.test", "ANY", tcp=True)
    assert addrs(r) == ["127.0.0.80"] and addrs(r, "AAAA") == ["fd00::80"]
    # outside the wildcard's subtree nothing changes
    assert ask(node, "nope.wild.test").rcode() == dns.rcode.NXDOMAIN
    # dig sees the owner with the client's case too, over UDP and TCP
    for tcp in (False, True):
        out = dig(node, "MiXeD.apps.wild.test", tcp=tcp)
        assert "status: NOERROR" in out and "flags: qr aa" in out, out
        assert "MiXeD.apps.wild.test.\t60\tIN\tA\t127.0.0.80" in out, out


def test_misplaced_star_logged_and_skipped(node):
    log = node.log()
    for bad in ("a*.bad.wild.test", "x.*.bad.wild.test", "*x.bad.wild.test"):
        assert "invalid name '%s': '*' must be a whole leftmost label" % bad in log, log[-3000:]
        assert ask(node, bad.replace("*", "q")).rcode() == dns.rcode.NXDOMAIN
    # those lines were skipped whole: nothing under bad.wild.test
    assert ask(node, "bad.wild.test").rcode() == dns.rcode.NXDOMAIN


def test_live_reload_adds_and_removes_wildcards(node):
    hosts_dir = node.env["HOSTS_DIRECTORY"]
    path = os.path.join(hosts_dir, "more")
    with open(path, "w") as f:
        f.write("127.0.0.70 *.later.wild.test\n")
    wait_until(lambda: addrs(ask(node, "x.later.wild.test")) == ["127.0.0.70"], timeout=5,
               what="a new wildcard answered")
    # an explicit name added later takes its name from the wildcard
    with open(path, "w") as f:
        f.write("127.0.0.70 *.later.wild.test\n127.0.0.71 x.later.wild.test\n")
    wait_until(lambda: addrs(ask(node, "x.later.wild.test")) == ["127.0.0.71"], timeout=5,
               what="the explicit name winning")
    assert addrs(ask(node, "y.later.wild.test")) == ["127.0.0.70"]
    os.unlink(path)
    wait_until(lambda: ask(node, "y.later.wild.test").rcode() == dns.rcode.NXDOMAIN, timeout=5,
               what="the wildcard withdrawn")


def test_api_wildcard_record(node):
    status, doc = call(node, "POST", "/dns/records",
                       {"hostname": "*.Api.wild.test.", "ip_address": "10.7.0.1"})
    assert status == 201, doc
    assert doc["record"]["hostname"] == "*.api.wild.test"
    assert doc["record"]["kind"] == "wildcard"
    assert addrs(ask(node, "Anything.API.wild.test")) == ["10.7.0.1"]
    # misplaced '*' is refused naming the field and the reason
    status, doc = call(node, "POST", "/dns/records",
                       {"hostname": "x.*.api.wild.test", "ip_address": "10.7.0.2"})
    assert status == 400 and doc["field"] == "hostname"
    assert "'*' must be a whole leftmost label" in doc["message"], doc
    # the listing gives each record's kind
    _, recs = node.json("/dns/records")
    kinds = {(r["hostname"], r["type"]): r["kind"] for r in recs["records"]}
    assert kinds[("*.api.wild.test", "A")] == "wildcard"
    assert kinds[("*.apps.wild.test", "AAAA")] == "wildcard"
    assert kinds[("special.apps.wild.test", "A")] == "A"
    assert kinds[("*.apps.wild.test", "A")] == "wildcard"
    ptrs = {(r["hostname"], r["type"]): r["ptr"] for r in recs["records"]}
    assert not ptrs[("*.apps.wild.test", "A")] and ptrs[("special.apps.wild.test", "A")]
    # the wildcard is deleted by its own name
    status, doc = call(node, "DELETE", "/dns/records/*.api.wild.test")
    assert status == 200 and doc["removed"][0]["hostname"] == "*.api.wild.test", doc
    wait_until(lambda: ask(node, "anything.api.wild.test").rcode() == dns.rcode.NXDOMAIN,
               timeout=5, what="the API wildcard gone")


def test_explain_names_the_wildcard(node):
    status, doc = node.json("/dns/explain?name=Foo.apps.wild.test")
    assert status == 200
    assert doc["rule"]["id"] == "wildcard", doc["rule"]
    assert "*.apps.wild.test" in doc["rule"]["text"]
    assert doc["wildcard"] == {"name": "*.apps.wild.test", "closest_encloser": "apps.wild.test"}
    assert [a["address"] for a in doc["answer"]["answers"]] == ["127.0.0.80"]
    assert {r["name"] for r in doc["records"]} == {"*.apps.wild.test"}
    assert any(r["answered"] for r in doc["records"])
    status, doc = node.json("/dns/explain?name=foo.inner.apps.wild.test&type=AAAA")
    assert doc["rule"]["id"] == "wildcard_nodata", doc["rule"]
    assert doc["wildcard"]["name"] == "*.inner.apps.wild.test"
    # explicit names and blocked names are not wildcard answers
    for name, rule in (("special.apps.wild.test", "served"), ("ent.apps.wild.test",
                                                              "empty_non_terminal"),
                       ("b.ent.apps.wild.test", "nxdomain_in_domain")):
        _, doc = node.json("/dns/explain?name=" + name)
        assert doc["rule"]["id"] == rule and doc["wildcard"] is None, (name, doc["rule"])
    # the CLI says so too
    env = dict(os.environ, JOYRIDE_API="http://%s:%d" % (node.addr, node.http_port), **SAN_ENV)
    out = subprocess.run([str(JOYRIDE), "explain", "bar.apps.wild.test", "AAAA"], env=env,
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    assert "bar.apps.wild.test AAAA: NOERROR (authoritative), 1 address: fd00::80" in out.stdout
    assert "synthesized from the wildcard *.apps.wild.test" in out.stdout, out.stdout
    assert "wildcard: *.apps.wild.test (closest encloser apps.wild.test)" in out.stdout


class CountingUpstream:
    """A UDP upstream on loopback that answers every query with 192.0.2.53 and records names."""

    def __init__(self, addr):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((addr, 0))
        self.s.settimeout(0.05)
        self.target = "%s:%d" % self.s.getsockname()
        self.names = []
        self.stopping = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stopping:
            try:
                data, peer = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            q = dns.message.from_wire(data)
            self.names.append(str(q.question[0].name).lower())
            r = dns.message.make_response(q)
            r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", "192.0.2.53"))
            self.s.sendto(r.to_wire(), peer)

    def stop(self):
        self.stopping = True
        self.t.join(2)
        self.s.close()


def test_covered_names_never_forwarded(joyride):
    up = CountingUpstream(unique_loopback())
    try:
        n = joyride(hosts={"h": "127.0.0.80 *.apps.lan.test\n127.0.0.5 db.lan.test\n"},
                    env={"DNS_FORWARDERS": up.target})
        for rdtype in ("A", "AAAA", "MX"):
            r = ask(n, "web.apps.lan.test", rdtype)
            assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA, rdtype
        assert addrs(ask(n, "web.apps.lan.test")) == ["127.0.0.80"]
        # a name below db.lan.test is not covered: it goes upstream
        assert addrs(ask(n, "x.db.lan.test")) == ["192.0.2.53"]
        assert [x for x in up.names if x != "ready.invalid."] == ["x.db.lan.test."], up.names
    finally:
        up.stop()


# ---- a 3-node cluster in network namespaces ----

def cluster_ok():
    return os.geteuid() == 0 and shutil.which("ip") and JOYRIDE.exists()


def ns_post(node, body):
    req = urllib.request.Request("http://%s:%d/dns/records" % (node.addr, node.HTTP_PORT),
                                 method="POST", data=json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def ns_answers(node, name, rdtype="A"):
    try:
        return node.addresses(name, rdtype, timeout=0.3)
    except Exception:  # noqa: BLE001 - a timeout is "no answer yet"
        return None


@pytest.mark.skipif(not cluster_ok(), reason="needs root, iproute2 and a built joyride")
def test_cluster_wildcards(tmp_path):
    from netns import Lab, NsNode
    lab = Lab(3)
    nodes = []
    try:
        hosts = {1: "%s *.apps.cl.test\n" % lab.ip(1),
                 2: "%s special.apps.cl.test\n" % lab.ip(2),
                 3: "%s n3.cl.test\n" % lab.ip(3)}
        for i in (1, 2, 3):
            nodes.append(NsNode(lab, i, JOYRIDE, tmp_path, san_env=SAN_ENV, hosts={"h": hosts[i]},
                                env_extra={"API_TOKEN": TOKEN,
                                           "API_RECORDS_FILE": tmp_path / ("api-%d.json" % i)}))
        for n in nodes:
            n.start()
        n1, n2, n3 = nodes
        wait_until(lambda: all(ns_answers(n, "n3.cl.test") == [n3.addr] for n in nodes),
                   timeout=20, what="a cluster")
        # node1's wildcard answers on every node; node2's explicit name wins on every node
        wait_until(lambda: all(ns_answers(n, "Any.Apps.cl.test") == [n1.addr] and
                               ns_answers(n, "special.apps.cl.test") == [n2.addr] for n in nodes),
                   timeout=10, what="the wildcard and the explicit name everywhere")
        for n in nodes:
            assert ns_answers(n, "special.apps.cl.test", "AAAA") == []
            r = dns.query.udp(dns.message.make_query("x.special.apps.cl.test", "A"), n.addr,
                              port=n.DNS_PORT, timeout=2)
            assert r.rcode() == dns.rcode.NXDOMAIN
        # one wildcard from two owners (API records on node2 and node3): both addresses everywhere
        assert ns_post(n2, {"hostname": "*.multi.cl.test", "ip_address": "10.9.0.2"}) == 201
        assert ns_post(n3, {"hostname": "*.multi.cl.test", "ip_address": "10.9.0.3"}) == 201
        wait_until(lambda: all(ns_answers(n, "x.multi.cl.test") == ["10.9.0.2", "10.9.0.3"]
                               for n in nodes), timeout=10, what="both owners' addresses")
        status, doc = n1.json("/dns/explain?name=x.multi.cl.test")
        assert status == 200 and doc["rule"]["id"] == "wildcard", doc["rule"]
        assert "every distinct address of its 2 owners" in doc["rule"]["text"], doc["rule"]
        assert {r["owner"] for r in doc["records"]} == {"node2", "node3"}
        # node2 dies: its explicit name is withdrawn, so node1's wildcard answers for it, and only
        # node3's address is left for the shared wildcard
        n2.send_signal(signal.SIGKILL)
        n2.wait(10)
        wait_until(lambda: all(ns_answers(n, "special.apps.cl.test") == [n1.addr] and
                               ns_answers(n, "x.multi.cl.test") == ["10.9.0.3"]
                               for n in (n1, n3)), timeout=15, what="node2's names withdrawn")
        # node2 back: its explicit name wins again
        n2.start()
        wait_until(lambda: all(ns_answers(n, "special.apps.cl.test") == [n2.addr]
                               for n in nodes), timeout=20, what="node2's name back")
    finally:
        bad = []
        for n in nodes:
            rc = n.stop()
            if rc in (98, 99):
                bad.append("node%d exited %d:\n%s" % (n.i, rc, n.log()[-3000:]))
        lab.close()
        if bad:
            pytest.fail("\n".join(bad))


def test_status_page_shows_the_kind(node, tmp_path):
    """In a real browser: the records table has a Kind column, a wildcard badge on `*.` names."""
    from cdp import Browser
    b = Browser(str(tmp_path / "profile"), dark=False)
    try:
        b.open(node.url("/"))
        b.wait_for("document.querySelectorAll('#r-body tr').length > 1")
        rows = b.evaluate("Array.from(document.querySelectorAll('#r-body tr')).map(function (tr) {"
                          " return Array.from(tr.children).map(function (td) {"
                          " return td.textContent; }); })")
        head = b.evaluate("Array.from(document.querySelectorAll('#records th')).map(function (th) {"
                          " return th.textContent; })")
        assert head[:4] == ["Name", "Type", "Kind", "Address"], head
        kinds = {(r[0], r[1]): r[2] for r in rows}
        assert kinds[("*.apps.wild.test", "A")] == "wildcard"
        assert kinds[("*.apps.wild.test", "AAAA")] == "wildcard"
        # hosts records give PTRs (DNS_PTR=hosts), wildcards never: they are no address's name
        assert kinds[("special.apps.wild.test", "A")] == "A PTR"
        badges = b.evaluate("Array.from(document.querySelectorAll('#r-body span.badge')).map("
                            "function (s) { return s.textContent; })")
        assert badges.count("wildcard") == 3, badges
        hosts_rows = [r for r in rows if r[5].startswith("hosts:") and not r[0].startswith("*.")]
        assert hosts_rows and badges.count("PTR") == len(hosts_rows), badges
        assert b.problems() == []
    finally:
        b.close()
