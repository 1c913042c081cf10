"""Hosts directories reached through symlinks, and hostile hosts files, against the real binary:
a symlinked directory swapped the way deploys do it (`ln -s new tmp && mv -T tmp dir`, then
`ln -sfn`), deleted and recreated; the Kubernetes ConfigMap layout (keys are symlinks through a
`..data` symlink that is swapped atomically), watched at the mount point and at `..data`; a
directory moved away reported in one line; and a symlink to a /etc/passwd-like file of 10,000
garbage lines, a file name with control characters and an oversized file, which must each leave
only a few short, printable log lines."""

import os
import subprocess
import time

import dns.rcode
import pytest

from conftest import wait_until

LINE_MAX = 400  # longest log line accepted (the prefix, a path, a 64-character excerpt)
SWAP_BOUND_S = 1.0  # what the tests assert; the source reacts after its 15 ms coalescing


def answers(node, name):
    try:
        return node.addresses(name)
    except Exception:  # noqa: BLE001 - a timeout counts as "not yet"
        return None


def wait_answer(node, name, expected, timeout=5.0):
    """Polls until name answers exactly `expected` ([] = no address); returns the seconds."""
    t0 = time.monotonic()
    wait_until(lambda: answers(node, name) == expected, timeout=timeout, interval=0.002,
               what="%s -> %s" % (name, expected))
    return time.monotonic() - t0


def log_lines(node, needle):
    return [line for line in node.log().splitlines() if needle in line]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_symlinked_directory_swapped_deleted_recreated(joyride, tmp_path):
    base = tmp_path / "deploy"
    r1, r2 = base / "releases" / "r1", base / "releases" / "r2"
    write(r1 / "f", "127.0.10.1 old.links.test\n127.0.10.3 both.links.test\n")
    write(r2 / "f", "127.0.10.2 new.links.test\n127.0.10.3 both.links.test\n")
    current = base / "current"
    subprocess.run(["ln", "-s", "releases/r1", str(current)], check=True)
    node = joyride(env={"HOSTS_DIRECTORY": str(current)})
    assert node.addresses("old.links.test") == ["127.0.10.1"]
    assert node.addresses("new.links.test") == []

    # The deploy: a new link beside the old one, renamed over it.
    subprocess.run(["ln", "-s", "releases/r2", str(base / "current.tmp")], check=True)
    t0 = time.monotonic()
    subprocess.run(["mv", "-T", str(base / "current.tmp"), str(current)], check=True)
    both_missing = 0
    while answers(node, "new.links.test") != ["127.0.10.2"]:
        assert time.monotonic() - t0 < 5.0, "new.links.test never answered:\n" + node.log()
        both_missing += answers(node, "both.links.test") != ["127.0.10.3"]
        time.sleep(0.002)
    took = time.monotonic() - t0
    print("mv -T to new names answered: %.1f ms" % (took * 1000))
    assert took < SWAP_BOUND_S
    assert both_missing == 0  # a name in both releases never stops resolving
    wait_answer(node, "old.links.test", [])
    moved = log_lines(node, "now points to")
    assert len(moved) == 1 and str(r2) in moved[0] and str(r1) in moved[0], moved

    # The new target is watched, the old one no longer.
    write(r1 / "stale", "127.0.10.9 stale.links.test\n")
    write(r2 / "g", "127.0.10.4 added.links.test\n")
    wait_answer(node, "added.links.test", ["127.0.10.4"])
    assert node.addresses("stale.links.test") == []

    # The other idiom, ln -sfn, back to the first release.
    subprocess.run(["ln", "-sfn", "releases/r1", str(current)], check=True)
    wait_answer(node, "old.links.test", ["127.0.10.1"])
    wait_answer(node, "stale.links.test", ["127.0.10.9"])
    wait_answer(node, "added.links.test", [])
    assert len(log_lines(node, "now points to")) == 2

    # The link deleted: its names are withdrawn with one line; recreated: served again.
    current.unlink()
    wait_answer(node, "old.links.test", [])
    assert node.addresses("both.links.test") == []
    wait_until(lambda: log_lines(node, "is gone"), timeout=5.0, what="the 'is gone' line")
    wait_until(lambda: node.json("/status")[1]["hosts_monitor"]["running"] is False,
               timeout=5.0, what="hosts_monitor.running false")
    subprocess.run(["ln", "-s", "releases/r2", str(current)], check=True)
    wait_answer(node, "new.links.test", ["127.0.10.2"])
    assert len(log_lines(node, "is gone")) == 1
    assert node.json("/status")[1]["hosts_monitor"]["running"] is True
    assert node.alive()


