"""Hosts-file churn and process sampling, shared by test_soak.py and bench/soak.py.

A Churner replaces one hosts file every period with a fresh set of names (write to a temp file,
rename over), so every round removes every name of the previous round and adds as many new ones:
the worst case for tombstones. sample() reads a node's RSS and CPU from /proc and its record
table and gossip queue from /metrics.
"""

import os
import re
import threading
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def hosts_text(names, gen, ip="10.9.0.1"):
    return "".join("%s n%d-g%d.soak.test\n" % (ip, i, gen) for i in range(names))


class Churner(threading.Thread):
    def __init__(self, hosts_dir, names, period_s, fname="churn"):
        super().__init__(daemon=True)
        self.path = Path(hosts_dir) / fname
        self.names = names
        self.period = period_s
        self.rounds = 0
        self._halt = threading.Event()

    def write(self, gen):
        tmp = self.path.with_name("." + self.path.name + ".tmp")
        tmp.write_text(hosts_text(self.names, gen))
        os.replace(tmp, self.path)

    def run(self):
        nxt = time.monotonic()
        while not self._halt.is_set():
            self.write(self.rounds)
            self.rounds += 1
            nxt += self.period
            self._halt.wait(max(0.0, nxt - time.monotonic()))

    def halt(self):
        self._halt.set()
        self.join()

    def remove(self):
        self.path.unlink(missing_ok=True)


def proc_rss_kb(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_cpu_s(pid):
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def metric(text, name):
    m = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def sample(node):
    """{rss_kb, cpu_s, entries, tombstones, queued} of a running Node."""
    _, _, body = node.http("/metrics")
    text = body.decode()
    return {
        "rss_kb": proc_rss_kb(node.pid),
        "cpu_s": proc_cpu_s(node.pid),
        "entries": metric(text, "joyride_records_entries"),
        "tombstones": metric(text, "joyride_records_tombstones"),
        "queued": metric(text, "joyride_swim_queued_broadcasts"),
    }
