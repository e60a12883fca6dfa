"""The OpenShift stand-ins' loop (sandbox.openshift.step_on_change): a controller steps once at start, then only
when a watch reported a change (or at the resync), and a failed step is tried again."""

import threading
import time

from sandbox import openshift


class Cluster:
    name = "platform"


class Counting:
    def __init__(self, failures=0):
        self.cluster = Cluster()
        self.steps = []
        self.failures = failures

    def step(self):
        self.steps.append(time.monotonic())
        if self.failures:
            self.failures -= 1
            raise RuntimeError("409 Conflict")


def start(controller, wake, resync=60.0):
    thread = threading.Thread(target=openshift.step_on_change, args=(controller, wake),
                              kwargs={"settle": 0.01, "resync": resync}, daemon=True)
    thread.start()


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_controller_steps_at_start_and_then_only_on_a_change(capsys):
    controller, wake = Counting(), threading.Event()
    wake.set()
    start(controller, wake)
    assert wait_for(lambda: len(controller.steps) == 1)
    time.sleep(0.3)
    assert len(controller.steps) == 1, "stepped with nothing changed"
    wake.set()
    assert wait_for(lambda: len(controller.steps) == 2)
    time.sleep(0.3)
    assert len(controller.steps) == 2
    capsys.readouterr()


def test_a_controller_steps_at_the_resync_without_a_change():
    controller, wake = Counting(), threading.Event()
    start(controller, wake, resync=0.1)
    assert wait_for(lambda: len(controller.steps) >= 3, timeout=3)


def test_a_failed_step_is_logged_and_tried_again_without_a_change(capsys):
    controller, wake = Counting(failures=1), threading.Event()
    wake.set()
    start(controller, wake)
    assert wait_for(lambda: len(controller.steps) == 2, timeout=5)
    assert "platform [Counting] error: 409 Conflict" in capsys.readouterr().out
