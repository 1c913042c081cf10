"""PTR records and per-record TTLs across a 3-node cluster of real joyride processes in network
namespaces (netns.py): every node answers the reverse names of every node's hosts records in rank
order (a hosts line's first name first), a reordered line is followed everywhere, API records'
TTLs replicate (the smallest of a name's owners is answered), a restarted node gets ranks and
TTLs back from full states, and a dead node's PTRs go with its records."""

import json
import os
import shutil
import signal
import urllib.request

import dns.message
import dns.query
import dns.rdatatype
import dns.reversename
import pytest

from conftest import JOYRIDE, SAN_ENV
from netns import Lab, NsNode
from test_api_records import TOKEN
from test_cluster import finish, poll, wait_started

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not JOYRIDE.exists(),
    reason="needs root, iproute2 and a built joyride")


def query(node, name, rdtype, timeout=0.5):
    return dns.query.udp(dns.message.make_query(name, rdtype), node.addr, port=node.DNS_PORT,
                         timeout=timeout)


def ptrs(node, addr):
    """PTR targets answered for addr, in answer order; None while the node does not answer."""
    try:
        r = query(node, dns.reversename.from_address(addr), "PTR")
    except Exception:  # noqa: BLE001 - a timeout counts as "not yet"
        return None
    return [rd.target.to_text() for rrset in r.answer for rd in rrset]


def a_ttl(node, name):
    """(sorted addresses, TTL) of name's A answer; None while it has none."""
    try:
        r = query(node, name, "A")
    except Exception:  # noqa: BLE001
        return None
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.A:
            return sorted(rd.address for rd in rrset), rrset.ttl
    return None


def all_ptrs(nodes, addr, want):
    return all(ptrs(n, addr) == want for n in nodes)


def api_post(node, hostname, ip, ttl):
    body = json.dumps({"hostname": hostname, "ip_address": ip, "ttl": ttl}).encode()
    req = urllib.request.Request("http://%s:%d/dns/records" % (node.addr, node.HTTP_PORT),
                                 method="POST", data=body,
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_ptr_and_ttl_across_the_cluster(tmp_path):
    lab = Lab(3)
    hosts = {
        1: "%s n1.ptr.test\n10.88.0.5 web.ptr.test www.ptr.test alias.ptr.test\n" % lab.ip(1),
        2: "%s n2.ptr.test\n10.88.0.5 other.ptr.test\n" % lab.ip(2),
        3: "%s n3.ptr.test\n" % lab.ip(3),
    }
    nodes = [NsNode(lab, i, JOYRIDE, tmp_path,
                    env_extra={"SWIM_PUSHPULL_INTERVAL": "600s", "API_TOKEN": TOKEN,
                               "API_RECORDS_FILE": tmp_path / ("api-%d.json" % i)},
                    hosts={"local": hosts[i]}, san_env=SAN_ENV) for i in (1, 2, 3)]
    try:
        for n in nodes:
            n.start()
        for n in nodes:
            wait_started(n)
        # each node's own address, on every node
        for o in nodes:
            poll(lambda: all_ptrs(nodes, o.addr, ["n%d.ptr.test." % o.i]), 15,
                 what="PTR of node%d's address everywhere" % o.i)
        # one address from two owners: rank (the line's place), then name
        want = ["other.ptr.test.", "web.ptr.test.", "www.ptr.test.", "alias.ptr.test."]
        poll(lambda: all_ptrs(nodes, "10.88.0.5", want), 10, what="merged PTR set everywhere")
        # node1 reorders its line: every node follows
        nodes[0].write_hosts("local", "%s n1.ptr.test\n10.88.0.5 alias.ptr.test web.ptr.test "
                                      "www.ptr.test\n" % lab.ip(1))
        want = ["alias.ptr.test.", "other.ptr.test.", "web.ptr.test.", "www.ptr.test."]
        poll(lambda: all_ptrs(nodes, "10.88.0.5", want), 10, what="the new order everywhere")

        # TTLs of API records replicate; a name's smallest TTL is answered
        assert api_post(nodes[1], "api.ptr.test", "10.88.0.9", 9) == 201
        poll(lambda: all(a_ttl(n, "api.ptr.test") == (["10.88.0.9"], 9) for n in nodes), 10,
             what="api.ptr.test with TTL 9 everywhere")
        assert api_post(nodes[1], "web.ptr.test", "10.88.0.6", 3) == 201
        poll(lambda: a_ttl(nodes[2], "web.ptr.test") == (["10.88.0.5", "10.88.0.6"], 3), 10,
             what="node3: both owners' addresses at the smaller TTL")
        # on node1 its own hosts file wins for the name: node2's record is shadowed there
        assert a_ttl(nodes[0], "web.ptr.test") == (["10.88.0.5"], 60)
        # API records give no PTR by default (DNS_PTR=hosts)
        assert ptrs(nodes[2], "10.88.0.9") == []  # in-addr.arpa name of no record: NXDOMAIN
        # a changed TTL replicates as well
        assert api_post(nodes[1], "api.ptr.test", "10.88.0.9", 77) == 200
        poll(lambda: all(a_ttl(n, "api.ptr.test") == (["10.88.0.9"], 77) for n in nodes), 10,
             what="api.ptr.test with TTL 77 everywhere")

        # node3 restarts: ranks and TTLs come back with the full states it is sent
        n3 = nodes[2]
        assert n3.stop() == 0
        n3.start()
        wait_started(n3)
        poll(lambda: ptrs(n3, "10.88.0.5") == want, 15, what="node3's PTR order after restart")
        poll(lambda: a_ttl(n3, "api.ptr.test") == (["10.88.0.9"], 77), 10,
             what="node3's TTL after restart")
        assert a_ttl(n3, "web.ptr.test") == (["10.88.0.5", "10.88.0.6"], 3)

        # node1 dies: its PTRs go with its records on the others
        nodes[0].send_signal(signal.SIGKILL)
        nodes[0].wait(timeout=10)
        poll(lambda: all_ptrs(nodes[1:], "10.88.0.5", ["other.ptr.test."]), 15,
             what="node1's PTRs withdrawn")
        poll(lambda: all(ptrs(n, lab.ip(1)) == [] for n in nodes[1:]), 5,
             what="node1's own address withdrawn")
    finally:
        finish(lab, nodes)
