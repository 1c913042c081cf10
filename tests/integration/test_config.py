"""Configuration of the real binary: bad values give one line on stderr naming the variable and exit
2; --help lists every option and variable with its default; --version; .env precedence
(flag > environment > .env > default) seen end to end through the API and DNS answers."""

import re
import signal
import socket
import subprocess

import pytest

from conftest import JOYRIDE, ROOT, free_port, node_env, wait_until


def run(args=(), env=None, cwd=None, timeout=10):
    """Runs joyride to completion (it must exit by itself: config errors, --help, --version)."""
    try:
        return subprocess.run([str(JOYRIDE), *args], env=env or node_env(), cwd=cwd,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail("joyride %s did not exit (it started instead of rejecting the config): %s"
                    % (list(args), e))


BAD_VALUES = [
    ("DNS_PORT", "70000", "70000 is not a port (1-65535)"),
    ("DNS_PORT", "0", "0 is not a port"),
    ("HTTP_PORT", "http", "http is not a port"),
    ("HOSTIP", "banana", "banana is not an IP address"),
    ("DNS_UNKNOWN_ACTION", "ignore", "ignore is not one of nxdomain, refused, drop"),
    ("DNS_BIND_ADDRESS", "localhost", "localhost is not an IPv4 or IPv6 address"),
    ("DNS_TTL", "-1", "-1 is not a whole number"),
    ("DNS_WORKERS", "0", "0 is not a whole number from 1"),
    ("DNS_DOMAINS", "good.test,bad..test", "bad..test is not a valid domain name"),
    ("LOG_LEVEL", "LOUD", "LOUD is not one of DEBUG, INFO, WARNING, ERROR"),
    ("ENABLE_DNS_SYNC", "perhaps", "perhaps is not a boolean"),
    ("SWIM_PORT", "99999", "99999 is not a port"),
    ("DISCOVERY_PORT", "-3", "-3 is not a port (0-65535, 0 disables)"),
    ("DISCOVERY_BROADCAST", "ff02::1", "ff02::1 is not an IPv4 address"),
    ("DISCOVERY_INTERVAL", "often", "often is not a duration"),
    ("CLUSTER_SEEDS", "10.0.0.1:99999", "10.0.0.1:99999 is not host:port"),
    ("CLUSTER_SECRET", "c2hvcnQ=", "key 1 is 5 bytes; keys must be 16, 24 or 32 bytes"),
    ("RECORDS_ON_NODE_FAILURE", "forget", "forget is not one of withdraw, keep"),
    ("SWIM_SUSPICION_MULT", "0", "0 is not a whole number from 1 to 100"),
    # DOCKER_HOST is checked with the Docker source's own parser (app.c), not by config
    ("DOCKER_HOST", "ssh://me@docker", "scheme not supported (use unix:// or tcp://): ssh://me@docker"),
    ("DOCKER_HOST", "unix://relative.sock", "unix socket path must be absolute: relative.sock"),
    ("DOCKER_HOST", "tcp://127.0.0.1:http", "bad port: 127.0.0.1:http"),
    # strictness (issue 13): the message says "true or false", so nothing else is a boolean
    ("ENABLE_DNS_SYNC", "yes", "yes is not a boolean (true or false)"),
    ("ENABLE_DNS_SYNC", "1", "1 is not a boolean (true or false)"),
    # an empty value is an error where "" means nothing (unset the variable for the default)
    ("ENABLE_DNS_SYNC", "", "empty value (unset it for the default, true)"),
    ("DNS_PORT", "", "empty value (unset it for the default, 5353)"),
    ("HOSTIP", " ", "empty value (unset it for the default, the address of the interface"),
    ("DOCKER_HOST", "", "empty value (unset it for the default, unix:///var/run/docker.sock)"),
    ("LOG_LEVEL", "", "empty value (unset it for the default, INFO)"),
    # DOCKER_HOST: the docker CLI reads a scheme-less value as tcp://value:2375 (abc,
    # /var/run/docker.sock) and an empty unix:// as the default socket; we refuse both. It
    # refuses http:// itself ("invalid bind address format"), as we do.
    ("DOCKER_HOST", "abc", "has no scheme (use unix:///path or tcp://host:port): abc"),
    ("DOCKER_HOST", "/var/run/docker.sock",
     "has no scheme (use unix:///path or tcp://host:port): /var/run/docker.sock"),
    ("DOCKER_HOST", "http://x", "scheme not supported (use unix:// or tcp://): http://x"),
    ("DOCKER_HOST", "unix://", "unix socket path is empty: unix://"),
    ("CLUSTER_SECRET", ",", ", holds no key (leave it empty for none)"),
]


@pytest.mark.parametrize("var,value,problem", BAD_VALUES, ids=[b[0] + "=" + b[1] for b in BAD_VALUES])
def test_bad_value_one_line_exit_2(var, value, problem):
    r = run(env=node_env(**{var: value}))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, "expected exactly one line on stderr, got %r" % r.stderr
    assert lines[0].startswith("joyride: %s: %s" % (var, problem)), lines[0]
    assert r.stdout == ""


def test_bad_flag_value_names_the_flag():
    r = run(["--dns-port", "99999"])
    assert r.returncode == 2
    assert r.stderr == "joyride: --dns-port: 99999 is not a port (1-65535)\n"
    r = run(["--enable-dns-sync", "yes"])
    assert r.returncode == 2
    assert r.stderr == "joyride: --enable-dns-sync: yes is not a boolean (true or false)\n"
    # DOCKER_HOST is checked after parsing (app.c) but still named as the user wrote it
    r = run(["--docker-host=http://127.0.0.1:2375"])
    assert r.returncode == 2
    assert r.stderr == ("joyride: --docker-host: scheme not supported (use unix:// or tcp://): "
                        "http://127.0.0.1:2375\n")
    r = run(["--dns-port"])
    assert r.returncode == 2
    assert r.stderr == "joyride: --dns-port needs a value\n"


def test_alias_is_reported_under_its_own_name():
    env = node_env(FLASK_PORT="80a", HTTP_PORT=None)
    r = run(env=env)
    assert r.returncode == 2
    assert r.stderr == "joyride: FLASK_PORT: 80a is not a port (1-65535)\n"
    env = node_env(FLASK_PORT="", HTTP_PORT=None)
    r = run(env=env)
    assert r.returncode == 2
    assert r.stderr == "joyride: FLASK_PORT: empty value (unset it for the default, 5000)\n"
    # a clash is reported under the names the user wrote on both sides
    env = node_env(HTTP_PORT=None)
    env["FLASK_PORT"] = env["DNS_PORT"]
    r = run(env=env)
    assert r.returncode == 2
    assert r.stderr == "joyride: FLASK_PORT: %s is also DNS_PORT (both listen on TCP)\n" % (
        env["DNS_PORT"])


def test_unknown_option_exit_2():
    for args in (["--no-such-option"], ["--no-such-option=5"], ["--dns-port=5353", "--nope"]):
        r = run(args)
        assert r.returncode == 2, args
        assert r.stderr == "joyride: unknown option %s (see --help)\n" % args[-1]
        assert r.stdout == ""


def test_secret_is_never_printed():
    secret = "U2VjcmV0S2V5TWF0ZXJpYWw="  # valid base64, 17 bytes: rejected
    r = run(env=node_env(CLUSTER_SECRET=secret))
    assert r.returncode == 2
    assert secret not in r.stderr and "U2Vj" not in r.stderr
    assert "CLUSTER_SECRET" in r.stderr


# Every variable of the single-node, Docker and cluster tables, with the default --help shows.
HELP_DEFAULTS = {
    "DNS_PORT": "5353", "DNS_BIND_ADDRESS": "0.0.0.0", "HTTP_PORT": "5000",
    "HTTP_BIND_ADDRESS": "0.0.0.0", "HOSTIP": "default route", "HOSTS_DIRECTORY": "/app/hosts",
    "DNS_TTL": "60", "DNS_UNKNOWN_ACTION": "nxdomain", "DNS_DOMAINS": "empty",
    "DNS_WORKERS": "number of CPUs", "NODE_ID": "joyride-<pid>", "ENABLE_DNS_SYNC": "true",
    "DISCOVERY_PORT": "8889", "SWIM_PORT": "8890", "LOG_LEVEL": "INFO",
    "SERVICE_NAME": "Joyride DNS", "ENVIRONMENT": "development",
    "SEMANTIC_VERSION": None,  # the build's version, checked below
    "DOCKER_HOST": "unix:///var/run/docker.sock", "DOCKER_LABELS": "joyride.host.name",
    "CLUSTER_BIND_ADDRESS": "0.0.0.0", "DISCOVERY_BROADCAST": "255.255.255.255",
    "DISCOVERY_INTERVAL": "5s", "DISCOVERY_TIMEOUT": "3 x DISCOVERY_INTERVAL",
    "CLUSTER_SEEDS": "empty", "CLUSTER_SECRET": "empty", "RECORDS_ON_NODE_FAILURE": "withdraw",
    "SWIM_PROBE_INTERVAL": "1s", "SWIM_PROBE_TIMEOUT": "500ms", "SWIM_GOSSIP_INTERVAL": "200ms",
    "SWIM_SUSPICION_MULT": "4", "SWIM_PUSHPULL_INTERVAL": "30s",
}


def build_version():
    m = re.search(r"version:\s*'([^']+)'", (ROOT / "meson.build").read_text())
    return m.group(1)


def test_help_lists_every_option_with_default():
    r = run(["--help"])
    assert r.returncode == 0
    assert r.stderr == ""
    out = r.stdout
    HELP_DEFAULTS["SEMANTIC_VERSION"] = build_version()
    for var, default in HELP_DEFAULTS.items():
        flag = "--" + var.lower().replace("_", "-")
        m = re.search(r"^  %s \S+ +%s(?: or \w+)? \(default: ([^)]*)\)" % (re.escape(flag), var),
                      out, re.M)
        assert m, "--help has no line for %s / %s:\n%s" % (flag, var, out)
        assert default in m.group(1), "%s: default %r, want %r" % (var, m.group(1), default)
    assert "FLASK_PORT" in out
    assert "--version" in out and "--help" in out
    assert ".env" in out


def test_help_short_and_with_bad_environment():
    r = run(["-h"], env=node_env(DNS_PORT="banana"))
    assert r.returncode == 0
    assert "DNS_PORT" in r.stdout


def test_version():
    for arg in ("--version", "-V"):
        r = run([arg])
        assert r.returncode == 0
        assert r.stdout == "joyride %s\n" % build_version()


def test_dotenv_precedence(joyride, tmp_path):
    """.env < environment < flags, seen through /status, /health and a DNS answer's TTL."""
    (tmp_path / ".env").write_text(
        "# written by the test\n"
        "SERVICE_NAME='Dotenv Service'\n"
        "ENVIRONMENT=from-dotenv\n"
        "SEMANTIC_VERSION=1.0.0-dotenv\n"
        "DNS_TTL=77   # inline comment\n"
        "DNS_WORKERS=1\n")
    node = joyride(hosts={"h": "10.9.8.7 precedence.test\n"},
                   env={"ENVIRONMENT": "from-env", "SEMANTIC_VERSION": "2.0.0-env",
                        "DNS_WORKERS": None},
                   args=["--semantic-version", "3.0.0-flag"], workdir=tmp_path)
    _, health = node.json("/health")
    assert health["service"] == "Dotenv Service"      # only in .env
    assert health["version"] == "3.0.0-flag"          # flag beats env and .env
    _, status = node.json("/status")
    assert status["environment"] == "from-env"        # env beats .env
    assert status["dns_server"]["ttl"] == 77
    assert status["dns_server"]["workers"] == 1
    r = node.query("precedence.test", "A")
    assert [rr.ttl for rr in r.answer] == [77]


def test_bad_value_in_dotenv(tmp_path):
    """One line naming the .env file, line and key as written, exit 2."""
    (tmp_path / ".env").write_text("# settings\nHOSTIP=banana\n")
    r = run(env=node_env(HOSTIP=None), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "joyride: .env:2: HOSTIP: banana is not an IP address\n"
    (tmp_path / ".env").write_text("FLASK_PORT=\nENABLE_DNS_SYNC=yes\n")
    r = run(env=node_env(HTTP_PORT=None), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "joyride: .env:1: FLASK_PORT: empty value (unset it for the default, 5000)\n"
    r = run(env=node_env(ENABLE_DNS_SYNC=None), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "joyride: .env:2: ENABLE_DNS_SYNC: yes is not a boolean (true or false)\n"
    (tmp_path / ".env").write_text("DOCKER_HOST=abc\n")
    r = run(env=node_env(DOCKER_HOST=None), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("joyride: .env:1: DOCKER_HOST: has no scheme (use unix:///path or "
                        "tcp://host:port): abc\n")
    (tmp_path / ".env").write_text("A=1\nthis is not a pair\n")
    r = run(cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "joyride: .env:2: expected KEY=VALUE\n"


def test_flask_port_alias(tmp_path):
    """FLASK_PORT (the seed's name) sets the HTTP port when HTTP_PORT is not given."""
    env = node_env()
    addr = env["HTTP_BIND_ADDRESS"]
    port = free_port(addr, both=False)
    env.pop("HTTP_PORT")
    env["FLASK_PORT"] = str(port)
    log = open(tmp_path / "flask.log", "wb")
    p = subprocess.Popen([str(JOYRIDE)], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log)
    try:
        def up():
            assert p.poll() is None, (tmp_path / "flask.log").read_text()
            with socket.create_connection((addr, port), timeout=0.5) as s:
                s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
                return s.recv(100).startswith(b"HTTP/1.1 200")
        wait_until(up, timeout=15, what="HTTP on FLASK_PORT")
    finally:
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
        log.close()


def test_detected_hostip_is_an_address(joyride):
    """Without HOSTIP the node picks the default-route interface address (or 127.0.0.1)."""
    node = joyride(env={"HOSTIP": None})
    _, status = node.json("/status")
    socket.inet_aton(status["hostip"])
    assert status["hostip"] != "0.0.0.0"
    assert re.match(r"^joyride-\d+$", status["node_id"])
    assert status["node_id"] == "joyride-%d" % node.pid
