# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Matches RESTORE_SPEC in plugins/module_utils/_backup_args.py.
    DOCUMENTATION = r"""
options:
  archive:
    description: The directory on the controller that M(krci.platform.backup_archive_fetch) fetched and verified the
      archive into.
    type: path
    required: true
  identity:
    description: The PEM X25519 private key the archive was made for.
    type: str
    required: true
  name:
    description: The artifact's name in the archive.
    type: str
    required: true
requirements:
  - cryptography (Python library)
"""
