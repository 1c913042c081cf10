"""The record table at 100k names against the real binary: a hosts directory of 100,000 names in
100 files (each giving a PTR); rewriting a one-name file is answered within a bound far below what rebuilding the
whole table took (it costs what changed, not the table's size), a new name's ancestors appear as
empty non-terminals (NODATA) and go again (NXDOMAIN) with it, and a burst of new files is answered
together."""

import os
import statistics
import time

import dns.rcode

from conftest import wait_until

NAMES = 100_000
FILES = 100
# What this test asserts for the median rewrite-to-answer time (the hosts source's 15 ms coalescing
# included, sanitizer build, loaded 2-core machine): ~16 ms measured; rebuilding the whole table
# per change took ~130 ms in the same build (0.08-0.2 s in a release build).
REWRITE_BOUND_S = 0.06


def hosts_files():
    per = NAMES // FILES
    return {"f%d" % f: "".join("10.%d.%d.%d n%d.f%d.scale.test\n" % (
        i >> 16 & 255, i >> 8 & 255, i & 255, i, f) for i in range(f * per, (f + 1) * per))
        for f in range(FILES)}


def answers(node, name):
    try:
        return node.addresses(name)
    except Exception:  # noqa: BLE001 - a timeout while busy counts as "not yet"
        return None


def rcode(node, name):
    return node.query(name, "A").rcode()


def write(path, text):
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_one_name_change_at_100k_names(joyride, tmp_path):
    node = joyride(hosts=hosts_files(), env={"LOG_LEVEL": "WARNING"}, ready=False)
    node.wait_ready(timeout=120)
    last = NAMES - 1
    wait_until(lambda: answers(node, "n%d.f%d.scale.test" % (last, FILES - 1)) == [
        "10.%d.%d.%d" % (last >> 16 & 255, last >> 8 & 255, last & 255)], timeout=120,
        what="100k names loaded")
    hosts = tmp_path / "hosts-0"

    took = []
    for r in range(12):
        addr = "172.16.0.%d" % (r + 1)
        t0 = time.monotonic()
        write(hosts / "one", "%s a.b.one.scale.test\n" % addr)
        wait_until(lambda: answers(node, "a.b.one.scale.test") == [addr], timeout=10,
                   interval=0.001, what="rewrite %d answered" % r)
        took.append(time.monotonic() - t0)
    median = statistics.median(took)
    print("rewrite-to-answer median %.1f ms, max %.1f ms" % (median * 1e3, max(took) * 1e3))
    assert median < REWRITE_BOUND_S, "median rewrite-to-answer %.3f s: %s" % (median, took)

    # The hosts record gives its PTR (DNS_PTR=hosts), with the reverse tree's ancestors.
    ptr = node.query("12.0.16.172.in-addr.arpa", "PTR")
    assert [str(r) for rr in ptr.answer for r in rr] == ["a.b.one.scale.test."]
    assert rcode(node, "16.172.in-addr.arpa") == dns.rcode.NOERROR

    # The new name's ancestors exist as empty non-terminals, and go with it.
    assert rcode(node, "b.one.scale.test") == dns.rcode.NOERROR
    assert answers(node, "b.one.scale.test") == []
    assert rcode(node, "one.scale.test") == dns.rcode.NOERROR
    os.unlink(hosts / "one")
    wait_until(lambda: rcode(node, "a.b.one.scale.test") == dns.rcode.NXDOMAIN, timeout=10,
               what="removed name gone")
    assert rcode(node, "b.one.scale.test") == dns.rcode.NXDOMAIN
    assert rcode(node, "one.scale.test") == dns.rcode.NXDOMAIN
    assert rcode(node, "12.0.16.172.in-addr.arpa") == dns.rcode.NXDOMAIN
    assert rcode(node, "16.172.in-addr.arpa") == dns.rcode.NXDOMAIN
    assert rcode(node, "0.0.10.in-addr.arpa") == dns.rcode.NOERROR  # the loaded names' PTRs
    assert rcode(node, "f7.scale.test") == dns.rcode.NOERROR  # still the parent of 1000 names
    assert answers(node, "n5.f0.scale.test") == ["10.0.0.5"]

    # A burst of new one-name files: all answered within a second or so of the last write.
    for i in range(200):
        write(hosts / ("burst%d" % i), "172.17.0.%d burst%d.scale.test\n" % (i % 250 + 1, i))
    t0 = time.monotonic()
    for i in range(200):
        wait_until(lambda: answers(node, "burst%d.scale.test" % i) == [
            "172.17.0.%d" % (i % 250 + 1)], timeout=20, what="burst file %d" % i)
    assert time.monotonic() - t0 < 5.0
