"""Interop between swimmies-agent and a Go memberlist node built offline from Debian's
golang-github-hashicorp-memberlist-dev (GOPATH mode): join, push/pull user state both ways, user
messages over TCP (SendReliable) and UDP gossip (QueueBroadcast) both ways, encrypted with a
16-byte key, and crash detection of the Go node. Skipped when Go or the package is missing."""

import base64
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import free_port, unique_loopback, wait_until
from proc import Proc
from test_swim_serf import AGENT, Swim

GO = shutil.which("go")
GOPATH_SYS = Path("/usr/share/gocode")
MEMBERLIST = GOPATH_SYS / "src" / "github.com" / "hashicorp" / "memberlist"

pytestmark = [
    pytest.mark.skipif(GO is None or not MEMBERLIST.exists(),
                       reason="go or golang-github-hashicorp-memberlist-dev missing"),
    pytest.mark.skipif(not AGENT.exists(), reason="swimmies-agent is not built"),
]

PEER_GO = r'''
package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/memberlist"
)

var out sync.Mutex

func say(f string, a ...interface{}) {
	out.Lock()
	fmt.Printf(f+"\n", a...)
	out.Unlock()
}

type bc struct{ msg []byte }

func (b *bc) Invalidates(other memberlist.Broadcast) bool { return false }
func (b *bc) Message() []byte                             { return b.msg }
func (b *bc) Finished()                                   {}

type del struct {
	q     *memberlist.TransmitLimitedQueue
	state string
}

func (d *del) NodeMeta(limit int) []byte                  { return nil }
func (d *del) NotifyMsg(b []byte)                         { say("user %s", string(b)) }
func (d *del) GetBroadcasts(overhead, limit int) [][]byte { return d.q.GetBroadcasts(overhead, limit) }
func (d *del) LocalState(join bool) []byte                { return []byte(d.state) }
func (d *del) MergeRemoteState(buf []byte, join bool)     { say("state %s", string(buf)) }

type ev struct{}

func (e *ev) NotifyJoin(n *memberlist.Node)   { say("join %s", n.Name) }
func (e *ev) NotifyLeave(n *memberlist.Node)  { say("leave %s", n.Name) }
func (e *ev) NotifyUpdate(n *memberlist.Node) { say("update %s", n.Name) }

func main() {
	name := flag.String("name", "gonode", "")
	bind := flag.String("bind", "127.0.0.1", "")
	port := flag.Int("port", 7946, "")
	join := flag.String("join", "", "")
	key := flag.String("key", "", "")
	flag.Parse()
	c := memberlist.DefaultLANConfig()
	c.Name = *name
	c.BindAddr = *bind
	c.BindPort = *port
	c.AdvertiseAddr = *bind
	c.AdvertisePort = *port
	c.DelegateProtocolMin = 2
	c.DelegateProtocolMax = 5
	c.DelegateProtocolVersion = 4
	c.LogOutput = os.Stderr
	if *key != "" {
		k, err := base64.StdEncoding.DecodeString(*key)
		if err != nil {
			panic(err)
		}
		c.SecretKey = k
	}
	d := &del{state: "go-state"}
	c.Delegate = d
	c.Events = &ev{}
	m, err := memberlist.Create(c)
	if err != nil {
		panic(err)
	}
	d.q = &memberlist.TransmitLimitedQueue{NumNodes: m.NumMembers, RetransmitMult: 4}
	if *join != "" {
		if _, err := m.Join([]string{*join}); err != nil {
			say("joinerror %v", err)
		}
	}
	say("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		switch f[0] {
		case "reliable":
			for _, n := range m.Members() {
				if n.Name == f[1] {
					if err := m.SendReliable(n, []byte(f[2])); err != nil {
						say("senderror %v", err)
					}
				}
			}
		case "broadcast":
			d.q.QueueBroadcast(&bc{[]byte(f[1])})
		}
	}
	select {}
}
'''


