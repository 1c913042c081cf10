"""HTTP API of the real binary: every endpoint's JSON shape and values, 404/405 with Allow, the
status page asset, and /metrics as valid Prometheus text whose counters follow real queries."""

import datetime
import json
import math
import re
import shutil
import subprocess
import time

import dns.rcode
import pytest

from conftest import wait_until

HOSTS = {
    "web": "# web tier\n10.0.0.1 web.test www.test\nfd00::1 web.test\n",
    "db": "10.0.0.2 db.test\n",
}
EXPECTED = {
    ("db.test", "10.0.0.2", "A"),
    ("web.test", "10.0.0.1", "A"),
    ("web.test", "fd00::1", "AAAA"),
    ("www.test", "10.0.0.1", "A"),
}


@pytest.fixture
def node(joyride):
    return joyride(hosts=HOSTS, env={"SERVICE_NAME": "Joyride Test", "ENVIRONMENT": "ci"})


def parse_ts(s):
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", s), s
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def assert_recent(ts):
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - parse_ts(ts)).total_seconds()) < 60


# ---- JSON endpoints ----

def test_health(node):
    status, headers, body = node.http("/health")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    _, h = node.json("/health")
    assert set(h) == {"status", "timestamp", "service", "version"}
    assert h["status"] == "healthy"
    assert h["service"] == "Joyride Test"
    assert re.match(r"^\d+\.\d+\.\d+", h["version"])
    assert_recent(h["timestamp"])


def test_status_shape_and_values(node):
    code, s = node.json("/status")
    assert code == 200
    for key in ("status", "timestamp", "service", "version", "environment", "uptime",
                "dns_server", "docker_monitor", "hosts_monitor", "dns_sync_cluster"):
        assert key in s, key
    assert s["service"] == "Joyride Test"
    assert s["environment"] == "ci"
    assert_recent(s["timestamp"])
    assert isinstance(s["uptime"], (int, float)) and 0 <= s["uptime"] < 120

    d = s["dns_server"]
    assert d["port"] == node.dns_port
    assert d["bind_address"] == node.addr
    assert d["running"] is True
    assert d["workers"] == 2
    assert isinstance(d["queries_total"], int)

    k = s["docker_monitor"]
    for key in ("running", "connected", "api_version", "containers_tracked", "last_error"):
        assert key in k, key
    assert k["running"] is True            # the monitor thread runs and retries
    assert k["connected"] is False         # DOCKER_HOST points at a missing socket
    assert k["containers_tracked"] == 0

    h = s["hosts_monitor"]
    assert h["enabled"] is True
    assert h["directory"] == node.env["HOSTS_DIRECTORY"]
    assert h["running"] is True
    assert h["records_count"] == len(EXPECTED)

    assert s["dns_sync_cluster"] == {"enabled": False, "running": False}


def test_uptime_is_real(node):
    _, a = node.json("/status")
    t0 = time.monotonic()
    _, b = wait_until(lambda: (lambda s: s if s[1]["uptime"] >= a["uptime"] + 0.2 else None)(
        node.json("/status")), timeout=5, what="uptime to grow")
    elapsed = time.monotonic() - t0
    assert b["uptime"] - a["uptime"] <= elapsed + 0.5


def test_docker_last_error_reported(node):
    def err():
        _, s = node.json("/status")
        return s["docker_monitor"]["last_error"]
    assert isinstance(wait_until(err, timeout=10, what="docker last_error"), str)


def test_status_hosts_disabled(joyride):
    node = joyride()  # HOSTS_DIRECTORY empty
    _, s = node.json("/status")
    assert s["hosts_monitor"]["enabled"] is False
    assert s["hosts_monitor"]["running"] is False
    assert s["hosts_monitor"]["records_count"] == 0


def test_records(node):
    code, r = node.json("/dns/records")
    assert code == 200
    assert r["status"] == "success"
    assert r["total_records"] == len(EXPECTED) == len(r["records"])
    _, s = node.json("/status")
    got = set()
    for rec in r["records"]:
        for key in ("hostname", "ip_address", "ttl", "type", "source", "owner"):
            assert key in rec, key
        assert rec["ttl"] == 60
        assert rec["source"].startswith("hosts:")
        assert rec["owner"] == s["node_id"]
        got.add((rec["hostname"], rec["ip_address"], rec["type"]))
    assert got == EXPECTED
    # sorted by name
    names = [rec["hostname"] for rec in r["records"]]
    assert names == sorted(names)


def test_records_follow_hosts_changes(node):
    hdir = node.env["HOSTS_DIRECTORY"]
    with open(hdir + "/extra", "w") as f:
        f.write("10.0.0.9 new.test\n")
    wait_until(lambda: node.json("/dns/records")[1]["total_records"] == len(EXPECTED) + 1,
               timeout=5, what="new record listed")


