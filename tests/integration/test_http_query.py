"""/dns/records paging and name filter, and /dns/explain, against the real binary: totals and
pages against the full listing, every malformed parameter answered 400 with a JSON reason, and
explain's records, states and rule checked against what the DNS server really answers
(dnspython), for hosts names, shadowed and dormant names of a second node, unknown names under
each DNS_UNKNOWN_ACTION and DNS_DOMAINS."""

import json
import time

import dns.exception
import dns.rcode
import pytest

from conftest import free_port, unique_loopback, wait_until

HOSTS = {
    "lab": "# lab\n10.0.0.1 web.test www.test\nfd00::1 web.test\n10.0.0.2 db.test\n",
    "services": "10.0.1.5 api.test\n10.0.1.6 api.test\n" + "".join(
        "10.0.2.%d host%02d.pool.test\n" % (i, i) for i in range(1, 41)),
}
N_RECORDS = 4 + 2 + 40  # lab: web A and AAAA, www, db; api twice; 40 pool hosts


@pytest.fixture
def node(joyride):
    return joyride(hosts=HOSTS)


def records(node, query=""):
    code, body = node.json("/dns/records" + query)
    assert code == 200, body
    return body


def test_unpaged_keeps_the_old_shape_with_totals(node):
    r = records(node)
    assert r["status"] == "success"
    assert r["total_records"] == r["total"] == r["returned"] == len(r["records"]) == N_RECORDS
    assert r["offset"] == 0 and r["limit"] is None
    names = [x["hostname"] for x in r["records"]]
    assert names == sorted(names)
    for rec in r["records"]:
        assert set(rec) == {"hostname", "ip_address", "ttl", "type", "kind", "source", "source_type",
                            "owner", "ptr"}


def test_pages_cover_the_listing_exactly(node):
    full = records(node)["records"]
    got = []
    for offset in range(0, len(full) + 7, 7):
        page = records(node, "?limit=7&offset=%d" % offset)
        assert page["total"] == len(full)
        assert page["limit"] == 7 and page["offset"] == offset
        assert page["returned"] == len(page["records"]) == max(0, min(7, len(full) - offset))
        got.extend(page["records"])
    assert got == full
    # limit 0: only the totals; an offset past the end: an empty page, still 200
    z = records(node, "?limit=0")
    assert z["records"] == [] and z["returned"] == 0 and z["total"] == len(full)
    far = records(node, "?offset=100000")
    assert far["records"] == [] and far["total"] == len(full)
    # offset alone: the rest of the list
    assert records(node, "?offset=40")["records"] == full[40:]


def test_name_filter_exact_suffix_and_substring(node):
    exact = records(node, "?name=WEB.test.")
    assert exact["total"] == 2
    assert {(x["hostname"], x["type"]) for x in exact["records"]} == {("web.test", "A"),
                                                                      ("web.test", "AAAA")}
    pool = records(node, "?name=*.pool.test")
    assert pool["total"] == 40
    assert all(x["hostname"].endswith(".pool.test") for x in pool["records"])
    page = records(node, "?name=*.pool.test&limit=5&offset=10")
    assert page["total"] == 40 and page["returned"] == 5
    assert [x["hostname"] for x in page["records"]] == ["host%02d.pool.test" % i
                                                        for i in range(11, 16)]
    sub = records(node, "?name=*st0*")
    assert sorted({x["hostname"] for x in sub["records"]}) == ["host%02d.pool.test" % i
                                                              for i in range(1, 10)]
    one = records(node, "?name=host1?.pool.test")
    assert one["total"] == 10
    none = records(node, "?name=nothing.test")
    assert none["total"] == 0 and none["records"] == []
    # "*.test" matches names under test, not "test" itself
    assert records(node, "?name=*.test")["total"] == N_RECORDS


