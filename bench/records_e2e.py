"""bench/records.sh E2E=1's body: the record table seen from outside. One node (replication on,
no peers) serves a hosts directory of NAMES names (FILES files); then, ROUNDS times, one one-name
file is rewritten (temp file renamed over it) and the time until a dnspython UDP query answers the
new address is taken; then BURST new one-name files are written back to back and the time until
all answer is taken; then a file of CHURN_NAMES names is replaced CHURN times with fresh names.
Prints the RSS after loading, after the changes and after the churn. Several binaries run in
alternating rounds. Usage: records_e2e.py JOYRIDE [JOYRIDE...]"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, "tests/integration")
from churn import sample  # noqa: E402
from conftest import Node, free_port, node_env  # noqa: E402

names = int(os.environ.get("NAMES", "100000"))
files = int(os.environ.get("FILES", "100"))
rounds = int(os.environ.get("ROUNDS", "20"))
burst = int(os.environ.get("BURST", "200"))
churn = int(os.environ.get("CHURN", "50"))
churn_names = int(os.environ.get("CHURN_NAMES", "1000"))
binaries = [os.path.abspath(b) for b in sys.argv[1:] if b]


class BenchNode(Node):
    def __init__(self, binary, env, workdir):
        self.addr = env["DNS_BIND_ADDRESS"]
        self.dns_port = int(env["DNS_PORT"])
        self.http_port = int(env["HTTP_PORT"])
        self.env = env
        self.workdir = Path(workdir)
        self.start_proc([binary], self.workdir / "joyride.log", env=env, cwd=self.workdir)


def write(path, text):
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def answers(node, name, addr):
    try:
        return node.addresses(name) == [addr]
    except Exception:  # a timeout while the node is busy counts as not yet
        return False


def until(pred, timeout=30.0):
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
    return time.monotonic() - t0


def start(binary):
    work = Path(tempfile.mkdtemp(prefix="jr-e2e-"))
    hosts = work / "hosts"
    hosts.mkdir()
    per = (names + files - 1) // files
    for f in range(files):
        lines = ["10.%d.%d.%d n%d.f%d.e2e.test\n" % (i >> 16 & 255, i >> 8 & 255, i & 255, i, f)
                 for i in range(f * per, min(names, (f + 1) * per))]
        (hosts / ("f%d" % f)).write_text("".join(lines))
    env = node_env(ENABLE_DNS_SYNC=os.environ.get("SYNC", "true"), DISCOVERY_PORT="0", LOG_LEVEL="WARNING",
                   HOSTS_DIRECTORY=str(hosts))
    env["SWIM_PORT"] = str(free_port(env["CLUSTER_BIND_ADDRESS"]))
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env.pop(k, None)
    node = BenchNode(binary, env, work).wait_ready(timeout=120)
    last = names - 1
    until(lambda: answers(node, "n%d.f%d.e2e.test" % (last, last // per),
                          "10.%d.%d.%d" % (last >> 16 & 255, last >> 8 & 255, last & 255)), 120)
    return node, hosts


runs = [(b, *start(b)) for b in binaries]
loaded = {b: sample(n)["rss_kb"] / 1024 for b, n, _ in runs}
lat = {b: [] for b in binaries}
for r in range(rounds):
    for b, node, hosts in runs:
        addr = "172.16.%d.%d" % (r >> 8 & 255, r & 255)
        t0 = time.monotonic()
        write(hosts / "one", "%s one.e2e.test\n" % addr)
        until(lambda: answers(node, "one.e2e.test", addr))
        lat[b].append(time.monotonic() - t0)
bursts = {}
for b, node, hosts in runs:
    t0 = time.monotonic()
    for i in range(burst):
        write(hosts / ("b%d" % i), "172.17.%d.%d b%d.e2e.test\n" % (i >> 8, i & 255, i))
    for i in range(burst):
        until(lambda: answers(node, "b%d.e2e.test" % i, "172.17.%d.%d" % (i >> 8, i & 255)))
    bursts[b] = time.monotonic() - t0
after = {b: sample(n)["rss_kb"] / 1024 for b, n, _ in runs}
for g in range(churn):
    for b, node, hosts in runs:
        write(hosts / "churn", "".join("172.18.%d.%d c%d-g%d.e2e.test\n" % (i >> 8, i & 255, i, g)
                                       for i in range(churn_names)))
        i = churn_names - 1
        until(lambda: answers(node, "c%d-g%d.e2e.test" % (i, g), "172.18.%d.%d" % (i >> 8, i & 255)))
churned = {b: sample(n)["rss_kb"] / 1024 for b, n, _ in runs}
time.sleep(2)  # background work settles
print("%d names in %d files; one-name file rewritten %d times; %d new files back to back; "
      "%d names replaced %d times" % (names, files, rounds, burst, churn_names, churn))
for b, node, _ in runs:
    s = sorted(lat[b])
    print("%-40s rewrite→answered median %6.1f ms  max %6.1f ms | burst %6.2f s | "
          "RSS %5.1f MB loaded, %5.1f MB after, %5.1f MB at the end of the churn, %5.1f MB 2 s later "
          "(%s entries, %s tombstones)" % (
              b[-40:], s[len(s) // 2] * 1e3, s[-1] * 1e3, bursts[b], loaded[b], after[b], churned[b],
              sample(node)["rss_kb"] / 1024, sample(node)["entries"], sample(node)["tombstones"]))
for _, node, _ in runs:
    node.stop()
