# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils import _vault_seal


def vault_seal_config(seal, plugin=None, version=None):
    return _vault_seal.config(seal or {}, plugin or {}, version)


class FilterModule(object):
    def filters(self):
        return {"vault_seal_config": vault_seal_config}
