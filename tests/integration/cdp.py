"""A minimal Chrome DevTools Protocol client for the status page tests, standard library only:
starts headless chromium with its debugging port on 127.0.0.1, speaks the WebSocket protocol to
the page target, evaluates JavaScript, and keeps every console message, uncaught exception and
log entry (failed resource loads such as a missing favicon) the page produced."""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request

import pytest


class Browser:
    def __init__(self, profile_dir, dark=False, size=(1280, 900)):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            pytest.skip("chromium is not installed (apt-get install chromium)")
        os.makedirs(profile_dir, exist_ok=True)
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--user-data-dir=%s" % profile_dir, "--window-size=%d,%d" % size, "about:blank"]
        if dark:
            args.insert(1, "--force-dark-mode")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.events = []
        self.next_id = 0
        self.sock = None
        try:
            self._connect(os.path.join(profile_dir, "DevToolsActivePort"))
        except Exception:
            self.close()
            raise

    def _connect(self, port_file):
        deadline = time.monotonic() + 30
        port = None
        while time.monotonic() < deadline and port is None:
            try:
                with open(port_file) as f:
                    port = int(f.readline())
            except (OSError, ValueError):
                time.sleep(0.05)
        assert port, "chromium did not open its debugging port"
        target = None
        while time.monotonic() < deadline and target is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=2) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                    target = pages[0]["webSocketDebuggerUrl"] if pages else None
            except OSError:
                time.sleep(0.05)
        assert target, "no page target in chromium"
        path = target.split("%d" % port, 1)[1]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            assert chunk, "websocket handshake closed"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head

    # --- WebSocket frames ---
    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            assert chunk, "websocket closed"
            out += chunk
        return out

    def _send(self, obj):
        data = json.dumps(obj).encode()
        head = bytes([0x81])
        n = len(data)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            payload = self._recv_exact(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise AssertionError("chromium closed the debugging connection")
            if opcode in (0, 1, 2):
                message += payload
                if b0 & 0x80:
                    return json.loads(message)

    # --- protocol ---
    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self._send({"id": my_id, "method": method, "params": params})
        while True:
            msg = self._recv()
            if msg.get("id") == my_id:
                assert "error" not in msg, (method, msg["error"])
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        assert "exceptionDetails" not in r, r["exceptionDetails"]
        return r["result"].get("value")

    def open(self, url):
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable")
        self.call("Page.navigate", url=url)

    def wait_for(self, expression, timeout=15.0):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError as e:  # the page is not there yet (still loading)
                value = e
            else:
                if value:
                    return value
            time.sleep(0.1)
        raise AssertionError("timed out waiting for %s (last: %r)" % (expression, value))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def problems(self):
        """Console errors and warnings, uncaught exceptions and error log entries so far."""
        self.evaluate("1")  # drain the events that arrived meanwhile
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append("console.%s: %s" % (p["type"], [a.get("value") for a in p.get("args", [])]))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                entry = p["entry"]
                out.append("log %s: %s %s" % (entry["level"], entry.get("text"), entry.get("url", "")))
        return out

    def close(self):
        if self.sock:
            self.sock.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
