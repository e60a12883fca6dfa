# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Matches ARTIFACT_SPEC in plugins/module_utils/_backup_args.py.
    DOCUMENTATION = r"""
options:
  dest:
    description:
      - The encrypted artifact to write on the controller, C(<archive staging directory>/<name>.enc); the
        directory must exist. It is written as C(<dest>.part) and renamed when complete, so a failed export
        leaves no artifact.
    type: path
    required: true
  recipient:
    description:
      - The PEM X25519 public key the artifact is encrypted for (C(openssl genpkey -algorithm X25519 -out
        backup.key), then C(openssl pkey -in backup.key -pubout)). Only its private half decrypts it; keep that
        away from the hosts that write backups and from the backups' destination.
    type: str
    required: true
  name:
    description:
      - The artifact's name in the archive; it is bound into the encryption, so an artifact renamed or moved into
        another archive does not decrypt. Lowercase letters, digits, C(.) and C(-).
    type: str
    required: true
notes:
  - Check mode reads the source (so problems show) and writes nothing.
  - The format (X25519, HKDF-SHA256, AES-256-GCM in 1 MiB records) is described in docs/day2.md.
requirements:
  - cryptography (Python library)
"""
