# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Matches KEYCLOAK_CONNECTION_SPEC in plugins/module_utils/_keycloak_args.py.
    DOCUMENTATION = r"""
options:
  auth_keycloak_url:
    description: Keycloak's base URL, without C(/admin). Defaults to E(KEYCLOAK_URL).
    type: str
    required: true
  auth_realm:
    description: Realm of the admin account.
    type: str
    default: master
  auth_client_id:
    description: Client used to authenticate.
    type: str
    default: admin-cli
  auth_username:
    description: Admin user (password grant). Defaults to E(KEYCLOAK_ADMIN_USERNAME). Omit for client credentials.
    type: str
  auth_password:
    description: Admin password. Defaults to E(KEYCLOAK_ADMIN_PASSWORD).
    type: str
  auth_client_secret:
    description: Secret of O(auth_client_id), for the client credentials grant.
    type: str
  ca_path:
    description: CA bundle that signed Keycloak's certificate. Defaults to E(KEYCLOAK_CA_PATH).
    type: path
  validate_certs:
    description: Verify Keycloak's certificate. Turning it off is for throw-away test servers only.
    type: bool
    default: true
  timeout:
    description: Seconds per HTTP request.
    type: int
    default: 30
  retry_timeout:
    description:
      - Seconds one request keeps being retried while Keycloak does not answer or answers with a
        transient error (for example while it restarts), before the module fails naming the server.
    type: int
    default: 180
requirements:
  - requests (Python library)
"""
