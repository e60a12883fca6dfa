# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One converging run at a time: a coordination.k8s.io Lease on the platform cluster names the run.

For internal collection use only.

A run takes the Lease before it writes anything (creates it, or takes it over once its holder let it
go or stopped renewing it for longer than its duration), keeps it renewed while it runs, and lets it
go at the end. A second run waits, a bounded time, for the Lease, then stops naming the holder. The
Lease is written with its resourceVersion, so two runs that take it at the same moment cannot both
win: the loser's write is refused (409) and it reads the Lease again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import functools
import time

from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError, _is_connection_error, _reason
from ansible_collections.krci.platform.plugins.module_utils._kube_client import ApiError, NotFoundError
from ansible_collections.krci.platform.plugins.module_utils._retry import call_with_retry


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _stamp(moment):
    """A Lease's MicroTime."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value):
    if not value:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(value, pattern).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def expires_at(lease):
    """When a Lease's holder stops holding it unless renewed; None when nobody holds it."""
    spec = (lease or {}).get("spec") or {}
    if not spec.get("holderIdentity"):
        return None
    renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
    if renewed is None:
        return None
    return renewed + datetime.timedelta(seconds=int(spec.get("leaseDurationSeconds") or 0))


def held_by_another(lease, holder, now):
    """The other holder's identity when the Lease is held, unexpired, by someone else; else None."""
    spec = (lease or {}).get("spec") or {}
    other = spec.get("holderIdentity")
    if not other or other == holder:
        return None
    expiry = expires_at(lease)
    return other if expiry is not None and expiry > now else None


# A renew or release re-reads and writes again after a conflict, this many times at most.
CONFLICT_ATTEMPTS = 5


def _status_but_conflict(exc):
    """The HTTP status to retry on, but for 409: a Lease write that conflicts must be read again, not resent."""
    status = getattr(exc, "status", None)
    return None if status == 409 else status


class RunLease:
    """The Lease ``namespace/name`` on one cluster, taken and given back by ``holder``."""

    def __init__(self, client, namespace, name, holder, duration):
        self.client = client
        self.namespace = namespace
        self.name = name
        self.holder = holder
        self.duration = int(duration)
        self.resource = client.resource("coordination.k8s.io/v1", "Lease")
        self.path = self.resource.path(name, namespace)
        self.ref = "Lease %s/%s on %s" % (namespace, name, client.api_url)

    def read(self):
        return self.client.get(self.resource, self.name, self.namespace)

    def _body(self, lease, holder, now, taken):
        spec = dict((lease or {}).get("spec") or {})
        spec["holderIdentity"] = holder
        spec["leaseDurationSeconds"] = self.duration
        spec["renewTime"] = _stamp(now)
        if taken:
            spec["acquireTime"] = _stamp(now)
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (1 if lease else 0)
        metadata = {"name": self.name, "namespace": self.namespace,
                    "labels": {"app.kubernetes.io/part-of": "krci-platform"}}
        if lease:
            metadata["resourceVersion"] = lease["metadata"]["resourceVersion"]
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}

    def _write(self, lease, body):
        """The written Lease, or None when another writer changed it first (409: read it again).

        Connection errors, 429 and 5xx are retried with backoff; a 409 is the answer, not a fault."""
        if lease is None:
            call = functools.partial(self.client.api.request, "POST", self.resource.path(None, self.namespace), body=body)
        else:
            call = functools.partial(self.client.api.request, "PUT", self.path, body=body)
        try:
            return call_with_retry("write " + self.ref, call, _status_but_conflict, _is_connection_error,
                                   on_retry=self.client.on_retry)
        except NotFoundError:
            raise
        except ApiError as exc:
            if exc.status == 409:
                return None
            raise KubeError("write %s: %s; the kubeconfig's user needs create and update on leases in %s"
                            % (self.ref, _reason(exc), self.namespace))

    def acquire(self, wait_timeout, poll=2.0, sleep=time.sleep, clock=time.monotonic):
        """Take (or renew) the Lease; (lease, waited seconds, previous holder). Waits while another run holds it,
        at most ``wait_timeout`` seconds, then KubeError naming the holder and when its hold expires."""
        start = clock()
        while True:
            lease = self.read()
            now = _now()
            other = held_by_another(lease, self.holder, now)
            if other is None:
                previous = ((lease or {}).get("spec") or {}).get("holderIdentity")
                taken = previous != self.holder
                written = self._write(lease, self._body(lease, self.holder, now, taken))
                if written is not None:
                    return written, round(clock() - start, 1), previous if taken else None
                continue  # another run wrote it first: read again
            if clock() - start >= wait_timeout:
                spec = lease["spec"]
                raise KubeError(
                    "another run converges this platform: %s holds %s since %s (renewed %s, expires %s unless "
                    "renewed); waited %ss. Run again when it has finished; if it died, its hold ends at expiry"
                    % (other, self.ref, spec.get("acquireTime"), spec.get("renewTime"),
                       _stamp(expires_at(lease)), wait_timeout))
            sleep(poll)

    def renew(self):
        """Renew a Lease this holder holds; False when it no longer holds it (released, or taken over)."""
        for _attempt in range(CONFLICT_ATTEMPTS):
            lease = self.read()
            if ((lease or {}).get("spec") or {}).get("holderIdentity") != self.holder:
                return False
            if self._write(lease, self._body(lease, self.holder, _now(), False)) is not None:
                return True
        raise KubeError("renew %s: %d writes in a row were refused as conflicts (another writer keeps changing it)"
                        % (self.ref, CONFLICT_ATTEMPTS))

    def release(self):
        """Give the Lease back if this holder holds it (nobody holds it then); whether it was released."""
        for _attempt in range(CONFLICT_ATTEMPTS):
            lease = self.read()
            if ((lease or {}).get("spec") or {}).get("holderIdentity") != self.holder:
                return False
            body = self._body(lease, None, _now(), False)
            body["spec"].pop("holderIdentity")
            body["spec"]["renewTime"] = None
            try:
                if self._write(lease, body) is not None:
                    return True
            except NotFoundError:
                return False
        raise KubeError("release %s: %d writes in a row were refused as conflicts (another writer keeps changing it)"
                        % (self.ref, CONFLICT_ATTEMPTS))