def test_cluster_and_sync_disabled(node):
    for method, path in (("GET", "/dns/cluster"), ("POST", "/dns/sync")):
        code, body = node.json(path, method=method, data=b"" if method == "POST" else None)
        assert code == 503
        assert body == {"status": "disabled", "message": "DNS synchronization is not enabled"}


# ---- errors ----

def test_not_found(node):
    for path in ("/nope", "/health/", "/dns", "/dns/records/x/y", "/STATUS"):
        code, headers, body = node.http(path)
        assert code == 404, path
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(body)["status"] == "error"


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/health", "GET, HEAD"),
    ("DELETE", "/status", "GET, HEAD"),
    ("PUT", "/dns/records", "GET, HEAD, POST"),
    ("GET", "/dns/records/x", "DELETE"),
    ("POST", "/metrics", "GET, HEAD"),
    ("POST", "/", "GET, HEAD"),
    ("GET", "/dns/sync", "POST"),
])
def test_method_not_allowed(node, method, path, allow):
    code, headers, body = node.http(path, method=method, data=b"x" if method != "GET" else None)
    assert code == 405
    assert headers["Allow"] == allow
    import json
    assert json.loads(body)["status"] == "error"


def test_head(node):
    code, headers, body = node.http("/health", method="HEAD")
    assert code == 200
    assert body == b""
    assert int(headers["Content-Length"]) > 0


# ---- the status page ----

def test_status_page(node):
    code, headers, body = node.http("/")
    assert code == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert page.lstrip().lower().startswith("<!doctype html>")
    # refreshes from the JSON endpoints; theme remembered; lists the API
    for needle in ("/status", "/dns/records", "/dns/cluster", "/metrics", "/health",
                   "localStorage", "data-theme", "Hosts monitor", "Docker monitor", "Cluster",
                   "DNS records", "API endpoints"):
        assert needle in page, needle
    # no CDN or other external resource
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert "@import" not in page


def rendered_page(node, profile_dir):
    """The status page's DOM after its scripts ran, from headless chromium."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--user-data-dir=%s" % profile_dir, "--virtual-time-budget=5000", "--dump-dom",
         node.url("/")],
        capture_output=True, text=True, timeout=60).stdout


def test_status_page_renders_in_browser(node, tmp_path):
    """The page's script fills every section from the live API."""
    out = rendered_page(node, tmp_path / "profile")
    assert re.search(r'id="conn" class="ok">live<', out), out[-2000:]
    assert re.search(r'id="r-total">%d<' % len(EXPECTED), out)
    for name, addr, _ in EXPECTED:
        assert ">%s<" % name in out and ">%s<" % addr in out
    assert re.search(r'id="s-dns"[^>]*>%s:%d udp\+tcp<' % (re.escape(node.addr), node.dns_port), out)
    assert re.search(r'id="s-environment"[^>]*>ci<', out)
    assert re.search(r'id="h-records"[^>]*>%d<' % len(EXPECTED), out)
    # shown in the cluster section (the page's script holds the sentence too, so look there)
    assert re.search(r'id="c-body"[^>]*>DNS synchronization is not enabled', out)
    assert re.search(r'id="f-body"[^>]*>off: every name Joyride does not own', out)


def test_status_page_cluster_section(joyride, tmp_path):
    """With cluster sync on, the page lists the SWIM members and their state."""
    def cluster_env(extra=None):
        from conftest import free_port, unique_loopback
        addr = unique_loopback()  # node_env(addr=...) puts every port on this address
        env = {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
               "SWIM_PORT": str(free_port(addr))}
        env.update(extra or {})
        return env
    a_env = cluster_env({"NODE_ID": "page-node-a"})
    a = joyride(env=a_env)
    b = joyride(env=cluster_env({"NODE_ID": "page-node-b", "CLUSTER_SEEDS": "%s:%s" % (
        a.addr, a_env["SWIM_PORT"])}))
    wait_until(lambda: b.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["alive_members"] == 2,
               timeout=15, what="two members")
    out = rendered_page(b, tmp_path / "profile")
    assert "Cluster nodes" in out, out[-3000:]
    for name in ("page-node-a", "page-node-b (this node)"):
        assert ">%s<" % name in out, name
    assert len(re.findall(r'class="ok">alive<', out)) == 2
    # discovery is off here: the role shown is what is known, self or peer
    assert '>page-node-a</td><td>peer</td>' in out, out[-3000:]
    assert '>page-node-b (this node)</td><td>self</td>' in out, out[-3000:]
    assert not re.search(r'id="c-body"[^>]*>DNS synchronization is not enabled', out)


