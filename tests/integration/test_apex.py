"""The zone apex of DNS_DOMAINS on the real binary: NS with one name per live cluster member and
their glue, the SOA (MNAME, serial), ANY answered minimally, fixed DNS_NS_NAMES; on one node over
loopback (dnspython, kdig) and on a 3-node cluster in network namespaces, which an independent
zone checker (DNSViz, undelegated: the delegation given on its command line) must find free of
errors. Measured figures are printed as "MEASURED ..." lines (run with -s to see them)."""

import json
import os
import shutil
import signal
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import JOYRIDE, SAN_ENV, node_env, wait_until

ZONE = "example.test"


def measured(what, value):
    print("MEASURED %s: %s" % (what, value))


def rrset(resp, section, rdtype, name=None):
    for rr in getattr(resp, section):
        if rr.rdtype == dns.rdatatype.from_text(rdtype) and (
                name is None or rr.name.to_text().lower() == name.lower()):
            return rr
    return None


def ns_names(resp):
    rr = rrset(resp, "answer", "NS")
    return sorted(rd.target.to_text().lower() for rd in rr) if rr else []


def glue(resp):
    """{name: [addresses]} of the additional section."""
    out = {}
    for rr in resp.additional:
        if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            out.setdefault(rr.name.to_text().lower(), []).extend(rd.address for rd in rr)
    return {k: sorted(v) for k, v in out.items()}


# ---- one node on loopback ----

def test_single_node_apex(joyride):
    node = joyride(env={"DNS_DOMAINS": ZONE, "NODE_ID": "apex-one"},
                   hosts={"h": "127.0.0.9 web.%s\n" % ZONE})
    me = "apex-one.ns.%s." % ZONE
    r = node.query(ZONE, "NS")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert ns_names(r) == [me]
    assert glue(r) == {me: [node.addr]}
    assert not r.authority

    soa = rrset(node.query(ZONE, "SOA"), "answer", "SOA")[0]
    assert soa.mname.to_text() == me
    assert soa.rname.to_text() == "hostmaster.%s." % ZONE
    # negative answers carry the same SOA
    neg = node.query("nope." + ZONE, "A")
    assert neg.rcode() == dns.rcode.NXDOMAIN
    assert rrset(neg, "authority", "SOA")[0].mname.to_text() == me

    # the NS name answers for itself, authoritatively; NS below the apex is NODATA
    a = node.query(me, "A")
    assert a.flags & dns.flags.AA and [rd.address for rd in a.answer[0]] == [node.addr]
    for name in ("web." + ZONE, me, "ns." + ZONE):
        nodata = node.query(name, "NS")
        assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer, name
        assert rrset(nodata, "authority", "SOA") is not None, name

    # ANY at the apex: one RRset, the SOA (RFC 8482), over kdig as a client would ask it
    if shutil.which("kdig"):
        out = subprocess.run(["kdig", "@%s" % node.addr, "-p", str(node.dns_port), "+tcp",
                              "+noall", "+answer", ZONE, "ANY"],
                             capture_output=True, text=True, timeout=10).stdout
        lines = [l for l in out.splitlines() if l.strip() and not l.startswith(";")]
        assert len(lines) == 1 and "\tSOA\t" in lines[0], out
    any_r = node.query(ZONE, "ANY", tcp=True)
    assert [rr.rdtype for rr in any_r.answer] == [dns.rdatatype.SOA]

    # the NS name is an ordinary record of this node, listed with source "ns"
    status, body = node.json("/dns/records?name=" + me.rstrip("."))
    assert status == 200
    assert [(x["hostname"], x["ip_address"], x["source"], x["source_type"])
            for x in body["records"]] == [(me.rstrip("."), node.addr, "ns", "ns")]
    _, _, metrics = node.http("/metrics")
    assert 'joyride_records{source="ns"} 1\n' in metrics.decode()

    # /dns/explain shows the NS set the DNS server answers
    status, body = node.json("/dns/explain?name=%s&type=NS" % ZONE)
    assert status == 200, body
    assert body["answer"]["ns"] == [me.rstrip(".")]
    assert body["rule"]["id"] == "zone_apex" and "1 glue record" in body["rule"]["text"]

    # and so does `joyride explain`
    api = "http://%s:%d" % (node.addr, node.http_port)
    out = subprocess.run([str(JOYRIDE), "explain", "--api", api, ZONE, "NS"],
                         capture_output=True, text=True, timeout=10).stdout
    want = "%s NS: NOERROR (authoritative), 1 name server: %s\n" % (ZONE, me.rstrip("."))
    assert out.startswith(want), out

    # the serial follows the record set
    s1 = soa.serial
    hosts_dir = node.env["HOSTS_DIRECTORY"]
    with open(os.path.join(hosts_dir, "more"), "w") as f:
        f.write("127.0.0.10 new.%s\n" % ZONE)
    wait_until(lambda: node.addresses("new." + ZONE) == ["127.0.0.10"], what="new record")
    s2 = rrset(node.query(ZONE, "SOA"), "answer", "SOA")[0].serial
    assert s2 != s1


