"""Progress lines: every long step says component, step and elapsed time."""

import sys
import threading
import time


class Step:
    """Context manager that prints start/end lines and a heartbeat while a long step runs."""

    def __init__(self, component, step, heartbeat=30.0):
        self.component = component
        self.step = step
        self.heartbeat = heartbeat
        self._stop = threading.Event()
        self._thread = None
        self.start = None

    def elapsed(self):
        return time.monotonic() - self.start

    def _beat(self):
        while not self._stop.wait(self.heartbeat):
            say(self.component, "%s ... still running (%ds)" % (self.step, self.elapsed()))

    def __enter__(self):
        self.start = time.monotonic()
        say(self.component, self.step)
        if self.heartbeat:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._stop.set()
        if self._thread:
            self._thread.join()
        outcome = "done" if exc_type is None else "FAILED"
        say(self.component, "%s %s in %.1fs" % (self.step, outcome, self.elapsed()))
        return False


def say(component, message):
    sys.stderr.write("[sandbox] %-10s %s\n" % (component, message))
    sys.stderr.flush()