def test_status_page_console_clean_filter_and_theme(node, tmp_path):
    """In a real browser: no console error, warning, exception or failed load (favicon included),
    the records filter asks the server, the Sync button is off when sync is, and the dark
    theme follows the system preference."""
    from cdp import Browser
    for dark in (False, True):
        b = Browser(str(tmp_path / ("profile-%d" % dark)), dark=dark)
        try:
            b.open(node.url("/"))
            b.wait_for("document.getElementById('conn').textContent === 'live'")
            assert b.evaluate("document.documentElement.getAttribute('data-theme')") == \
                ("dark" if dark else "light")
            bg = b.evaluate("getComputedStyle(document.body).backgroundColor")
            assert bg == ("rgb(18, 21, 27)" if dark else "rgb(245, 246, 248)"), bg
            assert b.evaluate("document.querySelector('link[rel=icon]').href"
                              ".startsWith('data:image/svg+xml,')")
            assert b.evaluate("document.getElementById('sync').disabled") is True
            assert "ENABLE_DNS_SYNC=false" in b.evaluate("document.getElementById('c-body').textContent")
            # the filter: a word becomes *word* on the server; a glob goes as typed
            b.evaluate("var f = document.getElementById('r-filter'); f.value = 'WW';"
                       "f.dispatchEvent(new Event('input'))")
            b.wait_for("document.getElementById('r-total').textContent === '1'")
            assert b.evaluate("document.querySelector('#r-body a').textContent") == "www.test"
            assert b.evaluate("document.querySelector('#r-body a').getAttribute('href')") == \
                "/dns/explain?name=www.test&type=A"
            b.evaluate("var f = document.getElementById('r-filter'); f.value = 'web.*';"
                       "f.dispatchEvent(new Event('input'))")
            b.wait_for("document.getElementById('r-total').textContent === '2'")
            b.evaluate("var f = document.getElementById('r-filter'); f.value = 'no such name';"
                       "f.dispatchEvent(new Event('input'))")
            b.wait_for("document.getElementById('r-body').textContent === "
                       "'no record matches the filter'")
            # times: local time and how long ago
            started = b.evaluate("document.getElementById('s-time').textContent")
            assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s ago\)$", started), started
            b.screenshot(str(tmp_path / ("page-%s.png" % ("dark" if dark else "light"))))
            assert b.problems() == []
        finally:
            b.close()


def test_status_page_sync_button_and_cluster_nodes(joyride, tmp_path):
    from cdp import Browser
    from conftest import free_port, unique_loopback

    def cluster_env(extra):
        addr = unique_loopback()
        return {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
                "SWIM_PORT": str(free_port(addr)), **extra}
    a_env = cluster_env({"NODE_ID": "sync-node-a"})
    a = joyride(hosts={"a": "10.7.0.1 a.test\n"}, env=a_env)
    b = joyride(env=cluster_env({"NODE_ID": "sync-node-b", "CLUSTER_SEEDS": "%s:%s" % (
        a.addr, a_env["SWIM_PORT"])}))
    wait_until(lambda: b.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["alive_members"] == 2,
               timeout=15, what="two members")
    br = Browser(str(tmp_path / "profile"))
    try:
        br.open(b.url("/"))
        br.wait_for("document.querySelectorAll('#c-body table tr').length === 3")
        rows = br.evaluate("Array.from(document.querySelectorAll('#c-body table tr')).map("
                           "function (tr) { return Array.from(tr.children).map("
                           "function (c) { return c.textContent; }); })")
        assert rows[0] == ["Node", "Role", "Address", "State", "Incarnation", "Records",
                           "Last change"]
        by_node = {r[0]: r for r in rows[1:]}
        assert by_node["sync-node-a"][1:5] == ["peer", "%s:%s" % (a.addr, a_env["SWIM_PORT"]),
                                               "alive", "1"]
        assert by_node["sync-node-b (this node)"][1] == "self"
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s ago\)$",
                        by_node["sync-node-a"][6])
        before = b.json("/dns/cluster")[1]["cluster"]["statistics"]["sync_operations"]
        assert br.evaluate("document.getElementById('sync').disabled") is False
        br.evaluate("document.getElementById('sync').click()")
        result = br.wait_for("(function (t) { return t.indexOf(' s ago') > 0 && t; })"
                             "(document.getElementById('sync-result').textContent)")
        assert result.startswith("DNS synchronization initiated · "), result
        assert br.evaluate("document.getElementById('sync-result').className") == "ok"
        wait_until(lambda: b.json("/dns/cluster")[1]["cluster"]["statistics"]["sync_operations"]
                   > before, timeout=10, what="the sync to run")
        br.screenshot(str(tmp_path / "page-cluster.png"))
        assert br.problems() == []
    finally:
        br.close()