def keep_renewed(lease, owner_pid, interval, alive, sleep=time.sleep, clock=time.monotonic, tick=1.0,
                 max_seconds=86400):
    """Renew ``lease`` every ``interval`` seconds while the process ``owner_pid`` (the ansible-playbook run)
    lives and the Lease is still its own; give it back as soon as the run has gone (ended or killed)."""
    start = clock()
    due = start + interval
    while clock() - start < max_seconds:
        sleep(min(tick, interval))
        if not alive(owner_pid):
            try:
                lease.release()
            except Exception:  # pylint: disable=broad-except
                pass  # the Lease expires on its own
            return
        if clock() < due:
            continue
        due = clock() + interval
        try:
            if not lease.renew():
                return  # released at the end of the run, or taken over after an expiry
        except Exception:  # pylint: disable=broad-except
            continue  # a blip of the API server: the next renewal comes before the Lease expires


def _alive(pid):
    import os  # pylint: disable=import-outside-toplevel

    try:
        os.kill(pid, 0)
        return True
    except OSError as exc:
        import errno  # pylint: disable=import-outside-toplevel

        return exc.errno == errno.EPERM


def start_renewer(kubeconfig, context, namespace, name, holder, duration, owner_pid):
    """A detached process that keeps the Lease renewed while ``owner_pid`` (the ansible-playbook run) lives
    and releases it when the run has gone; it stops by itself once the Lease is no longer the run's."""
    import os  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    # The directory that holds ansible_collections/ (this file is .../ansible_collections/krci/platform/plugins/...).
    root = os.path.abspath(__file__)
    for _level in range(6):
        root = os.path.dirname(root)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in sys.path if p]))
    argv = [sys.executable, "-m", "ansible_collections.krci.platform.plugins.module_utils._run_lease",
            kubeconfig or "", context or "", namespace, name, holder, str(duration), str(owner_pid)]
    with open(os.devnull, "r+b") as devnull:
        process = subprocess.Popen(argv, stdin=devnull, stdout=devnull, stderr=devnull, close_fds=True,
                                   start_new_session=True, env=env)
    return process.pid


def _renewer_main(argv):
    from ansible_collections.krci.platform.plugins.module_utils._kube import KubeClient  # pylint: disable=import-outside-toplevel

    kubeconfig, context, namespace, name, holder, duration, owner_pid = argv
    lease = RunLease(KubeClient(kubeconfig or None, context or None), namespace, name, holder, int(duration))
    keep_renewed(lease, int(owner_pid), max(1.0, int(duration) / 3.0), _alive)


if __name__ == "__main__":
    import sys

    _renewer_main(sys.argv[1:])
