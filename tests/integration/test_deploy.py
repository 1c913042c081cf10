"""What deployments rely on, with the real binary: `joyride health` (the container HEALTHCHECK)
asking where the node listens, the default NODE_ID when joyride is PID 1 in a PID namespace of its own (as
in every container), the message naming the fix when an unprivileged user binds port 53, and
joyride as dnsmasq's conditional-forwarding target (the README's server=/domain/addr#port)."""

import os
import shutil
import signal
import socket
import subprocess

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import JOYRIDE, SAN_ENV, free_port, node_env, unique_loopback, wait_until


def health(env, *args):
    return subprocess.run([str(JOYRIDE), "health", *args], env={**SAN_ENV, **env},
                          capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_health_asks_where_the_node_listens(joyride):
    """A container's HEALTHCHECK runs `joyride health` with the container's environment and no
    --api: it asks HTTP_BIND_ADDRESS:HTTP_PORT, the loopback address for a wildcard or unset."""
    node = joyride()
    env = {"HTTP_BIND_ADDRESS": node.addr, "HTTP_PORT": str(node.http_port)}
    r = health(env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("healthy: ") and r.stdout.endswith(
        " at http://%s:%d\n" % (node.addr, node.http_port)), r.stdout
    port = free_port("127.0.0.1", both=False)  # nobody listens there: unhealthy (1)
    for bind, asked in (("0.0.0.0", "127.0.0.1"), ("", "127.0.0.1"), (None, "127.0.0.1"),
                        ("::", "[::1]"), ("fd00::53", "[fd00::53]")):
        env = {"HTTP_PORT": str(port)}
        if bind is not None:
            env["HTTP_BIND_ADDRESS"] = bind
        r = health(env, "--timeout", "2")
        assert r.returncode == 1, (bind, r.stderr)
        assert "cannot reach http://%s:%d" % (asked, port) in r.stderr, (bind, r.stderr)


def test_node_id_from_hostname_as_pid_1(tmp_path):
    """PID 1 of a new PID namespace (what a container gives) names itself joyride-<hostname>
    rather than joyride-1, which every containerised node would share."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed (util-linux)")
    env = node_env()
    # --kill-child: joyride gets SIGKILL if unshare dies first
    p = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
                          str(JOYRIDE)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in p.stdout:
            lines.append(line)
            if "started:" in line:
                break
        # unshare ignores SIGTERM while it waits: signal joyride (its child) by its host PID
        with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
            for pid in f.read().split():
                os.kill(int(pid), signal.SIGTERM)
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out = "".join(lines)
    if "started:" not in out and "unshare:" in out:
        pytest.skip("cannot create a PID namespace here: %s" % out.strip())
    assert "node joyride-%s," % socket.gethostname() in lines[-1], out


def test_port_53_refused_names_the_fix(tmp_path):
    """An unprivileged user binding port 53: exit 1 and one line that names CAP_NET_BIND_SERVICE
    and the ways to grant it."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv is not installed (util-linux)")
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        if int(f.read()) <= 53:
            pytest.skip("this host lets every user bind port 53")
    for kind, env in (("DNS", node_env(DNS_PORT=53)), ("HTTP", node_env(HTTP_PORT=80))):
        r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            str(JOYRIDE)], env=env, capture_output=True, text=True, timeout=15,
                           cwd="/", stdin=subprocess.DEVNULL)  # nobody reads no .env
        assert r.returncode == 1, r.stderr
        # the reason is one line (among the log lines of what had started before)
        errors = [line for line in r.stderr.splitlines() if line.startswith("joyride: ")]
        assert len(errors) == 1, r.stderr
        msg = errors[0]
        assert ("port 53 on %s" % env["DNS_BIND_ADDRESS"] if kind == "DNS" else "port 80") in msg
        assert "CAP_NET_BIND_SERVICE" in msg
        assert "sudo setcap cap_net_bind_service=+ep %s" % JOYRIDE.resolve() in msg
        assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in msg
        assert "--cap-add NET_BIND_SERVICE" in msg


def test_dnsmasq_conditional_forwarding(joyride, tmp_path):
    """The README's dnsmasq/Pi-hole line, server=/<domain>/<joyride>#<port>: names of the domain
    are answered by joyride through dnsmasq on a port of its own."""
    exe = shutil.which("dnsmasq")
    if not exe:
        pytest.skip("dnsmasq is not installed (package dnsmasq-base)")
    node = joyride(hosts={"h": "10.8.8.8 fwd.joyride.test\n"})
    addr = unique_loopback()
    port = free_port(addr)
    p = subprocess.Popen([exe, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                          "--no-hosts", "--no-poll", "--bind-interfaces", "--pid-file=",
                          "--listen-address=%s" % addr, "--port=%d" % port,
                          "--server=/joyride.test/%s#%d" % (node.addr, node.dns_port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def ask(name):
            q = dns.message.make_query(name, "A")
            return dns.query.udp(q, addr, port=port, timeout=1.0)
        r = wait_until(lambda: ask("fwd.joyride.test"), timeout=10.0, what="dnsmasq up")
        assert [rd.address for rrset in r.answer for rd in rrset] == ["10.8.8.8"]
        assert ask("missing.joyride.test").rcode() == dns.rcode.NXDOMAIN  # joyride's answer
        assert ask("elsewhere.invalid").rcode() == dns.rcode.REFUSED  # dnsmasq: no upstream
    finally:
        p.terminate()
        p.wait(timeout=10)
