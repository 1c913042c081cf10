#!/bin/bash
# bench/cluster.sh — cluster benchmark on 5 network-namespaced hosts (private bridge, torn down at
# the end): propagation latency of 100 record changes (median, p99), failure-detection time after
# SIGKILL, and the time a CUT_S-second partition of one node takes to heal, for joyride, next to the
# same measurements with serf agents on the same harness (a serf user event stands in for a record
# change; serf's heal is the member-join event on every other node), then the swimmies
# simulator's user-broadcast convergence at 100 and 1000 nodes.
#
# Usage: sudo bench/cluster.sh            (needs root, iproute2, nftables, serf, python3-dnspython)
# Env:   JOYRIDE=path/to/joyride (default build/src/joyride), SWIMSIM=path/to/swimsim
#        (default: next to JOYRIDE's build), NODES (5), CHANGES (100), KILLS (3), CUTS (2),
#        CUT_S (20), SKIP_SIM=1
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export JOYRIDE=${JOYRIDE:-$ROOT/build/src/joyride}
export SWIMSIM=${SWIMSIM:-$(dirname "$(dirname "$JOYRIDE")")/tests/sim/swimsim}
export NODES=${NODES:-5} CHANGES=${CHANGES:-100} KILLS=${KILLS:-3} CUTS=${CUTS:-2} CUT_S=${CUT_S:-20}
export PYTHONPATH=$ROOT/tests/integration${PYTHONPATH:+:$PYTHONPATH}
[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root (network namespaces)" >&2; exit 2; }
[ -x "$JOYRIDE" ] || { echo "cluster.sh: no joyride binary at $JOYRIDE (make build)" >&2; exit 2; }

/usr/bin/python3 - <<'EOF'
import os, signal, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from netns import Lab, NsNode

N, CHANGES, KILLS = int(os.environ["NODES"]), int(os.environ["CHANGES"]), int(os.environ["KILLS"])
CUTS, CUT_S = int(os.environ["CUTS"]), float(os.environ["CUT_S"])
JOYRIDE = Path(os.environ["JOYRIDE"])
work = Path(tempfile.mkdtemp(prefix="jr-bench-cluster-"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def summary(xs):
    return "median %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)" % (
        statistics.median(xs) * 1e3, pct(xs, 99) * 1e3, max(xs) * 1e3, len(xs))


def answers(node, name):
    try:
        return node.addresses(name, timeout=0.2)
    except Exception:
        return None


def wait(pred, timeout, interval=0.002):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(interval)
    raise RuntimeError("timeout")


def joyride_bench():
    lab = Lab(N)
    nodes = [NsNode(lab, i, JOYRIDE, work / "joyride", env_extra={"LOG_LEVEL": "INFO", "DISCOVERY_INTERVAL": "5s"},
                    hosts={"local": "%s n%d.bench.test\n" % (lab.ip(i), i)}) for i in
             range(1, N + 1)]
    try:
        for n in nodes:
            n.start()
        wait(lambda: all(answers(a, "n%d.bench.test" % b.i) == [b.addr] for a in nodes
                         for b in nodes), 20, 0.05)
        origin, others = nodes[0], nodes[1:]
        prop, spread = [], []
        for k in range(CHANGES):
            name, ip = "c%d.bench.test" % k, lab.ip(100 + k % 100)
            t0 = time.monotonic()
            origin.write_hosts("bench", "%s %s\n" % (ip, name))
            seen = {}
            while len(seen) < N:
                for n in nodes:
                    if n.i not in seen and answers(n, name) == [ip]:
                        seen[n.i] = time.monotonic() - t0
                if time.monotonic() - t0 > 10:
                    raise RuntimeError("change %d did not propagate" % k)
            prop.append(max(seen[n.i] for n in others))
            spread.append(max(seen[n.i] for n in others) - seen[origin.i])
        print("joyride: record change (hosts file write on node1) -> answered by all %d others: %s"
              % (N - 1, summary(prop)))
        print("joyride: of which after node1 itself answers (the cluster's part): %s"
              % summary(spread))
        detect = []
        for r in range(KILLS):
            victim = nodes[-1]
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            t0 = time.monotonic()
            wait(lambda: all(answers(n, "n%d.bench.test" % victim.i) == [] for n in nodes[:-1]),
                 60, 0.02)
            detect.append(time.monotonic() - t0)
            victim._log.close()
            victim.start()
            wait(lambda: all(answers(a, "n%d.bench.test" % b.i) == [b.addr] for a in nodes
                             for b in nodes), 20, 0.05)
        print("joyride: SIGKILL -> names withdrawn on all others (failure detection): %s" %
              ", ".join("%.2f s" % d for d in detect) + " (median %.2f s)" %
              statistics.median(detect))
        heal = []
        for r in range(CUTS):
            victim = nodes[-1]
            lab.cut(victim.i)
            t_cut = time.monotonic()
            wait(lambda: all(answers(n, "n%d.bench.test" % victim.i) == [] for n in nodes[:-1]),
                 60, 0.05)
            time.sleep(max(0.0, CUT_S - (time.monotonic() - t_cut)))
            lab.heal(victim.i)
            heal.append(wait(lambda: all(answers(a, "n%d.bench.test" % b.i) == [b.addr]
                                         for a in nodes for b in nodes), 60, 0.02))
        print("joyride: %.0f s partition of one node healed -> every node answers every name: %s" %
              (CUT_S, ", ".join("%.2f s" % d for d in heal)) + " (median %.2f s)" %
              statistics.median(heal))
    finally:
        for n in nodes:
            n.stop()
        lab.close()


HANDLER = """#!/bin/sh
# serf event handler: one line "<event> <payload or member> <unix time>" per event
now=$(date +%s.%N)
if [ "$SERF_EVENT" = user ]; then read -r payload; echo "user $payload $now" >> "$1";
else while read -r name rest; do echo "$SERF_EVENT $name $now" >> "$1"; done; fi
"""


def serf_bench():
    if not shutil.which("serf"):
        print("serf: not installed, skipped")
        return
    lab = Lab(N)
    handler = work / "serf-handler.sh"
    handler.write_text(HANDLER)
    handler.chmod(0o755)
    procs, logs = [], []
    try:
        for i in range(1, N + 1):
            ev = work / ("serf-events-%d" % i)
            ev.write_text("")
            logs.append(ev)
            argv = ["serf", "agent", "-node", "serf%d" % i, "-bind", "%s:7946" % lab.ip(i),
                    "-rpc-addr", "127.0.0.1:7373", "-log-level", "warn",
                    "-event-handler", "%s %s" % (handler, ev)]
            if i > 1:
                argv += ["-retry-join", "%s:7946" % lab.ip(1), "-retry-interval", "1s"]
            procs.append(lab.popen(i, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        def members_alive(i):
            r = lab.run(i, ["serf", "members", "-status", "alive"], capture_output=True,
                        text=True)
            return len(r.stdout.strip().splitlines())

        wait(lambda: all(members_alive(i) == N for i in range(1, N + 1)), 30, 0.2)

        def received(i, key):
            for line in logs[i - 1].read_text().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[0] == "user" and parts[1] == key:
                    return float(parts[2])
            return None

        prop, missed = [], []
        for k in range(CHANGES):
            key = "c%d" % k
            t_send = time.time()
            lab.run(1, ["serf", "event", "-coalesce=false", "bench", key], check=True,
                    capture_output=True)
            deadline = time.monotonic() + 10
            got = {}
            while len(got) < N - 1 and time.monotonic() < deadline:
                for i in range(2, N + 1):
                    if i not in got:
                        t = received(i, key)
                        if t is not None:
                            got[i] = t
                time.sleep(0.005)
            if len(got) < N - 1:
                missed.append(key)  # serf repairs it only at a later push/pull
                continue
            prop.append(max(got.values()) - t_send)
        print("serf:    user event (serf event on node1) -> handler ran on all %d others: %s" %
              (N - 1, summary(prop)))
        print("serf:    events that had not reached every node after 10 s: %d of %d" %
              (len(missed), CHANGES))
        detect = []
        for r in range(KILLS):
            victim = procs[-1]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            t_kill = time.time()
            deadline = time.monotonic() + 60
            seen = {}
            while len(seen) < N - 1 and time.monotonic() < deadline:
                for i in range(1, N):
                    if i in seen:
                        continue
                    for line in logs[i - 1].read_text().splitlines():
                        p = line.split()
                        if len(p) == 3 and p[0] == "member-failed" and p[1] == "serf%d" % N \
                                and float(p[2]) > t_kill:
                            seen[i] = float(p[2])
                time.sleep(0.02)
            if len(seen) < N - 1:
                raise RuntimeError("serf failure not detected")
            detect.append(max(seen.values()) - t_kill)
            argv = ["serf", "agent", "-node", "serf%d" % N, "-bind", "%s:7946" % lab.ip(N),
                    "-rpc-addr", "127.0.0.1:7373", "-log-level", "warn", "-event-handler",
                    "%s %s" % (handler, logs[-1]), "-retry-join", "%s:7946" % lab.ip(1),
                    "-retry-interval", "1s"]
            procs[-1] = lab.popen(N, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait(lambda: all(members_alive(i) == N for i in range(1, N + 1)), 30, 0.2)
        print("serf:    SIGKILL -> member-failed on all others (failure detection): %s" %
              ", ".join("%.2f s" % d for d in detect) + " (median %.2f s)" %
              statistics.median(detect))

        def events_after(kind, member, t0):
            seen = {}
            for i in range(1, N):
                for line in logs[i - 1].read_text().splitlines():
                    p = line.split()
                    if len(p) == 3 and p[0] == kind and p[1] == member and float(p[2]) > t0:
                        seen.setdefault(i, float(p[2]))
            return seen

        heal = []
        for r in range(CUTS):
            lab.cut(N)
            t_cut = time.time()
            deadline = time.monotonic() + 60
            while len(events_after("member-failed", "serf%d" % N, t_cut)) < N - 1:
                if time.monotonic() > deadline:
                    raise RuntimeError("serf partition not detected")
                time.sleep(0.05)
            time.sleep(max(0.0, CUT_S - (time.time() - t_cut)))
            lab.heal(N)
            t_heal = time.time()
            deadline = time.monotonic() + 90
            while True:
                seen = events_after("member-join", "serf%d" % N, t_heal)
                if len(seen) == N - 1:
                    heal.append(max(seen.values()) - t_heal)
                    break
                if time.monotonic() > deadline:
                    heal.append(float("nan"))
                    break
                time.sleep(0.02)
        print("serf:    %.0f s partition of one node healed -> member-join on all others: %s" %
              (CUT_S, ", ".join("%.2f s" % d for d in heal)))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        lab.close()


print("== %d namespaced hosts, %d changes, %d kills; %s" % (N, CHANGES, KILLS, JOYRIDE))
joyride_bench()
serf_bench()
shutil.rmtree(work, ignore_errors=True)
EOF

if [ "${SKIP_SIM:-0}" != 1 ] && [ -x "$SWIMSIM" ]; then
  echo "== simulator (virtual time): user broadcasts (a record change each) reaching every node"
  for n in 100 1000; do
    "$SWIMSIM" broadcast "$n" 2>&1 | tail -n 3
  done
fi