@pytest.fixture(scope="module")
def go_peer(tmp_path_factory):
    work = tmp_path_factory.mktemp("gopeer")
    src = work / "go" / "src" / "mlpeer"
    src.mkdir(parents=True)
    (src / "main.go").write_text(PEER_GO)
    env = dict(os.environ, GO111MODULE="off", GOPATH="%s:%s" % (GOPATH_SYS, work / "go"),
               GOPROXY="off", GOCACHE=str(work / "cache"))
    env.pop("GOFLAGS", None)
    binary = work / "mlpeer"
    res = subprocess.run([GO, "build", "-o", str(binary), "."], cwd=src, env=env,
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        pytest.skip("cannot build the Go memberlist peer offline: " + res.stderr[-500:])
    return binary


class GoPeer(Proc):
    """The Go memberlist peer: lines on stdout, commands on stdin; stop() kills it."""

    STOP_SIGNAL = signal.SIGKILL
    STOP_TIMEOUT = 5.0

    def __init__(self, binary, tmp, addr, join, key=None):
        self.port = free_port(addr)
        self.addr = addr
        self.out_path = Path(tmp) / "gopeer.out"
        args = [str(binary), "-name", "gonode", "-bind", addr, "-port", str(self.port),
                "-join", join]
        if key:
            args += ["-key", key]
        self.start_proc(args, self.out_path, Path(tmp) / "gopeer.err", stdin=subprocess.PIPE)

    def lines(self):
        return self.out_path.read_text().splitlines()

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()



@pytest.mark.parametrize("keylen", [0, 16], ids=["plain", "aes128"])
def test_swim_memberlist_user_messages_and_state(tmp_path, go_peer, keylen):
    key = base64.b64encode(os.urandom(keylen)).decode() if keylen else None
    base = unique_loopback()
    s = Swim(tmp_path, "swim-1", base, keys=[key] if key else [],
             extra=["--state", "swim-state"])
    procs = [s]
    try:
        wait_until(lambda: s.members().get("swim-1") == "alive", timeout=10, what="swim up")
        g = GoPeer(go_peer, tmp_path, base, s.bind, key)
        procs.append(g)
        wait_until(lambda: "ready" in g.lines(), timeout=15, what="go peer joined")
        assert not any(line.startswith("joinerror") for line in g.lines()), g.lines()
        wait_until(lambda: s.members().get("gonode") == "alive", timeout=10,
                   what="swim sees gonode")
        wait_until(lambda: "join swim-1" in g.lines(), timeout=10, what="gonode sees swim-1")
        # push/pull user state both ways (the join)
        wait_until(lambda: "state swim-state" in g.lines(), timeout=10,
                   what="go merged our user state")
        wait_until(lambda: "state " + b"go-state".hex() in s.events(), timeout=10,
                   what="we merged go's user state")
        # user messages: Go -> swim over TCP and gossip
        g.command("reliable swim-1 go-reliable")
        g.command("broadcast go-broadcast")
        wait_until(lambda: "user " + b"go-reliable".hex() in s.events(), timeout=10,
                   what="reliable message from go")
        wait_until(lambda: "user " + b"go-broadcast".hex() in s.events(), timeout=10,
                   what="broadcast from go")
        # swim -> Go over gossip, TCP and UDP
        s.command("broadcast swim-broadcast")
        s.command("send gonode swim-reliable")
        s.command("sendudp gonode swim-udp")
        for text in ("swim-broadcast", "swim-reliable", "swim-udp"):
            wait_until(lambda: "user " + text in g.lines(), timeout=10, what=text + " at go")
        # the Go node crashes: swimmies marks it failed
        t0 = time.monotonic()
        g.kill()
        wait_until(lambda: s.members().get("gonode") == "failed", timeout=30,
                   what="swim marks gonode failed")
        assert time.monotonic() - t0 <= 12.0
    finally:
        for p in procs:
            p.stop()
