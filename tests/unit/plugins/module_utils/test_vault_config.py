# -*- coding: utf-8 -*-
"""An auth mount's write-only values (an OIDC client secret, a reviewer token) are written when they change and
only then: Vault never returns them, so the mount keeps a digest of what was last written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils import _vault_config
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError


class FakeVault:
    """auth/oidc/config (the secret is never returned) and its mount's tuning options."""

    def __init__(self):
        self.config = None
        self.options = {"seen": "kept"}
        self.writes = []

    def call(self, method, path, what, body=None, ok=None):
        if method == "GET" and path == "auth/oidc/config":
            if self.config is None:
                raise VaultError("HTTP 404", 404)
            return {"data": dict((k, v) for k, v in self.config.items() if k not in _vault_config.WRITE_ONLY)}
        if method == "GET" and path == "sys/auth/oidc/tune":
            return {"data": {"options": dict(self.options)}}
        if method == "POST" and path == "auth/oidc/config":
            self.writes.append(dict(body))
            self.config = dict(body)
            return {}
        if method == "POST" and path == "sys/auth/oidc/tune":
            self.options = dict(body["options"])
            return {}
        raise AssertionError((method, path))


def configure(vault, secret, check_mode=False):
    configurator = _vault_config.VaultConfigurator(vault, check_mode)
    configurator.auth_config("oidc", {"oidc_client_id": "vault", "oidc_client_secret": secret}, {})


def test_a_new_client_secret_is_written_and_an_unchanged_one_is_not():
    vault = FakeVault()
    configure(vault, "first")
    assert len(vault.writes) == 1 and vault.options["seen"] == "kept"
    digest = vault.options[_vault_config.WRITTEN_DIGEST_OPTION]
    assert digest.startswith("sha256:") and "first" not in digest
    configure(vault, "first")
    assert len(vault.writes) == 1  # the same secret: nothing written
    configure(vault, "second")
    assert len(vault.writes) == 2 and vault.writes[-1]["oidc_client_secret"] == "second"
    assert vault.options[_vault_config.WRITTEN_DIGEST_OPTION] != digest
    configure(vault, "third", check_mode=True)
    assert len(vault.writes) == 2  # check mode: reported, not written


def test_the_digest_is_bound_to_the_mount_and_absent_without_write_only_values():
    assert _vault_config.written_digest("oidc", {"oidc_client_id": "vault"}) is None
    assert _vault_config.written_digest("oidc", {"oidc_client_secret": "s"}) != \
        _vault_config.written_digest("oidc2", {"oidc_client_secret": "s"})
