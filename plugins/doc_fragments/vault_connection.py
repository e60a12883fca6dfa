# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Same option names as community.hashi_vault's connection options, so both collections are
    # configured alike. Matches VAULT_CONNECTION_SPEC in plugins/module_utils/_vault_args.py.
    DOCUMENTATION = r"""
options:
  url:
    description: URL of the Vault or OpenBao server. Defaults to E(VAULT_ADDR), then E(BAO_ADDR).
    type: str
    required: true
  ca_cert:
    description: CA bundle that signed the server's certificate. Defaults to E(VAULT_CACERT), then E(BAO_CACERT).
    type: path
    aliases: [cacert]
  validate_certs:
    description: Verify the server's certificate. Turning it off is for throw-away test servers only.
    type: bool
    default: true
  timeout:
    description: Seconds per HTTP request.
    type: int
    default: 30
requirements:
  - requests (Python library)
"""
