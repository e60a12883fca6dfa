"""The seal stanzas of the OpenBao the vault role installs: Shamir, or AWS KMS auto-unseal; every bad field named."""

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _vault_seal

SEAL = {"type": "awskms", "region": "eu-central-1", "kms_key_id": "alias/krci-platform-vault-unseal"}
PLUGIN = {"command": "openbao-plugin-kms-aws", "sha256sum": "a" * 64}


def test_shamir_has_no_stanza():
    assert _vault_seal.config({}, {}, "2.7.2") == {"errors": [], "hcl": "", "auto_unseal": False}


def test_awskms_on_2_6_uses_the_built_in_seal_and_holds_no_credential():
    result = _vault_seal.config(dict(SEAL, endpoint="http://127.0.0.1:5000"), {}, "2.6.2")
    assert result["errors"] == [] and result["auto_unseal"]
    assert result["hcl"] == ('seal "awskms" {\n  region = "eu-central-1"\n'
                             '  kms_key_id = "alias/krci-platform-vault-unseal"\n  endpoint = "http://127.0.0.1:5000"\n}\n')
    assert "access_key" not in result["hcl"] and "secret_key" not in result["hcl"]


def test_awskms_on_2_7_declares_the_kms_plugin():
    result = _vault_seal.config(SEAL, PLUGIN, "2.7.2")
    assert result["errors"] == []
    assert result["hcl"].startswith('plugin_directory = "/openbao/plugins"\nplugin "kms" "awskms" {\n'
                                    '  command   = "openbao-plugin-kms-aws"\n  sha256sum = "%s"\n}\nseal "awskms" {'
                                    % ("a" * 64))


@pytest.mark.parametrize("seal, plugin, version, message", [
    (SEAL, {}, "2.7.2", "vault_seal: OpenBao 2.7.2 has no built-in awskms seal"),
    (dict(SEAL, type="transit"), {}, "2.6.2", "vault_seal.type: 'transit'"),
    (dict(SEAL, region="eu-central"), {}, "2.6.2", "vault_seal.region: 'eu-central' is not an AWS region"),
    (dict(SEAL, kms_key_id="my key"), {}, "2.6.2", "vault_seal.kms_key_id: 'my key' is not a KMS key id"),
    (dict(SEAL, endpoint="kms.local"), {}, "2.6.2", "vault_seal.endpoint: 'kms.local' must be http(s)://host[:port]"),
    (dict(SEAL, access_key="AKIA"), {}, "2.6.2", "vault_seal: unknown key(s) access_key"),
    (SEAL, dict(PLUGIN, sha256sum="abc"), "2.7.2", "vault_seal_plugin.sha256sum: must be the binary's SHA-256"),
    (SEAL, dict(PLUGIN, command="/usr/bin/x"), "2.7.2", "vault_seal_plugin.command: '/usr/bin/x'"),
    ({}, PLUGIN, "2.7.2", "vault_seal_plugin: given, but vault_seal is empty"),
])
def test_bad_seal_settings_are_named(seal, plugin, version, message):
    result = _vault_seal.config(seal, plugin, version)
    assert result["hcl"] == "" and any(message in e for e in result["errors"]), result["errors"]


def test_key_ids_as_kms_takes_them():
    for key in ("alias/a-b_c", "1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:eu-central-1:111111111111:alias/krci-platform-vault-unseal"):
        assert _vault_seal.errors(dict(SEAL, kms_key_id=key), {}, "2.6.2") == []
