"""PTR records and per-record TTLs against the real binary on one node: reverse queries (dig -x
and dnspython) for every address of a hosts file, one PTR per name with a line's first name
first, IPv4 and IPv6, the order following edits of the file; NODATA for other types at a reverse
name and at the reverse tree's ancestors; the unknown-name rules for reverse names we have
nothing for; DNS_PTR=off|all (Docker and API records opt-in) and a bad DNS_PTR value; API
records' ttl in answers and listings, the smallest TTL of several owners of a name, and
"ptr" in /dns/records."""

import json
import shutil
import subprocess

import dns.flags
import dns.rcode
import dns.rdatatype
import dns.reversename
import pytest

from conftest import JOYRIDE, node_env, wait_until
from test_api_records import TOKEN, post

HOSTS = ("10.77.0.5 web.ptr.test www.ptr.test\n"
         "10.77.0.6 db.ptr.test\n"
         "# the same address again: its names come after the first line's\n"
         "10.77.0.5 alias.ptr.test\n"
         "fd00:77::5 web.ptr.test v6.ptr.test\n")


def ptrs(node, addr, tcp=False):
    """The PTR targets answered for addr's reverse name, in answer order, and the response."""
    r = node.query(dns.reversename.from_address(addr), "PTR", tcp=tcp)
    out = []
    for rrset in r.answer:
        assert rrset.rdtype == dns.rdatatype.PTR
        out.extend(rd.target.to_text() for rd in rrset)
    return out, r


