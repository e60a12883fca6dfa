# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec shared by the Keycloak modules (doc fragment: keycloak_connection). For internal collection use only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback
from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakClient
from ansible_collections.krci.platform.plugins.module_utils._retry import warn_on_retry

KEYCLOAK_CONNECTION_SPEC = dict(
    auth_keycloak_url=dict(type="str", required=True, no_log=False, fallback=(env_fallback, ["KEYCLOAK_URL"])),
    auth_realm=dict(type="str", default="master"),
    auth_client_id=dict(type="str", default="admin-cli"),
    auth_username=dict(type="str", fallback=(env_fallback, ["KEYCLOAK_ADMIN_USERNAME"])),
    auth_password=dict(type="str", no_log=True, fallback=(env_fallback, ["KEYCLOAK_ADMIN_PASSWORD"])),
    auth_client_secret=dict(type="str", no_log=True),
    ca_path=dict(type="path", fallback=(env_fallback, ["KEYCLOAK_CA_PATH"])),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="int", default=30),
    retry_timeout=dict(type="int", default=180),
)
KEYCLOAK_CONNECTION_RULES = dict(required_one_of=[("auth_username", "auth_client_secret")],
                                 required_together=[("auth_username", "auth_password")])


def client_from_params(module):
    """The admin API client of a module's connection options; retries are reported as warnings."""
    params = module.params
    verify = params["ca_path"] or True if params["validate_certs"] else False
    return KeycloakClient(
        params["auth_keycloak_url"], params["auth_realm"], params["auth_client_id"], params["auth_username"],
        params["auth_password"], params["auth_client_secret"], verify=verify, timeout=params["timeout"],
        retry_timeout=params["retry_timeout"],
        on_retry=warn_on_retry(module.warn))
