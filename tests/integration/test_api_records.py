"""Records over the HTTP API against the real binary: POST /dns/records and
DELETE /dns/records/{hostname} with a bearer token (403 with no API_TOKEN, 401 for a missing or
wrong one), 400 naming the field at fault, 413 past 64 KB (declared or chunked), 201 then the
name answered over DNS, 200 for the same record again, deletes of one address and of all, 404,
the records kept across a restart in API_RECORDS_FILE, that file valid JSON holding every
acknowledged record however often the process is killed (-9) between writes, a corrupt file
refusing the start (exit 2, the file untouched), and a record POSTed on one node answered by
another."""

import http.client
import json
import random
import socket
import threading
import time

import pytest

from conftest import free_port, unique_loopback, wait_until

TOKEN = "test-token-%08x" % random.getrandbits(32)


def measured(what, value):
    print("MEASURED %s: %s" % (what, value))


def call(node, method, path, body=None, token=TOKEN, headers=None, chunked=False, timeout=10):
    """One request; returns (status, headers, parsed JSON body or None)."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    c = http.client.HTTPConnection(node.addr, node.http_port, timeout=timeout)
    try:
        if chunked:
            c.putrequest(method, path)
            for k, v in h.items():
                c.putheader(k, v)
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            for i in range(0, len(body), 8192):
                part = body[i:i + 8192]
                try:
                    c.send(b"%x\r\n%s\r\n" % (len(part), part))
                except (BrokenPipeError, ConnectionResetError):
                    break
            else:
                c.send(b"0\r\n\r\n")
        else:
            c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, r.headers, json.loads(data) if data else None
    finally:
        c.close()


def post(node, hostname, ip, ttl=None, **kw):
    body = {"hostname": hostname, "ip_address": ip}
    if ttl is not None:
        body["ttl"] = ttl
    return call(node, "POST", "/dns/records", body, **kw)


def delete(node, hostname, ip=None, **kw):
    return call(node, "DELETE", "/dns/records/" + hostname + ("?ip_address=" + ip if ip else ""),
                **kw)


def api_records(node):
    doc = node.json("/dns/records")[1]
    return sorted((r["hostname"], r["ip_address"]) for r in doc["records"] if r["source"] == "api")


def uniq(prefix):
    return "%s-%x.api.test" % (prefix, random.getrandbits(40))


@pytest.fixture
def records_file(tmp_path):
    return tmp_path / ("api-records-%x.json" % random.getrandbits(32))


@pytest.fixture
def node(joyride, records_file):
    return joyride(env={"API_TOKEN": TOKEN, "API_RECORDS_FILE": records_file})


# ---- authorization ----

def test_writes_disabled_without_api_token(joyride, records_file):
    n = joyride(env={"API_RECORDS_FILE": records_file})
    for status, headers, doc in (post(n, "a.test", "10.0.0.1"), delete(n, "a.test"),
                                 post(n, "a.test", "10.0.0.1", token=None)):
        assert status == 403
        assert doc["status"] == "error" and "API_TOKEN" in doc["message"]
    assert api_records(n) == []
    assert not records_file.exists()
    assert n.json("/dns/records")[0] == 200  # reads stay open


def test_missing_or_wrong_token(node, records_file):
    name = uniq("auth")
    bad = [dict(token=None), dict(token="wrong"), dict(token=TOKEN[:-1]), dict(token=TOKEN + "x"),
           dict(token=None, headers={"Authorization": "Basic " + TOKEN}),
           dict(token=None, headers={"Authorization": TOKEN})]
    for kw in bad:
        for status, headers, doc in (post(node, name, "10.0.0.1", **kw), delete(node, name, **kw)):
            assert status == 401, kw
            assert headers["WWW-Authenticate"].startswith("Bearer")
            assert doc["status"] == "error"
    assert api_records(node) == []
    assert not records_file.exists()
    assert node.addresses(name) == []
    # a refused write is answered on its headers: the 10 MB body it announces is never awaited
    with socket.create_connection((node.addr, node.http_port), timeout=5) as s:
        s.sendall(b"POST /dns/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                  b"Content-Length: 10000000\r\n\r\n")
        assert s.recv(64).startswith(b"HTTP/1.1 401 ")
    # ... and closes the connection, so a body sent along is never read as a request of its own
    inner = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection((node.addr, node.http_port), timeout=5) as s:
        s.sendall(b"POST /dns/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(inner), inner))
        got = b""
        while True:
            part = s.recv(4096)
            if not part:
                break
            got += part
    assert got.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in got


# ---- validation ----

@pytest.mark.parametrize("body,field", [
    ("not json", "body"),
    ("[]", "body"),
    ({"hostname": "a.test", "ip_address": "10.0.0.1", "extra": 1}, "body"),
    ({"ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": 5, "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "bad..name", "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "-bad.test", "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "x" * 64 + ".test", "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "a*.wild.test", "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "x.*.wild.test", "ip_address": "10.0.0.1"}, "hostname"),
    ({"hostname": "a.test"}, "ip_address"),
    ({"hostname": "a.test", "ip_address": "10.0.0"}, "ip_address"),
    ({"hostname": "a.test", "ip_address": "10.0.0.256"}, "ip_address"),
    ({"hostname": "a.test", "ip_address": ["10.0.0.1"]}, "ip_address"),
    ({"hostname": "a.test", "ip_address": "10.0.0.1", "ttl": -1}, "ttl"),
    ({"hostname": "a.test", "ip_address": "10.0.0.1", "ttl": 2 ** 31}, "ttl"),
    ({"hostname": "a.test", "ip_address": "10.0.0.1", "ttl": "60"}, "ttl"),
    ({"hostname": "a.test", "ip_address": "10.0.0.1", "ttl": 1.5}, "ttl"),
])
def test_bad_input_names_the_field(node, records_file, body, field):
    status, _, doc = call(node, "POST", "/dns/records", body)
    assert status == 400
    assert doc["status"] == "error" and doc["field"] == field
    assert doc["message"].startswith(field + ":"), doc["message"]
    assert api_records(node) == []
    assert not records_file.exists()


def test_bad_delete_requests(node):
    for path, field in (("/dns/records/bad..name", "hostname"), ("/dns/records/a*.test", "hostname"),
                        ("/dns/records/a.test?ip_address=nope", "ip_address"),
                        ("/dns/records/a.test?ttl=5", "query")):
        status, _, doc = call(node, "DELETE", path)
        assert status == 400, path
        assert doc["field"] == field, doc


def test_body_over_64k(node):
    big = {"hostname": "big.test", "ip_address": "10.0.0.1", "pad": "x" * 70000}
    status, _, doc = call(node, "POST", "/dns/records", big)  # Content-Length says so
    assert status == 413 and doc["field"] == "body"
    status, _, doc = call(node, "POST", "/dns/records", big, chunked=True)  # found while reading
    assert status == 413 and doc["field"] == "body"
    assert api_records(node) == []
    # exactly 64 KB is still taken
    body = json.dumps({"hostname": "edge.test", "ip_address": "10.0.0.9"})
    body = body[:-1] + " " * (65536 - len(body)) + "}"
    assert len(body) == 65536
    status, _, doc = call(node, "POST", "/dns/records", body)
    assert status == 201, doc
    status, _, doc = call(node, "POST", "/dns/records", body + " ")
    assert status == 413


# ---- add, answer, idempotence, delete ----

def test_add_answer_and_delete(node, records_file):
    name = uniq("app")
    t0 = time.monotonic()
    status, _, doc = post(node, name, "10.20.30.40", ttl=30)
    t1 = time.monotonic()
    assert status == 201, doc
    assert node.addresses(name) == ["10.20.30.40"]  # published before the 201
    measured("POST round trip, file written and fsynced (ms)", "%.1f" % ((t1 - t0) * 1000))
    rec = doc["record"]
    assert rec["hostname"] == name and rec["ip_address"] == "10.20.30.40"
    assert rec["source"] == "api" and rec["type"] == "A"
    assert rec["requested_ttl"] == 30 and rec["ttl"] == 30  # answers carry the record's TTL
    r = node.query(name)
    assert r.answer[0].ttl == 30
    assert api_records(node) == [(name, "10.20.30.40")]
    # the same again: 200, nothing new; in another case with a trailing dot, the same record
    status, _, doc = post(node, name, "10.20.30.40", ttl=30)
    assert status == 200 and doc["record"]["hostname"] == name
    status, _, _ = post(node, name.upper() + ".", "10.20.30.40", ttl=30)
    assert status == 200
    assert api_records(node) == [(name, "10.20.30.40")]
    # a second address and an IPv6 one
    assert post(node, name, "10.20.30.41")[0] == 201
    assert post(node, name, "fd00::41")[0] == 201
    assert node.addresses(name) == ["10.20.30.40", "10.20.30.41"]
    assert node.addresses(name, "AAAA") == ["fd00::41"]
    on_disk = json.loads(records_file.read_text())
    assert on_disk["version"] == 1 and len(on_disk["records"]) == 3
    # /status and /metrics count them as their own kind
    assert node.json("/status")[1]["records"]["by_source"]["api"] == 3
    # DELETE one address
    status, _, doc = delete(node, name, "10.20.30.40")
    assert status == 200
    assert [(r["hostname"], r["ip_address"]) for r in doc["removed"]] == [(name, "10.20.30.40")]
    assert node.addresses(name) == ["10.20.30.41"]
    # an address the name does not have, a name without API records
    assert delete(node, name, "10.20.30.40")[0] == 404
    assert delete(node, uniq("nothing"))[0] == 404
    # DELETE the rest
    status, _, doc = delete(node, name + ".")
    assert status == 200
    assert sorted(r["ip_address"] for r in doc["removed"]) == ["10.20.30.41", "fd00::41"]
    assert node.query(name).rcode() == 3  # NXDOMAIN
    assert api_records(node) == []
    assert json.loads(records_file.read_text())["records"] == []
    assert delete(node, name)[0] == 404


def test_api_cannot_delete_hosts_records(joyride, records_file):
    n = joyride(hosts={"h": "10.9.9.9 fromhosts.test\n"},
                env={"API_TOKEN": TOKEN, "API_RECORDS_FILE": records_file})
    assert n.addresses("fromhosts.test") == ["10.9.9.9"]
    status, _, doc = delete(n, "fromhosts.test")
    assert status == 404 and "API record" in doc["message"]
    assert n.addresses("fromhosts.test") == ["10.9.9.9"]
    # the same name from the API adds an address; removing it leaves the hosts one
    assert post(n, "fromhosts.test", "10.9.9.10")[0] == 201
    assert n.addresses("fromhosts.test") == ["10.9.9.10", "10.9.9.9"]
    assert delete(n, "fromhosts.test")[0] == 200
    assert n.addresses("fromhosts.test") == ["10.9.9.9"]


# ---- persistence ----

def test_records_survive_a_restart(joyride, node, records_file):
    names = [uniq("keep%d" % i) for i in range(3)]
    for i, name in enumerate(names):
        assert post(node, name, "10.40.0.%d" % (i + 1))[0] == 201
    assert post(node, names[0], "fd00::40")[0] == 201
    env = node.env
    assert node.stop() == 0  # SIGTERM
    again = joyride(env=env)
    for i, name in enumerate(names):
        assert again.addresses(name) == ["10.40.0.%d" % (i + 1)]
    assert again.addresses(names[0], "AAAA") == ["fd00::40"]
    assert len(api_records(again)) == 4
    # and they can be removed after the restart, which sticks too
    assert delete(again, names[1])[0] == 200
    assert again.stop() == 0
    third = joyride(env=env)
    assert third.addresses(names[1]) == []
    assert third.addresses(names[2]) == ["10.40.0.3"]


def test_corrupt_file_refuses_to_start(joyride, records_file):
    for text in ('{"version":1,"records":[{"hostname":"a.test","ip_addr',
                 '{"version":1,"records":[{"hostname":"a.test","ip_address":"10.0.0"}]}',
                 'not json at all'):
        records_file.write_text(text)
        n = joyride(env={"API_TOKEN": TOKEN, "API_RECORDS_FILE": records_file}, ready=False)
        assert n.wait(timeout=15) == 2
        lines = [line for line in n.log().splitlines() if line.startswith("joyride:")]
        assert len(lines) == 1, n.log()
        assert str(records_file) in lines[0] and "move it aside" in lines[0]
        assert records_file.read_text() == text  # never dropped or rewritten


def test_unwritable_file_fails_the_write_and_changes_nothing(joyride, tmp_path):
    where = tmp_path / "missing-dir" / "api-records.json"
    n = joyride(env={"API_TOKEN": TOKEN, "API_RECORDS_FILE": where})
    assert "API_RECORDS_FILE %s: directory" % where in n.log()  # warned at start
    name = uniq("nowrite")
    status, _, doc = post(n, name, "10.70.0.1")
    assert status == 500 and "No such file or directory" in doc["message"]
    assert n.addresses(name) == [] and api_records(n) == []
    # once the directory exists, writes go through
    where.parent.mkdir()
    assert post(n, name, "10.70.0.1")[0] == 201
    assert n.addresses(name) == ["10.70.0.1"]
    assert json.loads(where.read_text())["records"][0]["hostname"] == name


def test_concurrent_writes(node, records_file):
    """Four clients POSTing at once (the HTTP API runs two threads): every record lands once, in
    the table and in the file."""
    names = [[uniq("c%d-%d" % (t, i)) for i in range(20)] for t in range(4)]
    errors = []

    def client(t):
        for i, name in enumerate(names[t]):
            st = post(node, name, "10.80.%d.%d" % (t, i + 1))[0]
            if st != 201:
                errors.append((name, st))
    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    want = sorted((name, "10.80.%d.%d" % (t, i + 1)) for t in range(4)
                  for i, name in enumerate(names[t]))
    assert api_records(node) == want
    held = sorted((r["hostname"], r["ip_address"])
                  for r in json.loads(records_file.read_text())["records"])
    assert held == want


def test_dns_answers_while_writing(node):
    """DNS latency with and without a stream of writes (each one an fsync and a table
    publication on an HTTP thread): no query goes unanswered."""
    name = uniq("steady")
    assert post(node, name, "10.90.0.1")[0] == 201

    def latencies(seconds):
        out = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.monotonic()
            assert node.addresses(name) == ["10.90.0.1"]
            out.append(time.monotonic() - t0)
        return sorted(out)
    quiet = latencies(1.0)
    stop = threading.Event()
    writes = [0]

    def writer():
        i = 0
        while not stop.is_set():
            assert post(node, uniq("w%d" % i), "10.90.1.%d" % (i % 250 + 1))[0] == 201
            i += 1
        writes[0] = i
    w = threading.Thread(target=writer)
    w.start()
    try:
        busy = latencies(2.0)
    finally:
        stop.set()
        w.join()
    assert writes[0] > 10

    def pct(v, p):
        return v[min(len(v) - 1, int(len(v) * p))] * 1000
    measured("DNS query latency quiet / during %d writes in 2 s (ms, p50 p99)" % writes[0],
             "%.2f %.2f / %.2f %.2f" % (pct(quiet, .5), pct(quiet, .99), pct(busy, .5),
                                         pct(busy, .99)))


def test_file_stays_valid_under_kill_9(joyride, records_file):
    """Writes in a loop, SIGKILL at a random moment, several times: the file always parses (also
    for a reader polling it while the writes go on) and holds every record acknowledged (201)
    before the kill; the node starts from it again."""
    env = None
    acked = set()
    rounds, reads = 6, [0]
    for rnd in range(rounds):
        n = joyride(env=env or {"API_TOKEN": TOKEN, "API_RECORDS_FILE": records_file})
        env = n.env
        stop = threading.Event()
        torn = []

        def reader():
            while not stop.is_set():
                try:
                    text = records_file.read_text()
                except FileNotFoundError:
                    continue
                reads[0] += 1
                try:
                    json.loads(text)
                except ValueError:
                    torn.append(text)
        watcher = threading.Thread(target=reader)
        watcher.start()
        killer = threading.Timer(random.uniform(0.3, 0.9), lambda: (n.kill(), stop.set()))
        killer.start()
        i = 0
        try:
            while not stop.is_set():
                name, ip = "r%d-%d.kill.test" % (rnd, i), "10.50.%d.%d" % (rnd, i % 250 + 1)
                i += 1
                try:
                    status, _, _ = post(n, name, ip, timeout=2)
                except (ConnectionError, OSError, http.client.HTTPException):
                    continue
                if status == 201:
                    acked.add((name, ip))
        finally:
            killer.join()
            watcher.join()
        assert i > 3, "too few writes before the kill"
        assert not torn, "a reader saw a file that is not JSON: %r" % torn[0][:200]
        doc = json.loads(records_file.read_text())  # whole, never half written
        held = {(r["hostname"], r["ip_address"]) for r in doc["records"]}
        missing = acked - held
        assert not missing, "acknowledged but not in the file: %r" % sorted(missing)[:5]
    measured("kill -9 rounds; acknowledged writes, all in the file; reads, all valid JSON",
             "%d; %d; %d" % (rounds, len(acked), reads[0]))
    n = joyride(env=env)
    assert len(api_records(n)) >= len(acked)


# ---- replication ----

def test_replicated_to_another_node(joyride, tmp_path):
    tag = "%x" % random.getrandbits(32)

    def env(node_id, more=None):
        addr = unique_loopback()
        e = {"addr": addr, "ENABLE_DNS_SYNC": "true", "DISCOVERY_PORT": "0",
             "SWIM_PORT": str(free_port(addr)), "NODE_ID": node_id, "API_TOKEN": TOKEN,
             "API_RECORDS_FILE": tmp_path / ("%s.json" % node_id),
             "SWIM_PROBE_INTERVAL": "200ms", "SWIM_PROBE_TIMEOUT": "100ms",
             "SWIM_SUSPICION_MULT": "2"}
        e.update(more or {})
        return e
    a_env = env("a-" + tag)
    a = joyride(env=a_env)
    b = joyride(env=env("b-" + tag, {"CLUSTER_SEEDS": "%s:%s" % (a.addr, a_env["SWIM_PORT"])}))
    wait_until(lambda: len(b.json("/dns/cluster")[1]["cluster"]["swim_cluster"]["members"]) == 2, timeout=15,
               what="b joined a")
    adds, dels = [], []
    for i in range(5):
        name = uniq("repl%d" % i)
        assert post(a, name, "10.60.0.%d" % (i + 1))[0] == 201
        t0 = time.monotonic()
        wait_until(lambda: b.addresses(name) == ["10.60.0.%d" % (i + 1)], timeout=10,
                   interval=0.005, what="a's API record answered by b")
        adds.append(time.monotonic() - t0)
        assert delete(a, name)[0] == 200
        t0 = time.monotonic()
        wait_until(lambda: b.query(name).rcode() == 3, timeout=10, interval=0.005,
                   what="a's deletion seen on b")
        dels.append(time.monotonic() - t0)
    # listed on b as a's record under source api
    name = uniq("listed")
    assert post(a, name, "10.60.1.1")[0] == 201
    wait_until(lambda: b.addresses(name) == ["10.60.1.1"], timeout=10, what="listed")
    recs = [r for r in b.json("/dns/records")[1]["records"] if r["hostname"] == name]
    assert [(r["source"], r["owner"]) for r in recs] == [("api", a_env["NODE_ID"])]
    # b cannot delete a's record: it holds no API record of that name itself
    assert delete(b, name)[0] == 404
    # a restarts (SIGTERM: it leaves, b drops its records) and republishes them from its file
    assert a.stop() == 0
    wait_until(lambda: b.query(name).rcode() == 3, timeout=15, what="a's records gone from b")
    t0 = time.monotonic()
    a = joyride(env=a.env)
    wait_until(lambda: b.addresses(name) == ["10.60.1.1"], timeout=30, interval=0.01,
               what="a's API record back on b after a's restart")
    measured("a restarted -> its API record answered by b again (s, incl. a's start)",
             "%.2f" % (time.monotonic() - t0))
    measured("POST 201 on a -> answered by b (ms, median of 5; max)",
             "%.1f; %.1f" % (sorted(adds)[2] * 1000, max(adds) * 1000))
    measured("DELETE 200 on a -> NXDOMAIN on b (ms, median of 5; max)",
             "%.1f; %.1f" % (sorted(dels)[2] * 1000, max(dels) * 1000))