def test_symlinked_directory_target_appears_later(joyride, tmp_path):
    """A link to a directory that does not exist yet, then the directory made beside it."""
    link = tmp_path / "hosts"
    os.symlink("hA", link)
    node = joyride(env={"HOSTS_DIRECTORY": str(link)})
    assert node.json("/status")[1]["hosts_monitor"]["running"] is False
    write(tmp_path / "hA" / "f", "127.0.10.20 late.links.test\n")
    wait_answer(node, "late.links.test", ["127.0.10.20"])


def test_directory_moved_away_logs_once(joyride, tmp_path):
    """A plain directory moved away: its records are withdrawn with one warning (not one line per
    file), and it is picked up again when it is back."""
    node = joyride(hosts={"f%d" % i: "127.0.10.%d gone%d.links.test\n" % (30 + i, i)
                          for i in range(3)})
    hdir = tmp_path / "hosts-0"
    mark = len(node.log().splitlines())
    os.rename(hdir, tmp_path / "parked")
    for i in range(3):
        wait_answer(node, "gone%d.links.test" % i, [])
    os.rename(tmp_path / "parked", hdir)
    wait_answer(node, "gone0.links.test", ["127.0.10.30"])
    lines = [x for x in node.log().splitlines()[mark:] if str(hdir) in x and "INFO" not in x
             and "DEBUG" not in x]
    assert len(lines) == 1 and "withdrawing the records of 3 files" in lines[0], lines


def configmap_update(cfg, stamp, files, old_stamp):
    """What the kubelet's atomic writer does: a new timestamped directory, a `..data_tmp`
    symlink to it renamed over `..data`, links for new keys, old keys' links removed, the old
    directory deleted."""
    ts = cfg / stamp
    for name, text in files.items():
        write(ts / name, text)
    os.symlink(stamp, cfg / "..data_tmp")
    os.rename(cfg / "..data_tmp", cfg / "..data")
    for name in files:
        if not os.path.lexists(cfg / name):
            os.symlink(os.path.join("..data", name), cfg / name)
    for entry in os.listdir(cfg):
        if not entry.startswith("..") and entry not in files:
            os.unlink(cfg / entry)
    if old_stamp:
        subprocess.run(["rm", "-rf", str(cfg / old_stamp)], check=True)


@pytest.mark.parametrize("watch", ["mount", "data"])
def test_configmap_data_swap(joyride, tmp_path, watch):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    configmap_update(cfg, "..2026_12_02_10_00_00.1", {
        "hosts": "127.0.11.1 cm.links.test\n127.0.11.5 kept.links.test\n",
        "extra": "127.0.11.2 extra.links.test\n",
    }, None)
    hdir = cfg if watch == "mount" else cfg / "..data"
    node = joyride(env={"HOSTS_DIRECTORY": str(hdir)})
    assert node.addresses("cm.links.test") == ["127.0.11.1"]
    assert node.addresses("extra.links.test") == ["127.0.11.2"]

    t0 = time.monotonic()
    configmap_update(cfg, "..2026_12_02_10_05_00.2", {
        "hosts": "127.0.11.3 cm.links.test\n127.0.11.5 kept.links.test\n",
        "added": "127.0.11.4 added.links.test\n",
    }, "..2026_12_02_10_00_00.1")
    wait_answer(node, "cm.links.test", ["127.0.11.3"])
    wait_answer(node, "added.links.test", ["127.0.11.4"])
    wait_answer(node, "extra.links.test", [])
    print("ConfigMap (%s) update to all answers: %.1f ms" % (watch, (time.monotonic() - t0) * 1000))
    assert node.addresses("kept.links.test") == ["127.0.11.5"]

    # A second update (content only, the same keys).
    configmap_update(cfg, "..2026_12_02_10_10_00.3", {
        "hosts": "127.0.11.6 cm.links.test\n",
        "added": "127.0.11.4 added.links.test\n",
    }, "..2026_12_02_10_05_00.2")
    wait_answer(node, "cm.links.test", ["127.0.11.6"])
    wait_answer(node, "kept.links.test", [])
    assert node.addresses("added.links.test") == ["127.0.11.4"]
    # Nothing from the timestamped directories' own names is ever served as a file.
    status = node.json("/status")[1]["hosts_monitor"]
    assert status["files"] == 2 and status["running"] is True, status