def dig_x(node, addr):
    out = subprocess.run(["dig", "@" + node.addr, "-p", str(node.dns_port), "+short", "+tries=2",
                          "+time=2", "-x", addr], capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_ptr_for_hosts_records(joyride):
    node = joyride(hosts={"lab": HOSTS}, env={"DNS_TTL": "42"})
    names, r = ptrs(node, "10.77.0.5")
    assert names == ["web.ptr.test.", "www.ptr.test.", "alias.ptr.test."]
    assert r.flags & dns.flags.AA
    assert all(rrset.ttl == 42 for rrset in r.answer)
    assert ptrs(node, "10.77.0.6")[0] == ["db.ptr.test."]
    assert ptrs(node, "fd00:77::5")[0] == ["web.ptr.test.", "v6.ptr.test."]
    assert ptrs(node, "10.77.0.5", tcp=True)[0] == names
    if shutil.which("dig"):
        assert dig_x(node, "10.77.0.5") == ["web.ptr.test.", "www.ptr.test.", "alias.ptr.test."]
        assert dig_x(node, "fd00:77::5") == ["web.ptr.test.", "v6.ptr.test."]
    # other types at a reverse name, PTR at a forward name: NODATA
    r = node.query("5.0.77.10.in-addr.arpa", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    r = node.query("web.ptr.test", "PTR")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    # the reverse tree's ancestors are empty non-terminals
    for name in ("0.77.10.in-addr.arpa", "77.10.in-addr.arpa", "in-addr.arpa", "ip6.arpa"):
        r = node.query(name, "PTR")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer, name
    # an address we have nothing for: the unknown-name rule (NXDOMAIN by default)
    assert ptrs(node, "10.77.0.9")[1].rcode() == dns.rcode.NXDOMAIN
    assert ptrs(node, "10.78.0.5")[1].rcode() == dns.rcode.NXDOMAIN
    # /dns/explain and `joyride explain` tell the PTR answer from the snapshot's own code
    _, doc = node.json("/dns/explain?name=5.0.77.10.in-addr.arpa&type=PTR")
    assert doc["rule"]["id"] == "ptr"
    assert [(a["type"], a["target"], a["ttl"]) for a in doc["answer"]["answers"]] == [
        ("PTR", "web.ptr.test", 42), ("PTR", "www.ptr.test", 42), ("PTR", "alias.ptr.test", 42)]
    # the records behind them, giving PTRs first in answer order
    assert [(r["name"], r["gives_ptr"], r["rank"], r["state"])
            for r in doc["ptr_records"]] == [("web.ptr.test", True, 0, "served"),
                                             ("www.ptr.test", True, 1, "served"),
                                             ("alias.ptr.test", True, 2, "served")]
    _, doc = node.json("/dns/explain?name=web.ptr.test")
    assert "ptr_records" not in doc
    _, doc = node.json("/dns/explain?name=5.0.77.10.in-addr.arpa&type=A")
    assert doc["rule"]["id"] == "nodata" and "(it has PTR)" in doc["rule"]["text"]
    out = subprocess.run([str(JOYRIDE), "explain", "--api", node.url(""),
                          "5.0.77.10.in-addr.arpa", "PTR"], capture_output=True, text=True,
                         timeout=20)
    assert out.returncode == 0, out.stderr
    assert ("3 names: web.ptr.test www.ptr.test alias.ptr.test" in out.stdout.splitlines()[0])
    assert "records of 10.77.0.5:" in out.stdout and "alias.ptr.test  yes" in out.stdout
    # listings say which records give PTRs
    _, doc = node.json("/dns/records")
    assert {r["ptr"] for r in doc["records"]} == {True}
    assert {r["ttl"] for r in doc["records"]} == {42}


def test_ptr_order_follows_the_file(joyride, tmp_path):
    node = joyride(hosts={"lab": "10.77.1.1 first.ptr.test second.ptr.test\n"})
    assert ptrs(node, "10.77.1.1")[0] == ["first.ptr.test.", "second.ptr.test."]
    (tmp_path / "hosts-0" / "lab").write_text("10.77.1.1 second.ptr.test first.ptr.test\n")
    wait_until(lambda: ptrs(node, "10.77.1.1")[0] == ["second.ptr.test.", "first.ptr.test."],
               timeout=5, what="the new order")
    (tmp_path / "hosts-0" / "lab").write_text("10.77.1.2 first.ptr.test\n")
    wait_until(lambda: ptrs(node, "10.77.1.1")[1].rcode() == dns.rcode.NXDOMAIN, timeout=5,
               what="the old address gone")
    assert ptrs(node, "10.77.1.2")[0] == ["first.ptr.test."]


def test_unknown_reverse_names_follow_the_rules(joyride):
    node = joyride(hosts={"lab": HOSTS}, env={"DNS_UNKNOWN_ACTION": "refused"})
    assert ptrs(node, "10.77.0.9")[1].rcode() == dns.rcode.REFUSED
    assert ptrs(node, "10.77.0.5")[0][0] == "web.ptr.test."
    # with DNS_DOMAINS: a reverse name with PTRs is answered, others (outside) are refused
    node = joyride(hosts={"lab": HOSTS}, env={"DNS_DOMAINS": "ptr.test"})
    assert ptrs(node, "10.77.0.5")[0][0] == "web.ptr.test."
    assert ptrs(node, "10.77.0.9")[1].rcode() == dns.rcode.REFUSED


def test_ptr_modes_and_api_ttl(joyride, tmp_path):
    off = joyride(hosts={"lab": HOSTS}, env={"DNS_PTR": "off"})
    assert ptrs(off, "10.77.0.5")[1].rcode() == dns.rcode.NXDOMAIN
    assert off.query("in-addr.arpa", "PTR").rcode() == dns.rcode.NXDOMAIN
    _, doc = off.json("/dns/records")
    assert {r["ptr"] for r in doc["records"]} == {False}

    for mode, api_ptr in (("hosts", False), ("all", True)):
        node = joyride(hosts={"lab": HOSTS}, env={
            "DNS_PTR": mode, "API_TOKEN": TOKEN,
            "API_RECORDS_FILE": tmp_path / ("api-%s.json" % mode)})
        status, _, doc = post(node, "api.ptr.test", "10.77.0.5", ttl=7)
        assert status == 201, doc
        assert doc["record"]["ttl"] == 7 and doc["record"]["ptr"] is api_ptr
        r = node.query("api.ptr.test")
        assert r.answer[0].ttl == 7
        names = ptrs(node, "10.77.0.5")[0]
        if api_ptr:  # rank 0 like web.ptr.test, then by name
            assert names == ["api.ptr.test.", "web.ptr.test.", "www.ptr.test.", "alias.ptr.test."]
        else:
            assert names == ["web.ptr.test.", "www.ptr.test.", "alias.ptr.test."]
        # the same name from a hosts file (DNS_TTL 60) and the API (7): the smallest
        assert post(node, "web.ptr.test", "10.77.0.50", ttl=7)[0] == 201
        r = node.query("web.ptr.test")
        assert sorted(rd.address for rd in r.answer[0]) == ["10.77.0.5", "10.77.0.50"]
        assert r.answer[0].ttl == 7
        assert node.query("web.ptr.test", "AAAA").answer[0].ttl == 60  # its own set's TTL
        _, doc = node.json("/dns/records?name=web.ptr.test")
        got = {(r["ip_address"], r["source_type"]): (r["ttl"], r["ptr"]) for r in doc["records"]}
        assert got[("10.77.0.5", "hosts")] == (60, True)
        assert got[("10.77.0.50", "api")] == (7, api_ptr)
        # a new ttl for the same record takes effect
        status, _, doc = post(node, "api.ptr.test", "10.77.0.5", ttl=120)
        assert status == 200
        assert node.query("api.ptr.test").answer[0].ttl == 120


def test_bad_dns_ptr_value_exits_2():
    env = node_env(DNS_PTR="docker")
    p = subprocess.run([str(JOYRIDE)], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert lines == ["joyride: DNS_PTR: docker is not one of hosts, all, off"], p.stderr


@pytest.mark.parametrize("ttl", ["0", "2147483647"])
def test_dns_ttl_bounds_reach_answers(joyride, ttl):
    node = joyride(hosts={"lab": HOSTS}, env={"DNS_TTL": ttl})
    assert ptrs(node, "10.77.0.6")[1].answer[0].ttl == int(ttl)
    assert node.query("db.ptr.test").answer[0].ttl == int(ttl)
    assert json.loads(node.http("/dns/records")[2])["records"][0]["ttl"] == int(ttl)


def test_api_ttl_survives_a_restart(joyride, tmp_path):
    env = {"API_TOKEN": TOKEN, "API_RECORDS_FILE": tmp_path / "api.json", "DNS_PTR": "all"}
    node = joyride(env=env)
    assert post(node, "kept.ptr.test", "10.77.2.1", ttl=33)[0] == 201
    assert node.stop() == 0
    node = joyride(env=env)
    r = node.query("kept.ptr.test")
    assert [rd.address for rd in r.answer[0]] == ["10.77.2.1"] and r.answer[0].ttl == 33
    names, r = ptrs(node, "10.77.2.1")
    assert names == ["kept.ptr.test."] and r.answer[0].ttl == 33