@pytest.mark.parametrize("query,word", [
    ("?limit=abc", "limit"), ("?limit=-1", "limit"), ("?limit=100001", "limit"),
    ("?limit=", "limit"), ("?limit", "limit"), ("?offset=x", "offset"),
    ("?offset=1e3", "offset"), ("?name=a%20b", "name"), ("?name=bad..name", "name"),
    ("?name=%5Bab%5D", "name"), ("?limt=5", "limt"), ("?limit=1&limit=2", "twice"),
    ("?name=" + "a" * 300, "name"),
])
def test_bad_parameters_are_400(node, query, word):
    code, headers, body = node.http("/dns/records" + query)
    assert code == 400, (query, body)
    assert headers["Content-Type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["status"] == "error" and word in doc["message"], doc


def explain(node, name, rtype=None):
    q = "/dns/explain?name=%s" % name + ("&type=%s" % rtype if rtype else "")
    code, body = node.json(q)
    assert code == 200, body
    return body


def wire(node, name, rtype="A"):
    """(rcode name, sorted addresses) of the real DNS answer."""
    r = node.query(name, rtype)
    addrs = sorted(rd.address for rrset in r.answer for rd in rrset if hasattr(rd, "address"))
    return dns.rcode.to_text(r.rcode()), addrs


def answer_of(doc):
    a = doc["answer"]
    return a["rcode"], sorted(x["address"] for x in a["answers"])


def test_explain_hosts_name(node):
    doc = explain(node, "web.test")
    assert doc["name"] == "web.test" and doc["type"] == "A"
    assert answer_of(doc) == wire(node, "web.test") == ("NOERROR", ["10.0.0.1"])
    assert doc["answer"]["authoritative"] is True
    assert doc["rule"]["id"] == "served"
    recs = {(r["type"], r["address"]): r for r in doc["records"]}
    assert set(recs) == {("A", "10.0.0.1"), ("AAAA", "fd00::1")}
    a = recs[("A", "10.0.0.1")]
    lab = node.env["HOSTS_DIRECTORY"] + "/lab"
    assert a["state"] == "served" and a["answered"] is True
    assert a["source"] == "hosts:" + lab and a["source_type"] == "hosts"
    assert a["file"] == lab and a["line"] == 2
    assert a["owner"] == doc["node_id"] and a["owner_is_self"] is True
    assert a["version"]["seq"] >= 1 and a["version"]["epoch"] > 0
    assert recs[("AAAA", "fd00::1")]["line"] == 3
    assert recs[("AAAA", "fd00::1")]["answered"] is False  # not asked for
    both = explain(node, "web.test", "ANY")
    assert answer_of(both)[1] == ["10.0.0.1", "fd00::1"]
    # two addresses from one file: both served, both answered
    api = explain(node, "api.test")
    assert answer_of(api) == wire(node, "api.test") == ("NOERROR", ["10.0.1.5", "10.0.1.6"])
    assert [r["line"] for r in api["records"]] == [1, 2]


def test_explain_follows_line_moves(node):
    path = node.env["HOSTS_DIRECTORY"] + "/lab"
    with open(path, "w") as f:
        f.write("\n\n\n10.0.0.2 db.test\n# web moved down\n10.0.0.1 web.test www.test\n")
    wait_until(lambda: explain(node, "web.test")["records"][0]["line"] == 6, timeout=5,
               what="the line of web.test to follow the file")


def test_explain_nodata_and_empty_non_terminal(node):
    doc = explain(node, "db.test", "AAAA")
    assert answer_of(doc) == wire(node, "db.test", "AAAA") == ("NOERROR", [])
    assert doc["rule"]["id"] == "nodata"
    assert len(doc["records"]) == 1 and doc["records"][0]["answered"] is False
    doc = explain(node, "pool.test")
    assert answer_of(doc) == wire(node, "pool.test") == ("NOERROR", [])
    assert doc["rule"]["id"] == "empty_non_terminal" and doc["records"] == []


def test_explain_unknown_name(node):
    doc = explain(node, "nope.test")
    assert answer_of(doc) == wire(node, "nope.test") == ("NXDOMAIN", [])
    assert doc["rule"]["id"] == "unknown_nxdomain"
    assert "NXDOMAIN" in doc["rule"]["text"] and "DNS_UNKNOWN_ACTION=nxdomain" in doc["rule"]["text"]
    assert doc["records"] == []
    assert doc["unknown_action"] == "nxdomain" and doc["zone"] is None


@pytest.mark.parametrize("query,word", [
    ("", "name"), ("?name=", "name"), ("?name=-bad-.test", "name"),
    ("?name=web.test&type=BOGUS", "type"), ("?name=web.test&limit=1", "limit"),
])
def test_explain_bad_parameters_are_400(node, query, word):
    code, headers, body = node.http("/dns/explain" + query)
    assert code == 400, body
    doc = json.loads(body)
    assert doc["status"] == "error" and word in doc["message"], doc


def test_explain_unknown_actions_and_domains(joyride):
    refused = joyride(hosts={"h": "10.3.0.1 in.corp.test\n"}, env={"DNS_UNKNOWN_ACTION": "refused"})
    doc = explain(refused, "nope.test")
    assert answer_of(doc) == wire(refused, "nope.test") == ("REFUSED", [])
    assert doc["rule"]["id"] == "unknown_refused"

    # (ready=False: the readiness probe asks an unknown name, which this node never answers)
    drop = joyride(hosts={"h": "10.3.0.1 in.corp.test\n"}, env={"DNS_UNKNOWN_ACTION": "drop"},
                   ready=False)
    wait_until(lambda: drop.addresses("in.corp.test") == ["10.3.0.1"], timeout=15,
               what="the drop node answering")
    doc = explain(drop, "nope.test")
    assert doc["answer"]["dropped"] is True and doc["answer"]["rcode"] is None
    assert doc["rule"]["id"] == "unknown_drop"
    with pytest.raises(dns.exception.Timeout):
        drop.query("nope.test", timeout=0.5)

    dom = joyride(hosts={"h": "10.3.0.1 in.corp.test\n"}, env={"DNS_DOMAINS": "corp.test"})
    doc = explain(dom, "nope.corp.test")
    assert answer_of(doc) == wire(dom, "nope.corp.test") == ("NXDOMAIN", [])
    assert doc["rule"]["id"] == "nxdomain_in_domain" and doc["zone"] == "corp.test"
    assert doc["answer"]["soa"] == "authority"
    doc = explain(dom, "elsewhere.example")
    assert answer_of(doc) == wire(dom, "elsewhere.example") == ("REFUSED", [])
    assert doc["rule"]["id"] == "outside_domains"
    assert "outside DNS_DOMAINS" in doc["rule"]["text"]
    doc = explain(dom, "corp.test", "SOA")
    assert doc["rule"]["id"] == "zone_apex" and doc["answer"]["soa"] == "answer"


# ---- two nodes: records of another owner, shadowed, dormant, removed ----

def cluster(joyride, *hosts):
    """Nodes with these hosts directories, the first one the seed of the others (no discovery)."""
    def env(node_id, more=None):
        addr = unique_loopback()
        e = {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
             "SWIM_PORT": str(free_port(addr)), "NODE_ID": node_id,
             "SWIM_PROBE_INTERVAL": "200ms", "SWIM_PROBE_TIMEOUT": "100ms",
             "SWIM_SUSPICION_MULT": "2"}
        e.update(more or {})
        return e
    tag = "%x" % int(time.monotonic() * 1e6)
    seed_env = env("x0-" + tag)
    nodes = [joyride(hosts=hosts[0], env=seed_env)]
    for i, h in enumerate(hosts[1:], 1):
        nodes.append(joyride(hosts=h, env=env("x%d-%s" % (i, tag), {
            "CLUSTER_SEEDS": "%s:%s" % (nodes[0].addr, seed_env["SWIM_PORT"])})))
    return nodes


def owners(doc):
    return sorted((r["owner"], r["state"]) for r in doc["records"])


def test_explain_shadowed_dormant_and_removed(joyride):
    a, b, c = cluster(joyride, {"local": "10.5.0.1 shared.test\n"},
                      {"peer": "10.5.0.2 shared.test\n10.5.0.3 bonly.test\n10.5.0.4 gone.test\n"},
                      {})
    a_id, b_id = a.env["NODE_ID"], b.env["NODE_ID"]
    for n in (a, c):
        wait_until(lambda: wire(n, "bonly.test")[1] == ["10.5.0.3"], timeout=15,
                   what="b's records on %s" % n.env["NODE_ID"])
    wait_until(lambda: len(wire(c, "shared.test")[1]) == 2, timeout=15, what="a's records on c")

    # the same name in a's own hosts file and from b: a answers its own, b's is shadowed
    doc = explain(a, "shared.test")
    assert answer_of(doc) == wire(a, "shared.test") == ("NOERROR", ["10.5.0.1"])
    assert doc["rule"]["id"] == "local_hosts_wins"
    assert owners(doc) == sorted([(a_id, "served"), (b_id, "shadowed")])
    shadowed = [r for r in doc["records"] if r["state"] == "shadowed"][0]
    assert shadowed["address"] == "10.5.0.2" and shadowed["owner_is_self"] is False
    assert shadowed["file"].endswith("/peer") and shadowed["line"] is None  # b's line stays on b
    # on c, which has no hosts file of its own, nothing shadows: both owners' addresses
    doc = explain(c, "shared.test")
    assert answer_of(doc) == wire(c, "shared.test") == ("NOERROR", ["10.5.0.1", "10.5.0.2"])
    assert doc["rule"]["id"] == "all_owners"
    assert owners(doc) == sorted([(a_id, "served"), (b_id, "served")])
    # a name only b has: served on a from b
    doc = explain(a, "bonly.test")
    assert doc["rule"]["id"] == "served" and owners(doc) == [(b_id, "served")]

    # b removes a line: a keeps the removal as a tombstone (a peer's tombstones are collected
    # in batches of 64, so a single one stays)
    with open(b.env["HOSTS_DIRECTORY"] + "/peer", "w") as f:
        f.write("10.5.0.2 shared.test\n10.5.0.3 bonly.test\n")
    wait_until(lambda: wire(a, "gone.test")[0] == "NXDOMAIN", timeout=10, what="gone.test removed")
    doc = explain(a, "gone.test")
    assert owners(doc) == [(b_id, "removed")]
    assert doc["records"][0]["address"] == "10.5.0.4"
    assert doc["rule"]["id"] == "unknown_nxdomain"
    assert doc["rule"]["text"].startswith("no served record")
    assert any("tombstone" in n for n in doc["notes"])

    # b dies (SIGKILL): on a its records go dormant, and the unknown rule decides
    b.kill()
    wait_until(lambda: wire(a, "bonly.test")[0] == "NXDOMAIN", timeout=30,
               what="b's records withdrawn on a")
    doc = explain(a, "bonly.test")
    assert answer_of(doc) == ("NXDOMAIN", [])
    assert owners(doc) == [(b_id, "dormant")]
    assert doc["rule"]["id"] == "unknown_nxdomain"
    assert doc["rule"]["text"].startswith("no served record")
    assert any("dormant" in n for n in doc["notes"])
    # the shadowed one is dormant now too (dormant wins over shadowed in the state)
    doc = explain(a, "shared.test")
    assert owners(doc) == sorted([(a_id, "served"), (b_id, "dormant")])


def test_pages_of_a_large_table_match_the_full_listing(joyride):
    """25,000 names in 5 files with interleaved names (so the table's order is not the sorted
    one): pages near the top (selected with a bounded heap), across and beyond offset + limit =
    20,000 (copied and sorted whole) and filtered pages equal slices of the full listing."""
    files = {"f%d" % f: "".join("10.%d.%d.%d n%05d.big.test\n" % (f, i >> 8 & 255, i & 255, i)
                                for i in range(f, 25000, 5)) for f in range(5)}
    node = joyride(hosts=files)
    full = records(node)
    assert full["total"] == 25000
    listing = full["records"]
    for offset, limit in ((0, 1), (0, 100), (7, 500), (19950, 50), (19990, 100), (24950, 100),
                          (0, 25000), (24999, 5)):
        page = records(node, "?limit=%d&offset=%d" % (limit, offset))
        assert page["total"] == 25000
        assert page["records"] == listing[offset:offset + limit], (offset, limit)
    sub = [r for r in listing if r["hostname"].startswith("n1")]
    page = records(node, "?name=n1*&limit=30&offset=4990")
    assert page["total"] == len(sub) == 10000  # n10000..n19999
    assert page["records"] == sub[4990:5020]
