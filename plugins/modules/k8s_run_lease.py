#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_run_lease
short_description: One converging run at a time - take, keep and give back a Lease that names the run
version_added: 0.3.0
description:
  - With O(state=acquired), takes the C(coordination.k8s.io/v1) Lease O(namespace)/O(name) for O(holder)
    before the run writes anything - creates it, renews it when the holder already holds it, or takes it over
    when nobody holds it or its holder stopped renewing it for longer than O(lease_seconds).
  - While another run holds it, waits at most O(wait_timeout) seconds, then fails naming the holder, since
    when it holds the Lease and when its hold ends unless renewed.
  - The Lease is written with its resourceVersion, so of two runs that take it at the same moment only one
    wins; the other reads it again and waits.
  - When the module runs inside the task's worker process (every krci.platform inventory host), a detached
    process renews the Lease every third of O(lease_seconds) while the ansible-playbook process lives, and
    gives it back when the run has ended or was killed; if that process is killed too, the Lease expires
    after O(lease_seconds).
  - With O(state=released), gives the Lease back when O(holder) holds it.
  - The Lease is the run's own bookkeeping, not platform state - the task never reports C(changed). Check
    mode writes nothing and takes no Lease (the playbooks skip it in check mode).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  state:
    description: Take (and keep) the Lease, or give it back.
    type: str
    choices: [acquired, released]
    default: acquired
  holder:
    description: Who runs - user, controller host, process, playbook and start time, as operators should read it.
    type: str
    required: true
  namespace:
    description: Namespace of the Lease.
    type: str
    default: kube-system
  name:
    description: Name of the Lease.
    type: str
    default: krci-platform-run
  lease_seconds:
    description: How long a hold lasts without renewal (a run killed with its renewer blocks the next no longer).
    type: int
    default: 60
  wait_timeout:
    description: How long to wait while another run holds the Lease.
    type: int
    default: 600
attributes:
  check_mode:
    description: In check mode nothing is written and no Lease is taken; the current holder is returned.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Take the run's Lease on the platform cluster before anything is written
  krci.platform.k8s_run_lease:
    kubeconfig: /etc/krci/platform.kubeconfig
    holder: "ops@controller pid 4242 playbooks/separated.yml 2026-12-03T00:00:00Z"
    wait_timeout: 900
  when: not ansible_check_mode

- name: Give it back at the end
  krci.platform.k8s_run_lease:
    kubeconfig: /etc/krci/platform.kubeconfig
    holder: "ops@controller pid 4242 playbooks/separated.yml 2026-12-03T00:00:00Z"
    state: released
"""

RETURN = r"""
holder:
  description: The holder of the Lease after the task (none after a release).
  returned: always
  type: str
previous_holder:
  description: Whose hold this run took over (it had ended or expired); none when the Lease was free or new.
  returned: with O(state=acquired)
  type: str
waited:
  description: Seconds spent waiting for another run.
  returned: with O(state=acquired)
  type: float
renewer_pid:
  description: The process that keeps the Lease renewed (none when the module ran as its own process).
  returned: with O(state=acquired)
  type: int
released:
  description: Whether this task gave the Lease back.
  returned: with O(state=released)
  type: bool
api_url:
  description: The API server that holds the Lease.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC
from ansible_collections.krci.platform.plugins.module_utils._run_lease import RunLease, start_renewer


def main(module_class=AnsibleModule):
    argument_spec = dict(
        state=dict(type="str", choices=["acquired", "released"], default="acquired"),
        holder=dict(type="str", required=True),
        namespace=dict(type="str", default="kube-system"),
        name=dict(type="str", default="krci-platform-run"),
        lease_seconds=dict(type="int", default=60),
        wait_timeout=dict(type="int", default=600),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    params = module.params
    if params["lease_seconds"] < 10:
        module.fail_json(msg="lease_seconds must be at least 10 (got %d)" % params["lease_seconds"])
    client = None
    try:
        client = _kube.KubeClient(params["kubeconfig"], params["context"])
        lease = RunLease(client, params["namespace"], params["name"], params["holder"], params["lease_seconds"])
        if module.check_mode:
            current = ((lease.read() or {}).get("spec") or {}).get("holderIdentity")
            module.exit_json(changed=False, holder=current, api_url=client.api_url)
        if params["state"] == "released":
            released = lease.release()
            module.exit_json(changed=False, released=released, holder=None if released else params["holder"],
                             api_url=client.api_url)
        _taken, waited, previous = lease.acquire(params["wait_timeout"])
        # Inside the worker process (in-process module), the run is this process's parent; a module process
        # has no such parent to watch, and its Lease simply expires after lease_seconds without renewal.
        owner = getattr(module, "run_pid", None)
        renewer = start_renewer(params["kubeconfig"], params["context"], params["namespace"], params["name"],
                                params["holder"], params["lease_seconds"], owner) if owner else None
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc), api_url=client.api_url if client else None)
    module.exit_json(changed=False, holder=params["holder"], previous_holder=previous, waited=waited,
                     renewer_pid=renewer, api_url=client.api_url)


if __name__ == "__main__":
    main()