# ---- metrics ----

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_prometheus(text):
    """Strict parser for the text exposition format 0.0.4: returns {(name, labels): value} and
    {family: type}; fails on anything malformed."""
    samples, types, helps = {}, {}, set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helps, "duplicate HELP " + name
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in types, "duplicate TYPE " + name
            types[name] = typ
            continue
        assert not line.startswith("#") and line.strip(), "bad line %r" % line
        m = SAMPLE.match(line)
        assert m, "bad sample %r" % line
        name, _, labels_text, value = m.groups()
        labels = []
        pos = 0
        while labels_text and pos < len(labels_text):
            lm = LABEL.match(labels_text, pos)
            assert lm, "bad labels %r" % line
            labels.append((lm.group(1), lm.group(2)))
            pos = lm.end()
        v = float(value)
        assert not math.isnan(v)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, "sample before its TYPE: %r" % line
        key = (name, tuple(sorted(labels)))
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = v
    return samples, types


def metric(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def get_metrics(node):
    code, headers, body = node.http("/metrics")
    assert code == 200
    assert headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    try:  # cross-check with the reference parser when it is installed
        from prometheus_client.parser import text_string_to_metric_families
        list(text_string_to_metric_families(text))
    except ImportError:
        pass
    return parse_prometheus(text)


def test_metrics_shape(node):
    samples, types = get_metrics(node)
    assert types["joyride_dns_queries_total"] == "counter"
    assert types["joyride_dns_answer_latency_seconds"] == "histogram"
    assert types["joyride_build_info"] == "gauge"
    info = [k for k in samples if k[0] == "joyride_build_info"]
    assert len(info) == 1 and dict(info[0][1])["service"] == "Joyride Test"
    assert metric(samples, "joyride_records", source="hosts") == len(EXPECTED)
    assert metric(samples, "joyride_records", source="docker") == 0
    assert metric(samples, "joyride_hosts_reloads_total") >= 1
    for action in ("start", "die", "stop", "kill", "pause", "unpause", "destroy"):
        assert metric(samples, "joyride_docker_events_total", action=action) == 0
    # histogram: cumulative buckets ending in +Inf == count
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in samples.items()
                      if k[0] == "joyride_dns_answer_latency_seconds_bucket"))
    assert buckets[-1][0] == math.inf
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert buckets[-1][1] == metric(samples, "joyride_dns_answer_latency_seconds_count")


def test_metrics_follow_queries(node):
    before, _ = get_metrics(node)
    _, s0 = node.json("/status")
    for _ in range(5):
        assert node.addresses("web.test") == ["10.0.0.1"]
    assert node.addresses("db.test", tcp=True) == ["10.0.0.2"]
    assert node.addresses("db.test", tcp=True) == ["10.0.0.2"]
    r = node.query("missing.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN

    expected = {
        ("joyride_dns_queries_total", (("protocol", "udp"),)): 6,
        ("joyride_dns_queries_total", (("protocol", "tcp"),)): 2,
        ("joyride_dns_responses_total", (("protocol", "udp"), ("rcode", "NOERROR"))): 5,
        ("joyride_dns_responses_total", (("protocol", "tcp"), ("rcode", "NOERROR"))): 2,
        ("joyride_dns_responses_total", (("protocol", "udp"), ("rcode", "NXDOMAIN"))): 1,
        ("joyride_dns_answer_latency_seconds_count", ()): 8,
    }

    def deltas():
        after, _ = get_metrics(node)
        got = {k: after.get(k, 0) - before.get(k, 0) for k in expected}
        return (after, got) if got == expected else None
    # counters are updated as answers go out: poll until they all settle on the exact values
    after, _ = wait_until(deltas, timeout=5, what="query counters to move by %r" % expected)
    d = lambda name, **l: (metric(after, name, **l) or 0) - (metric(before, name, **l) or 0)
    assert d("joyride_dns_answer_latency_seconds_sum") > 0
    _, s1 = node.json("/status")
    assert s1["dns_server"]["queries_total"] - s0["dns_server"]["queries_total"] == 8


def test_garbage_requests_do_not_hurt(node):
    """Malformed, oversized and abandoned requests get an error or a closed connection; the
    server keeps answering."""
    import socket
    payloads = [
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /health HTTP/9.9\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n",
        b"POST /dns/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nabc",
        b"POST /dns/sync HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /" + b"%" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health",  # never finished
    ]
    for p in payloads:
        s = socket.create_connection((node.addr, node.http_port), timeout=5)
        try:
            try:
                s.sendall(p)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server already answered and closed (e.g. 431 for the big header)
            # a body announced but never sent waits for the connection timeout: no reply yet
            s.settimeout(1)
            try:
                reply = s.recv(200)
            except (ConnectionResetError, socket.timeout):
                reply = b""
            assert reply == b"" or reply.startswith(b"HTTP/1."), (p[:40], reply)
        finally:
            s.close()
        assert node.http("/health")[0] == 200
    assert node.alive()