def test_two_zones(joyride):
    node = joyride(env={"DNS_DOMAINS": "a.test,b.test", "NODE_ID": "two"})
    for zone in ("a.test", "b.test"):
        r = node.query(zone, "NS")
        assert ns_names(r) == ["two.ns.%s." % zone]
        assert glue(r) == {"two.ns.%s." % zone: [node.addr]}
        soa = rrset(node.query("x." + zone, "A"), "authority", "SOA")[0]
        assert soa.mname.to_text() == "two.ns.%s." % zone


def test_fixed_ns_names(joyride):
    node = joyride(env={"DNS_DOMAINS": ZONE,
                        "DNS_NS_NAMES": "ns1.%s,ns2.%s,ns.elsewhere.example" % (ZONE, ZONE)},
                   hosts={"ns": "127.0.0.53 ns1.%s\n127.0.0.54 ns.elsewhere.example\n" % ZONE})
    r = node.query(ZONE, "NS")
    assert ns_names(r) == sorted(["ns1.%s." % ZONE, "ns2.%s." % ZONE, "ns.elsewhere.example."])
    # glue only for names inside the zone that have records (ns2 has none; the other is outside)
    assert glue(r) == {"ns1.%s." % ZONE: ["127.0.0.53"]}
    assert rrset(node.query(ZONE, "SOA"), "answer", "SOA")[0].mname.to_text() == "ns1.%s." % ZONE
    # no derived name is published with fixed names
    status, body = node.json("/dns/records")
    assert status == 200 and not [x for x in body["records"] if x["source"] == "ns"]


@pytest.mark.parametrize("env,problem", [
    ({"DNS_NS_NAMES": "ns1.example.test"}, "DNS_NS_NAMES: NS names need DNS_DOMAINS"),
    ({"DNS_DOMAINS": ZONE, "DNS_NS_NAMES": "ns1.example.test,bad..name"},
     "DNS_NS_NAMES: bad..name is not a valid domain name"),
    ({"DNS_DOMAINS": ZONE, "DNS_NS_NAMES": ","}, "DNS_NS_NAMES: , holds no name"),
])
def test_ns_names_config_errors(env, problem):
    r = subprocess.run([str(JOYRIDE)], env=node_env(**env), capture_output=True, text=True,
                       timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.splitlines()) == 1 and problem in r.stderr, r.stderr


# ---- a 3-node cluster in network namespaces ----

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not JOYRIDE.exists(),
    reason="needs root, iproute2 and a built joyride")


def poll(pred, timeout, interval=0.05, what="condition"):
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        try:
            last = pred()
            if last:
                return time.monotonic() - t0
        except Exception as e:  # noqa: BLE001 - a node may be starting or briefly unreachable
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


def ask(node, name, rdtype):
    q = dns.message.make_query(name, rdtype)
    return dns.query.udp(q, node.addr, port=node.DNS_PORT, timeout=1.0)


def kill_namespace_procs(lab, i):
    """Kills whatever still runs in namespace i (the checker's own named) by PID."""
    out = subprocess.run(["ip", "netns", "pids", lab.ns(i)], capture_output=True, text=True)
    for pid in out.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def errors_and_warnings(tree, path=""):
    """Every error and warning in dnsviz grok's JSON, as (path, code, description)."""
    errs, warns = [], []
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k in ("errors", "warnings") and isinstance(v, list):
                for e in v:
                    item = (path, e.get("code"), e.get("description"))
                    (errs if k == "errors" else warns).append(item)
            else:
                e2, w2 = errors_and_warnings(v, path + "/" + str(k))
                errs += e2
                warns += w2
    elif isinstance(tree, list):
        for x in tree:
            e2, w2 = errors_and_warnings(x, path)
            errs += e2
            warns += w2
    return errs, warns


@pytest.fixture
def apex_trio(tmp_path):
    from netns import PUBLIC_LOOKING, Lab, NsNode
    # node 4 runs the zone checker; the nodes' addresses are of a range checkers do not take
    # for private (they flag NS addresses in 10/8)
    lab = Lab(4, space=PUBLIC_LOOKING)
    nodes = []
    try:
        for i in (1, 2, 3):
            nodes.append(NsNode(lab, i, JOYRIDE, tmp_path, san_env=SAN_ENV,
                                env_extra={"DNS_DOMAINS": ZONE, "LOG_LEVEL": "INFO"},
                                hosts={"h": "%s n%d.%s\n" % (lab.ip(i), i, ZONE)}))
        for n in nodes:
            n.start()
        yield lab, nodes
    finally:
        bad = []
        for n in nodes:
            rc = n.stop()
            if rc in (98, 99):
                bad.append("node%d exited %d:\n%s" % (n.i, rc, n.log()[-3000:]))
        kill_namespace_procs(lab, 4)
        lab.close()
        if bad:
            pytest.fail("\n".join(bad))


