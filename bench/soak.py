"""bench/soak.sh's body: churn a hosts file on one node (or two binaries side by side) and sample
RSS, table entries, tombstones, gossip queue and CPU. Usage: soak.py MINUTES JOYRIDE [PEER]."""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, "tests/integration")
from churn import Churner, sample  # noqa: E402
from conftest import Node, free_port, node_env  # noqa: E402

minutes = float(sys.argv[1])
binaries = [os.path.abspath(b) for b in sys.argv[2:] if b]
names = int(os.environ.get("NAMES", "10000"))
period = int(os.environ.get("PERIOD_MS", "200")) / 1000.0
every = float(os.environ.get("SAMPLE", "10"))


class SoakNode(Node):
    def __init__(self, binary, env, workdir):
        self.addr = env["DNS_BIND_ADDRESS"]
        self.dns_port = int(env["DNS_PORT"])
        self.http_port = int(env["HTTP_PORT"])
        self.env = env
        self.workdir = Path(workdir)
        self.start_proc([binary], self.workdir / "joyride.log", env=env, cwd=self.workdir)


runs = []
try:
    for b in binaries:
        work = Path(tempfile.mkdtemp(prefix="jr-soak-"))
        (work / "hosts").mkdir()
        env = node_env(ENABLE_DNS_SYNC="true", DISCOVERY_PORT="0", LOG_LEVEL="WARNING",
                       HOSTS_DIRECTORY=str(work / "hosts"))
        env["SWIM_PORT"] = str(free_port(env["CLUSTER_BIND_ADDRESS"]))
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env.pop(k, None)
        node = SoakNode(b, env, work).wait_ready()
        runs.append((b, node, Churner(work / "hosts", names, period)))
    print("soak: %d names replaced every %d ms for %.1f min, sampled every %.0f s" % (
        names, period * 1000, minutes, every))
    hdr = "%6s  %-28s %9s %9s %11s %8s %7s" % ("t(s)", "binary", "RSS(MB)", "entries",
                                               "tombstones", "queued", "CPU(%)")
    print(hdr)
    t0 = time.monotonic()
    last = {id(n): (t0, sample(n)["cpu_s"]) for _, n, _ in runs}
    series = {id(n): [] for _, n, _ in runs}
    for _, _, c in runs:
        c.start()

    def row(t, b, n):
        s = sample(n)
        pt, pc = last[id(n)]
        now = time.monotonic()
        cpu = 100.0 * (s["cpu_s"] - pc) / max(1e-6, now - pt)
        last[id(n)] = (now, s["cpu_s"])
        series[id(n)].append(s["rss_kb"])
        print("%6.0f  %-28s %9.1f %9d %11d %8d %7.1f" % (
            t, b[-28:], s["rss_kb"] / 1024, s["entries"] or 0, s["tombstones"] or 0,
            s["queued"] or 0, cpu), flush=True)

    while time.monotonic() - t0 < minutes * 60:
        time.sleep(every)
        for b, n, _ in runs:
            row(time.monotonic() - t0, b, n)
    for _, _, c in runs:
        c.halt()
        c.remove()
    time.sleep(every)
    print("-- churn stopped, file removed --")
    for b, n, _ in runs:
        row(time.monotonic() - t0, b, n)
    for b, n, c in runs:
        s = series[id(n)]
        third = max(1, len(s) // 3)
        first, lastt = sum(s[:third]) / third, sum(s[-third - 1:-1] or s[-1:]) / third
        print("%s: %d rounds; RSS first third %.1f MB, last third %.1f MB (x%.2f), after removal "
              "%.1f MB" % (b, c.rounds, first / 1024, lastt / 1024, lastt / max(1, first),
                            s[-1] / 1024))
finally:
    for _, n, c in runs:
        c.halt() if c.is_alive() else None
        n.stop()
