import os

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils import _vault_lifecycle


class NeverCalled:
    url = "https://vault.invalid"

    def init_status(self):
        raise AssertionError("the server must not be contacted")


def test_threshold_above_shares_fails_before_contacting_the_server(tmp_path):
    with pytest.raises(_vault_client.VaultError, match=r"key_threshold \(4\) is greater than key_shares \(3\)"):
        _vault_lifecycle.initialize(NeverCalled(), _vault_keys.FileKeyStore(str(tmp_path / "k.json")), 3, 4)


def test_file_store_writes_0600_and_refuses_to_read_a_readable_file(tmp_path):
    store = _vault_keys.FileKeyStore(str(tmp_path / "keys.json"))
    store.write({"keys": ["a"]})
    assert oct(os.stat(store.path).st_mode & 0o777) == "0o600"
    assert store.read() == {"keys": ["a"]}
    os.chmod(store.path, 0o644)
    with pytest.raises(_vault_client.VaultError, match="chmod 600"):
        store.read()


def test_file_store_needs_an_existing_directory(tmp_path):
    with pytest.raises(_vault_client.VaultError, match="does not exist; create it"):
        _vault_keys.FileKeyStore(str(tmp_path / "missing" / "keys.json")).check_writable()


def test_unknown_destination_type_names_the_supported_ones():
    with pytest.raises(_vault_client.VaultError, match="use file, kubernetes or aws_secrets_manager"):
        _vault_keys.key_store({"type": "kubernetes_secret"})


def test_kubernetes_destination_needs_a_kubeconfig(monkeypatch):
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with pytest.raises(_vault_client.VaultError, match="key_destination.kubeconfig is required"):
        _vault_keys.key_store({"type": "kubernetes"})


def test_aws_destination_needs_a_secret_name():
    with pytest.raises(_vault_client.VaultError, match="key_destination.secret_name is required"):
        _vault_keys.key_store({"type": "aws_secrets_manager", "region": "eu-central-1"})


def test_aws_secrets_manager_store_round_trip(monkeypatch):
    moto = pytest.importorskip("moto")
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "eu-central-1")):
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        store = _vault_keys.key_store({"type": "aws_secrets_manager", "secret_name": "krci/vault-init",
                                       "region": "eu-central-1"})
        assert not store.exists()
        with pytest.raises(_vault_client.VaultError, match="holds no keys"):
            store.read()
        store.write({"keys": ["a"], "root_token": "r"})
        assert store.exists() and store.read() == {"keys": ["a"], "root_token": "r"}
        store.write({"keys": ["a"], "root_token": None})  # a second write updates the same secret
        assert store.read()["root_token"] is None


def test_missing_key_file_says_what_to_do(tmp_path):
    with pytest.raises(_vault_client.VaultError, match="run vault_init first"):
        _vault_keys.FileKeyStore(str(tmp_path / "none.json")).read()