def names_of(nodes):
    return sorted("node%d.ns.%s." % (n.i, ZONE) for n in nodes)


@needs_root
def test_cluster_apex_and_zone_checker(apex_trio, tmp_path):
    lab, nodes = apex_trio
    n1, n2, n3 = nodes
    want = names_of(nodes)
    took = poll(lambda: all(ns_names(ask(n, ZONE, "NS")) == want for n in nodes), 20,
                what="every node answering the 3 NS names")
    measured("3 nodes started -> every node answers 3 NS (s)", "%.2f" % took)
    for n in nodes:
        r = ask(n, ZONE, "NS")
        assert glue(r) == {"node%d.ns.%s." % (o.i, ZONE): [o.addr] for o in nodes}
    # the same SOA everywhere (MNAME the lowest name, serial the record set's)
    poll(lambda: len({rrset(ask(n, ZONE, "SOA"), "answer", "SOA")[0].to_text()
                      for n in nodes}) == 1, 10, what="one SOA on every node")
    soa = rrset(ask(n1, ZONE, "SOA"), "answer", "SOA")[0]
    assert soa.mname.to_text() == "node1.ns.%s." % ZONE

    if not shutil.which("dnsviz") or not shutil.which("named", path="/usr/sbin:/usr/bin:/sbin"):
        pytest.skip("dnsviz or named not installed (scripts/deps.sh test installs them)")
    # Undelegated test: -N gives the delegation a parent would publish (the NS names and their
    # glue); dnsviz serves it from a named of its own, inside namespace 4, and checks the
    # servers against it (-E: EDNS behaviour too).
    deleg = ",".join("node%d.ns.%s=%s" % (n.i, ZONE, n.addr) for n in nodes)
    probe = tmp_path / "probe.json"
    t0 = time.monotonic()
    try:
        p = lab.run(4, ["dnsviz", "probe", "-A", "-E", "-N", "%s:%s" % (ZONE, deleg),
                        "-o", str(probe), ZONE], capture_output=True, text=True, timeout=300)
    finally:
        kill_namespace_procs(lab, 4)
    measured("dnsviz probe of the 3-node cluster (s)", "%.1f" % (time.monotonic() - t0))
    assert p.returncode == 0 and probe.stat().st_size > 0, p.stdout + p.stderr
    g = subprocess.run(["dnsviz", "grok", "-l", "warning", "-r", str(probe)],
                       capture_output=True, text=True, timeout=120)
    assert g.returncode == 0, g.stderr
    errs, warns = errors_and_warnings(json.loads(g.stdout or "{}"))
    measured("dnsviz errors", len(errs))
    measured("dnsviz warnings", [w[1] for w in warns])
    assert errs == [], json.dumps(errs, indent=1)
    text = subprocess.run(["dnsviz", "print", "-r", str(probe)], capture_output=True, text=True,
                          timeout=120).stdout
    print(text)
    assert "NS: " in text and all(n.rstrip(".") in text for n in want)

    # A node that joins later (in namespace 4, once the checker is done) enters every NS set.
    from netns import NsNode
    n4 = NsNode(lab, 4, JOYRIDE, tmp_path, san_env=SAN_ENV,
                env_extra={"DNS_DOMAINS": ZONE, "LOG_LEVEL": "INFO"})
    nodes.append(n4)
    n4.start()
    took = poll(lambda: all(ns_names(ask(n, ZONE, "NS")) == names_of(nodes) for n in nodes), 20,
                what="node4's NS name on every node")
    measured("node4 started -> 4 NS on every node (s)", "%.2f" % took)
    n4.stop()
    nodes.remove(n4)
    poll(lambda: all(ns_names(ask(n, ZONE, "NS")) == want for n in nodes), 20,
         what="node4's NS name gone after it left")

    # A dead node's NS name goes with its records, and comes back with it.
    n3.proc.send_signal(signal.SIGKILL)
    n3.proc.wait()
    took = poll(lambda: all(ns_names(ask(n, ZONE, "NS")) == names_of([n1, n2]) for n in (n1, n2)),
                30, what="node3's NS name withdrawn")
    measured("SIGKILL -> NS set without node3 on the others (s)", "%.2f" % took)
    assert "node3.ns.%s." % ZONE not in glue(ask(n1, ZONE, "NS"))
    n3._log.close()
    n3.start()
    took = poll(lambda: all(ns_names(ask(n, ZONE, "NS")) == want for n in nodes), 20,
                what="node3's NS name back everywhere")
    measured("restart -> node3 back in every NS set (s)", "%.2f" % took)
