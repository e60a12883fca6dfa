# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A ServiceAccount's long-lived token Secret, rotated make-before-break. For internal collection use only.

The ServiceAccount's annotation ``krci.platform/token-secret`` names the Secret whose token is current (its own
name when there is none). ``issue`` makes a new token Secret and points the annotation at it, leaving the old one,
so the old token keeps working until its consumer has the new one; ``retire`` then deletes every other token
Secret of the ServiceAccount, and the API server refuses their tokens from then on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError
from ansible_collections.krci.platform.plugins.module_utils._rotation import MARK, TOKEN_SECRET_ANNOTATION, token_secret_name

TOKEN_TYPE = "kubernetes.io/service-account-token"
ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"
FIELD_MANAGER = "krci-platform-rotate"


def _resources(client):
    return client.resource("v1", "ServiceAccount"), client.resource("v1", "Secret")


def current_secret_name(account):
    """The name of the Secret whose token is current, from the ServiceAccount."""
    annotations = (account.get("metadata") or {}).get("annotations") or {}
    return annotations.get(TOKEN_SECRET_ANNOTATION) or account["metadata"]["name"]


def _account(client, accounts, namespace, name):
    account = client.get(accounts, name, namespace)
    if account is None:
        raise KubeError("ServiceAccount %s/%s does not exist on %s; converge the cluster first (its option playbook)"
                        % (namespace, name, client.api_url))
    return account


def issue(client, namespace, name, rotation_id, check_mode, wait_timeout=30, poll=0.5):
    """(changed, secret name): a token Secret made by rotation ``rotation_id``, current for ServiceAccount ``name``.

    Unchanged when the current Secret already carries this rotation. The new Secret's token is waited for (the
    token controller fills it) before the ServiceAccount names it, so a converge never hands over an empty one.
    """
    accounts, secrets = _resources(client)
    account = _account(client, accounts, namespace, name)
    current = client.get(secrets, current_secret_name(account), namespace)
    if current is not None and ((current["metadata"].get("annotations") or {}).get(MARK)) == rotation_id:
        return False, current["metadata"]["name"]
    new_name = token_secret_name(name, rotation_id)
    if check_mode:
        return True, new_name
    client.apply(secrets, {"apiVersion": "v1", "kind": "Secret", "type": TOKEN_TYPE, "metadata": {
        "name": new_name, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "krci-platform"},
        "annotations": {ACCOUNT_ANNOTATION: name, MARK: rotation_id}}}, FIELD_MANAGER, False, False)
    deadline = time.monotonic() + wait_timeout
    while not ((client.get(secrets, new_name, namespace) or {}).get("data") or {}).get("token"):
        if time.monotonic() >= deadline:
            raise KubeError("Secret %s/%s on %s: no token after %ss; is kube-controller-manager's token controller "
                            "running (--service-account-private-key-file)?" % (namespace, new_name, client.api_url,
                                                                               wait_timeout))
        time.sleep(poll)
    client.apply(accounts, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {
        "name": name, "namespace": namespace, "annotations": {TOKEN_SECRET_ANNOTATION: new_name}}},
        FIELD_MANAGER, True, False)
    return True, new_name


def retire(client, namespace, name, check_mode):
    """(retired names): every token Secret of ServiceAccount ``name`` but the current one, deleted."""
    accounts, secrets = _resources(client)
    keep = current_secret_name(_account(client, accounts, namespace, name))
    retired = sorted(s["metadata"]["name"] for s in client.list(secrets, namespace, None)
                     if s.get("type") == TOKEN_TYPE and s["metadata"]["name"] != keep
                     and (s["metadata"].get("annotations") or {}).get(ACCOUNT_ANNOTATION) == name)
    if not check_mode:
        for secret in retired:
            client.delete(secrets, secret, namespace)
    return retired
