"""One run at a time: the Lease is taken, waited for, taken over after expiry, renewed and given back."""

import copy
import datetime

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _run_lease
from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError
from ansible_collections.krci.platform.plugins.module_utils._kube_client import ApiError, Resource


class _Api:
    """A Lease store with the API server's optimistic concurrency (resourceVersion, 409 on a stale write)."""

    def __init__(self):
        self.lease, self.version, self.writes = None, 0, 0
        self.race = None  # a write another run sends just before ours

    def request(self, method, path, body=None, **_kwargs):
        if self.race is not None:
            race, self.race = self.race, None
            self.request("PUT" if self.lease else "POST", path, body=race)
        stale = self.lease is not None and method == "PUT" and \
            body["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]
        if (method == "POST" and self.lease is not None) or stale:
            raise ApiError(409, "Conflict", "{}")
        self.version += 1
        self.writes += 1
        self.lease = copy.deepcopy(body)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.lease)


class _Client:
    api_url = "https://platform"
    on_retry = None

    def __init__(self):
        self.api = _Api()

    def resource(self, api_version, kind, wait_seconds=0):
        return Resource(api_version, kind, "leases", True)

    def get(self, resource, name, namespace):
        return copy.deepcopy(self.api.lease)


def lease(client, holder, duration=60):
    return _run_lease.RunLease(client, "kube-system", "krci-platform-run", holder, duration)


def held(holder, seconds_ago, duration=60):
    renewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "krci-platform-run", "namespace": "kube-system", "resourceVersion": "1"},
            "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                     "acquireTime": _run_lease._stamp(renewed), "renewTime": _run_lease._stamp(renewed)}}


def test_a_free_lease_is_created_renewed_and_given_back():
    client = _Client()
    taken, waited, previous = lease(client, "run a").acquire(wait_timeout=0, clock=lambda: 7.0)
    assert taken["spec"]["holderIdentity"] == "run a" and waited == 0 and previous is None
    assert lease(client, "run a").renew() is True
    assert lease(client, "run b").renew() is False and lease(client, "run b").release() is False
    assert lease(client, "run a").release() is True
    assert client.api.lease["spec"].get("holderIdentity") is None
    assert lease(client, "run b").acquire(wait_timeout=0)[0]["spec"]["holderIdentity"] == "run b"


def test_a_held_lease_is_waited_for_then_the_holder_is_named():
    client = _Client()
    client.api.lease = held("ops@ci separated run x", seconds_ago=5)
    sleeps = []
    clock = iter(range(0, 100, 3))
    expected = (r"another run converges this platform: ops@ci separated run x holds "
                r"Lease kube-system/krci-platform-run on https://platform since")
    with pytest.raises(KubeError, match=expected):
        lease(client, "run b").acquire(wait_timeout=10, sleep=sleeps.append, clock=lambda: next(clock))
    assert sleeps and client.api.writes == 0


def test_an_expired_hold_is_taken_over_and_the_previous_holder_said():
    client = _Client()
    client.api.lease = held("killed run", seconds_ago=120)
    taken, _waited, previous = lease(client, "run b").acquire(wait_timeout=0)
    assert previous == "killed run" and taken["spec"]["holderIdentity"] == "run b"
    assert taken["spec"]["leaseTransitions"] == 1


def test_of_two_runs_taking_it_at_once_only_one_wins():
    client = _Client()
    client.api.race = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": "krci-platform-run", "namespace": "kube-system"},
                       "spec": {"holderIdentity": "run a", "leaseDurationSeconds": 60,
                                "renewTime": _run_lease._stamp(datetime.datetime.now(datetime.timezone.utc))}}
    with pytest.raises(KubeError, match="run a holds"):
        lease(client, "run b").acquire(wait_timeout=0, sleep=lambda s: None)
    assert client.api.lease["spec"]["holderIdentity"] == "run a"


def test_the_renewer_gives_the_lease_back_when_the_run_has_gone():
    client = _Client()
    mine = lease(client, "run a")
    mine.acquire(wait_timeout=0)
    alive = iter([True, True, False])
    _run_lease.keep_renewed(mine, 4242, 0, lambda pid: next(alive), sleep=lambda s: None)
    assert client.api.lease["spec"].get("holderIdentity") is None
    assert client.api.writes == 4  # taken, renewed twice, given back


def test_the_renewer_stops_once_the_lease_is_no_longer_the_runs():
    client = _Client()
    mine = lease(client, "run a")
    mine.acquire(wait_timeout=0)
    mine.release()
    writes = client.api.writes
    _run_lease.keep_renewed(mine, 4242, 0, lambda pid: True, sleep=lambda s: None)
    assert client.api.writes == writes


def test_a_write_that_keeps_conflicting_stops_after_a_bounded_number_of_tries():
    """renew and release re-read after a 409 and write again, but not forever."""
    client = _Client()
    run = lease(client, "run a")
    run.acquire(0)

    def always_conflict(method, path, body=None, **_kwargs):
        raise ApiError(409, "Conflict", "")

    client.api.request = always_conflict
    with pytest.raises(KubeError, match="5 writes in a row were refused as conflicts"):
        run.renew()
    with pytest.raises(KubeError, match="5 writes in a row were refused as conflicts"):
        run.release()


def test_a_failing_api_server_is_retried_before_the_lease_write_gives_up(monkeypatch):
    client = _Client()
    run = lease(client, "run a")
    answers = [ApiError(503, "Service Unavailable", ""), ApiError(503, "Service Unavailable", "")]
    real = client.api.request

    def flaky(method, path, body=None, **kwargs):
        if answers:
            raise answers.pop(0)
        return real(method, path, body=body, **kwargs)

    client.api.request = flaky
    monkeypatch.setattr(_run_lease.time, "sleep", lambda seconds: None)
    taken, _waited, _previous = run.acquire(0)
    assert taken["spec"]["holderIdentity"] == "run a" and answers == []