def garbage(n):
    """n lines of a passwd-like file with terminal escapes, control bytes, invalid UTF-8 and
    long fields."""
    lines = []
    for i in range(n):
        lines.append(b"user%d:x:%d:%d:\x1b[2J\x1b]0;owned\x07 gecos \x01\xfe\xff:/home/u:/bin/sh %s"
                     % (i, i, i, b"z" * 300))
    return b"\n".join(lines) + b"\n"


def assert_log_clean(node):
    raw = node.log_path.read_bytes()
    for line in raw.split(b"\n"):
        assert len(line) <= LINE_MAX, line[:200]
        assert all(0x20 <= c < 0x7f for c in line), line[:200]


def test_hostile_files_leave_short_logs(joyride, tmp_path):
    hdir = tmp_path / "hosts"
    write(hdir / "good", "127.0.12.1 good.links.test\n")
    junk = tmp_path / "passwd"
    junk.write_bytes(garbage(10000))
    os.symlink(junk, hdir / "passwd")
    node = joyride(env={"HOSTS_DIRECTORY": str(hdir)})
    assert node.addresses("good.links.test") == ["127.0.12.1"]
    about = log_lines(node, "%s/passwd" % hdir)
    print("log lines about a 10,000-line garbage file: %d (%d bytes)"
          % (len(about), sum(len(x) + 1 for x in about)))
    assert 6 <= len(about) <= 8, about
    assert ["%s/passwd:%d:" % (hdir, i) in about[i - 1] for i in range(1, 6)] == [True] * 5, about
    assert log_lines(node, "... and 9995 more invalid lines in %s/passwd" % hdir)
    assert log_lines(node, "%s/passwd: 0 records (10000 invalid lines skipped)" % hdir)

    # A file that appears later, with control characters in its name (a log line each, never a
    # line of its own for what follows the newline), and more garbage.
    evil = "evil\x1b[2J\nINJECTED line"
    (hdir / evil).write_bytes(garbage(3000))
    wait_until(lambda: log_lines(node, "%s/evil?[2J?INJECTED line: 0 records" % hdir),
               timeout=5.0, what="the garbage file with a hostile name loaded")
    assert 6 <= len(log_lines(node, "%s/evil?[2J?INJECTED line" % hdir)) <= 8
    assert not [x for x in node.log().splitlines() if x.startswith("INJECTED")]

    # Over the size cap (a sparse file): refused with one line, never read.
    with open(hdir / "huge", "wb") as f:
        f.truncate(17 << 20)
    (hdir / "marker").write_text("127.0.12.2 marker.links.test\n")
    wait_answer(node, "marker.links.test", ["127.0.12.2"])
    wait_until(lambda: log_lines(node, "%s/huge" % hdir), timeout=5.0, what="the huge file")
    huge = log_lines(node, "%s/huge" % hdir)
    assert len(huge) == 1 and "16 MiB" in huge[0], huge
    assert node.addresses("good.links.test") == ["127.0.12.1"]
    assert_log_clean(node)
    assert dns.rcode.NXDOMAIN == node.query("user1.links.test", "A").rcode()


def test_directory_of_junk_bounded(joyride, tmp_path):
    """Twenty junk files at once (a directory pointed at the wrong place): the per-line warnings
    of all files together stop at 50 a minute; each file still gets its one summary line."""
    hdir = tmp_path / "junk"
    hdir.mkdir()
    for i in range(20):
        (hdir / ("j%02d" % i)).write_bytes(garbage(100))
    node = joyride(env={"HOSTS_DIRECTORY": str(hdir)})
    per_line = [x for x in node.log().splitlines() if "line skipped" in x]
    summaries = log_lines(node, "... and 95 more invalid lines in %s/j" % hdir)
    print("20 junk files of 100 lines: %d per-line warnings, %d summaries"
          % (len(per_line), len(summaries)))
    assert len(per_line) == 50, per_line[-3:]
    assert len(summaries) == 20
    assert len(log_lines(node, "0 records (100 invalid lines skipped)")) == 20
    assert_log_clean(node)
