"""The one process wrapper the integration harnesses derive from (conftest.Node, netns.NsNode,
test_docker.PrivateDockerd, test_swim_serf.Serf/Swim, test_swim_memberlist.GoPeer).

A Proc starts one child with its output captured in a log file (stderr into the same file, or
into a file of its own), and stops it by PID: a signal, a bounded wait, SIGKILL past the timeout,
always reaped. Every Proc still running when the test process exits is killed (atexit), so a
harness that fails half-way (an exception in a constructor, a fixture that never ran its
teardown) leaves nothing behind. A Proc may be started again after it stopped (a restart); each
start opens the log file given to it.
"""

import atexit
import os
import signal
import subprocess
import weakref
from pathlib import Path

_running = weakref.WeakSet()


class Proc:
    """One child process. Subclasses set STOP_SIGNAL / STOP_TIMEOUT (how stop() ends it by
    default) and may override _spawn (e.g. to run it inside a network namespace)."""

    STOP_SIGNAL = signal.SIGTERM
    STOP_TIMEOUT = 10.0

    proc = None  # the subprocess.Popen of the current (or last) start
    log_path = None
    err_path = None
    _log = None
    _err = None

    def _spawn(self, argv, **kw):
        return subprocess.Popen(argv, **kw)

    def start_proc(self, argv, log_path, err_path=None, env=None, cwd=None,
                   stdin=subprocess.DEVNULL, append=False, new_session=False):
        """Starts argv with stdout in log_path and stderr in err_path (None: in log_path too).
        Returns the Popen. Refuses to start while the previous start is still running."""
        if self.alive():
            raise RuntimeError("%s is already running (pid %d)" % (type(self).__name__, self.pid))
        self._close_logs()
        mode = "ab" if append else "wb"
        self.log_path = Path(log_path)
        self.err_path = Path(err_path) if err_path is not None else None
        self._log = open(self.log_path, mode)
        self._err = open(self.err_path, mode) if self.err_path is not None else None
        try:
            self.proc = self._spawn([str(a) for a in argv], env=env,
                                    cwd=str(cwd) if cwd is not None else None,
                                    stdout=self._log,
                                    stderr=self._err if self._err else subprocess.STDOUT,
                                    stdin=stdin, start_new_session=new_session)
        except BaseException:
            self._close_logs()
            raise
        _running.add(self)
        return self.proc

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    @property
    def returncode(self):
        return self.proc.poll() if self.proc is not None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        """Sends sig to the process by PID (nothing when it has already exited)."""
        if self.alive():
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout=None):
        """Waits for the exit and returns the exit code (subprocess.TimeoutExpired past
        timeout)."""
        if self.proc is None:
            return None
        rc = self.proc.wait(timeout=timeout)
        _running.discard(self)
        return rc

    def kill(self):
        """SIGKILL by PID and reap; the log files stay open (the test may read them, or
        restart)."""
        if self.proc is None:
            return None
        self.send_signal(signal.SIGKILL)
        return self.wait()

    def stop(self, sig=None, timeout=None):
        """Signals the process (STOP_SIGNAL by default), waits up to timeout (STOP_TIMEOUT),
        kills it past that, reaps it, closes its log files; returns the exit code. Safe to call
        on a process that already exited or never started."""
        sig = self.STOP_SIGNAL if sig is None else sig
        timeout = self.STOP_TIMEOUT if timeout is None else timeout
        rc = None
        if self.proc is not None:
            self.send_signal(sig)
            try:
                rc = self.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                rc = self.kill()
            if self.proc.stdin:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
        self._close_logs()
        return rc

    def log(self):
        """Everything the process wrote to its log file so far."""
        return self._read(self.log_path)

    def log_tail(self, n=3000):
        return self.log()[-n:]

    def err_log(self):
        return self._read(self.err_path)

    @staticmethod
    def _read(path):
        if path is None:
            return ""
        try:
            return Path(path).read_text(errors="replace")
        except OSError:
            return ""

    def _close_logs(self):
        for f in (self._log, self._err):
            if f is not None and not f.closed:
                f.close()


@atexit.register
def _kill_leftovers():
    for p in list(_running):
        try:
            p.kill()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass
