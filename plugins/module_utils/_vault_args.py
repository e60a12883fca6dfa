# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec shared by the Vault modules (doc fragment: vault_connection). For internal collection use only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

VAULT_CONNECTION_SPEC = dict(
    url=dict(type="str", required=True, fallback=(env_fallback, ["VAULT_ADDR", "BAO_ADDR"])),
    ca_cert=dict(type="path", aliases=["cacert"], fallback=(env_fallback, ["VAULT_CACERT", "BAO_CACERT"])),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=30),
)


def client_from_params(module, vault):
    params = module.params
    verify = (params["ca_cert"] or True) if params["validate_certs"] else False
    return vault.VaultClient(params["url"], verify=verify, timeout=params["timeout"],
                             on_retry=lambda what, attempt, exc, delay: module.warn(
                                 "%s: attempt %d failed (%s); retrying in %.1fs" % (what, attempt, exc, delay)))
