"""The operator commands of the real binary (joyride members, records, explain, sync, health)
against running nodes: the aligned tables, --json equal to the API's own answer, exit codes
(0 ok, 1 not found / unhealthy / failed, 2 usage, 3 not reachable; health: 1), the one-line
message for a node that cannot be reached, --api / JOYRIDE_API / HTTP_PORT, --help texts, and
a two-node cluster for `joyride members`."""

import json
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import JOYRIDE, SAN_ENV, free_port, unique_loopback, wait_until

HOSTS = {"lab": "# lab\n10.0.0.1 web.test www.test\nfd00::1 web.test\n10.0.0.2 db.test\n",
         "svc": "10.0.1.5 api.test\n10.0.1.6 api.test\n"}


def cli(*args, api=None, env=None, timeout=30):
    """Runs `joyride ARGS`; returns (exit code, stdout, stderr). The sanitizers watch it too."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **SAN_ENV}
    if api:
        e["JOYRIDE_API"] = api
    e.update(env or {})
    p = subprocess.run([str(JOYRIDE), *args], capture_output=True, text=True, env=e,
                       timeout=timeout)
    assert p.returncode not in (98, 99), "sanitizer report:\n" + p.stderr
    return p.returncode, p.stdout, p.stderr


def api(node):
    return "http://%s:%d" % (node.addr, node.http_port)


def table(out):
    """Rows of an aligned table (up to the first blank line) as lists of cells, and the column
    start offsets of the header, checking every row lines up with them."""
    lines = out.split("\n\n")[0].splitlines()
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s\s)|^)\S", header)]
    rows = []
    for line in lines[1:]:
        assert line == line.rstrip(), "trailing blanks: %r" % line
        cells = []
        for i, s in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(line)
            assert s == 0 or line[s - 1] == " ", "cell not aligned in %r" % line
            cells.append(line[s:end].strip())
        rows.append(cells)
    return [h.strip() for h in re.split(r"\s{2,}", header.strip())], rows


@pytest.fixture
def node(joyride):
    return joyride(hosts=HOSTS)


def test_help_lists_the_commands():
    rc, out, _ = cli("--help")
    assert rc == 0
    for cmd in ("members", "records [FILTER]", "explain NAME [TYPE]", "sync", "health"):
        assert "joyride " + cmd in out, cmd
    for cmd in ("members", "records", "explain", "sync", "health"):
        rc, out, err = cli(cmd, "--help")
        assert rc == 0 and err == ""
        assert out.startswith("Usage: joyride " + cmd)
        assert "--api URL" in out and "--json" in out and "Exit status" in out


def test_records_table_and_json(node):
    rc, out, err = cli("records", api=api(node))
    assert rc == 0, err
    header, rows = table(out)
    assert header == ["NAME", "TYPE", "ADDRESS", "SOURCE", "OWNER"]
    hdir = node.env["HOSTS_DIRECTORY"]
    nid = node.json("/status")[1]["node_id"]
    assert rows == [
        ["api.test", "A", "10.0.1.5", "hosts:%s/svc" % hdir, nid],
        ["api.test", "A", "10.0.1.6", "hosts:%s/svc" % hdir, nid],
        ["db.test", "A", "10.0.0.2", "hosts:%s/lab" % hdir, nid],
        ["web.test", "A", "10.0.0.1", "hosts:%s/lab" % hdir, nid],
        ["web.test", "AAAA", "fd00::1", "hosts:%s/lab" % hdir, nid],
        ["www.test", "A", "10.0.0.1", "hosts:%s/lab" % hdir, nid],
    ]
    assert out.rstrip().endswith("6 record(s)")
    rc, out, _ = cli("records", "--json", api=api(node))
    assert rc == 0
    assert json.loads(out) == node.json("/dns/records")[1]


def test_records_filter_paging_and_exit_codes(node):
    rc, out, _ = cli("records", "*.test", "--limit", "2", "--offset=1", api=api(node))
    assert rc == 0
    _, rows = table(out)
    assert [r[2] for r in rows] == ["10.0.1.6", "10.0.0.2"]
    assert "records 2-3 of 6" in out
    rc, out, _ = cli("records", "web.test", "--json", api=api(node))
    assert rc == 0 and json.loads(out)["total"] == 2
    rc, out, err = cli("records", "nothing.test", api=api(node))
    assert rc == 1 and out == "" and "no record matches nothing.test" in err
    rc, out, _ = cli("records", "nothing.test", "--json", api=api(node))
    assert rc == 1 and json.loads(out)["total"] == 0
    # the node refuses a bad parameter: usage
    rc, _, err = cli("records", "--limit", "lots", api=api(node))
    assert rc == 2 and "limit" in err
    # our own usage errors
    for args in (["records", "a", "b"], ["records", "--bogus"], ["records", "--limit"],
                 ["explain"], ["members", "extra"], ["health", "--timeout", "x"],
                 ["sync", "--api", "ftp://x"]):
        rc, out, err = cli(*args, api=api(node))
        assert rc == 2, args
        assert out == "" and err.count("\n") == 1 and "--help" in err, (args, err)


def test_explain_table_json_and_exit_codes(node):
    rc, out, err = cli("explain", "web.test", api=api(node))
    assert rc == 0, err
    first, rule = out.splitlines()[:2]
    assert first == "web.test A: NOERROR (authoritative), 1 address: 10.0.0.1"
    assert rule == "rule: the served record of the name"
    header, rows = table(out.split("\n\n", 1)[1])
    assert header == ["STATE", "TYPE", "ADDRESS", "OWNER", "SEQ", "EPOCH", "SOURCE"]
    lab = "hosts:%s/lab" % node.env["HOSTS_DIRECTORY"]
    assert [(r[0], r[1], r[2], r[6]) for r in rows] == [
        ("served", "A", "10.0.0.1", lab + ":2"), ("served", "AAAA", "fd00::1", lab + ":3")]
    assert all(r[3].endswith("(this node)") for r in rows)
    rc, out, _ = cli("explain", "web.test", "AAAA", "--json", api=api(node))
    assert rc == 0
    assert json.loads(out) == node.json("/dns/explain?name=web.test&type=AAAA")[1]

    rc, out, _ = cli("explain", "nope.test", api=api(node))
    assert rc == 1
    assert out.splitlines()[0] == "nope.test A: NXDOMAIN (authoritative)"
    assert "rule: unknown name -> NXDOMAIN (DNS_UNKNOWN_ACTION=nxdomain)" in out
    assert "no record of this name on this node" in out
    rc, _, _ = cli("explain", "db.test", "AAAA", api=api(node))
    assert rc == 1  # NODATA: no address
    rc, _, err = cli("explain", "web.test", "BOGUS", api=api(node))
    assert rc == 2 and "type" in err


def test_health_and_sync_on_a_single_node(node):
    rc, out, err = cli("health", api=api(node))
    assert rc == 0 and err == ""
    assert out == "healthy: Joyride DNS %s at %s\n" % (node.json("/health")[1]["version"], api(node))
    rc, out, _ = cli("health", "--json", api=api(node))
    assert rc == 0 and json.loads(out)["status"] == "healthy"
    # sync and members with ENABLE_DNS_SYNC=false: 1 and a clear line
    for cmd in ("sync", "members"):
        rc, out, err = cli(cmd, api=api(node))
        assert rc == 1 and out == ""
        assert err == "joyride: DNS synchronization is not enabled (the node runs with " \
                      "ENABLE_DNS_SYNC=false)\n", err
        rc, out, _ = cli(cmd, "--json", api=api(node))
        assert rc == 1 and json.loads(out)["status"] == "disabled"


def test_not_reachable():
    addr = unique_loopback()
    port = free_port(addr, both=False)  # nobody listens there
    url = "http://%s:%d" % (addr, port)
    for cmd in (["members"], ["records"], ["explain", "web.test"], ["sync"]):
        rc, out, err = cli(*cmd, api=url)
        assert rc == 3, cmd
        assert out == "" and err == "joyride: cannot reach %s: connection refused\n" % url, err
    rc, out, err = cli("health", api=url)
    assert rc == 1 and err == "joyride: cannot reach %s: connection refused\n" % url
    # the default: http://127.0.0.1:$HTTP_PORT, else 5000
    rc, _, err = cli("records", env={"HTTP_PORT": str(port)})
    assert rc == 3 and "cannot reach http://127.0.0.1:%d:" % port in err
    # a listener that never answers: the timeout
    s = socket.socket()
    s.bind((addr, 0))
    s.listen(1)
    try:
        url = "http://%s:%d" % (addr, s.getsockname()[1])
        t0 = time.monotonic()
        rc, _, err = cli("records", "--timeout", "0.5", api=url)
        assert rc == 3 and err == "joyride: cannot reach %s: no answer within 0.5 s\n" % url
        assert time.monotonic() - t0 < 10
    finally:
        s.close()


def test_not_a_joyride_node():
    """Something answers, but not JSON: failed (1), not unreachable."""
    import http.server
    import threading

    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")

        def log_message(self, *a):
            pass
    srv = http.server.HTTPServer((unique_loopback(), 0), Plain)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = "http://%s:%d" % srv.server_address
        rc, out, err = cli("records", api=url)
        assert rc == 1 and out == "" and "without a JSON object" in err
        rc, _, _ = cli("health", api=url)
        assert rc == 1
    finally:
        srv.shutdown()
        srv.server_close()


def test_api_flag_beats_environment(node):
    rc, _, _ = cli("health", "--api", api(node) + "/", api="http://127.0.0.1:1")
    assert rc == 0
    rc, _, _ = cli("health", env={"JOYRIDE_API": api(node), "HTTP_PORT": "1"})
    assert rc == 0


def test_members_of_a_two_node_cluster(joyride):
    tag = "%x" % int(time.monotonic() * 1e6)

    def env(node_id, **more):
        addr = unique_loopback()
        return {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
                "SWIM_PORT": str(free_port(addr)), "NODE_ID": node_id, **more}
    a_env = env("cli-a-" + tag)
    a = joyride(hosts={"a": "10.6.0.1 a.test\n"}, env=a_env)
    b = joyride(hosts={"b": "10.6.0.2 b.test\n10.6.0.3 b2.test\n"},
                env=env("cli-b-" + tag, CLUSTER_SEEDS="%s:%s" % (a.addr, a_env["SWIM_PORT"])))
    wait_until(lambda: len(b.addresses("a.test")) == 1 and len(a.addresses("b2.test")) == 1,
               timeout=15, what="records replicated both ways")
    def members():
        rc, out, err = cli("members", api=api(b))
        assert rc == 0, err
        return out
    # the member table is a copy the node refreshes every 500 ms: wait for the counts in it
    out = wait_until(lambda: (lambda o: o if {(r[0], r[5]) for r in table(o)[1]} == {
        ("cli-a-" + tag, "1"), ("cli-b-" + tag, "2")} else None)(members()),
        timeout=5, what="record counts in the member table")
    header, rows = table(out)
    assert header == ["NODE", "ROLE", "ADDRESS", "STATE", "INCARNATION", "RECORDS", "LAST CHANGE"]
    by_node = {r[0]: r for r in rows}
    assert set(by_node) == {"cli-a-" + tag, "cli-b-" + tag}
    ra, rb = by_node["cli-a-" + tag], by_node["cli-b-" + tag]
    assert rb[1] == "self" and ra[1] == "peer"  # discovery is off: what is known
    assert ra[2] == "%s:%s" % (a.addr, a_env["SWIM_PORT"])
    assert ra[3] == rb[3] == "alive"
    assert ra[5] == "1" and rb[5] == "2"
    for r in rows:
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s ago\)$", r[6]), r[6]
    assert "2 node(s): 2 alive, 0 suspect, 0 failed, 0 left; 0 discovered" in out
    rc, out, _ = cli("members", "--json", api=api(b))
    doc = json.loads(out)
    assert rc == 0 and doc["status"] == "success"
    assert {m["node_id"] for m in doc["cluster"]["swim_cluster"]["members"]} == set(by_node)

    rc, out, err = cli("sync", api=api(b))
    assert rc == 0 and out == "DNS synchronization initiated\n" and err == ""

    # a dies: b reports it failed
    a.kill()
    def failed():
        rc, out, _ = cli("members", api=api(b))
        return rc == 0 and {r[0]: r[3] for r in table(out)[1]}.get("cli-a-" + tag) == "failed"
    wait_until(failed, timeout=30, interval=0.3, what="cli-a failed in joyride members")
