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


class InitOnce:
    """Answers sys/init the way Vault does; records the request body."""

    url = "https://vault.invalid"

    def __init__(self):
        self.body = None

    def init_status(self):
        return False

    def seal_status(self):
        return {"type": "shamir"}

    def call(self, method, path, what, body=None):
        assert (method, path) == ("PUT", "sys/init")
        self.body = body
        shares = body["secret_shares"]
        return {"keys": ["k%d" % i for i in range(shares)], "keys_base64": ["b%d" % i for i in range(shares)],
                "root_token": "s.root"}


def test_init_keeps_the_root_token_apart_from_the_shares(tmp_path):
    keys = _vault_keys.FileKeyStore(str(tmp_path / "keys.json"))
    credentials = _vault_keys.FileKeyStore(str(tmp_path / "admin.json"))
    client = InitOnce()
    changed, info = _vault_lifecycle.initialize(client, keys, 3, 2, credentials=credentials)
    assert changed and info["credential_written_to"] == credentials.describe()
    assert "root_token" not in keys.read() and keys.read()["keys"] == ["k0", "k1", "k2"]
    assert credentials.read()["root_token"] == "s.root" and "keys" not in credentials.read()
    assert keys.read()["pgp_encrypted"] is False and "pgp_keys" not in client.body


def test_init_with_pgp_keys_sends_one_per_share_and_marks_the_shares_encrypted(tmp_path):
    keys = _vault_keys.FileKeyStore(str(tmp_path / "keys.json"))
    client = InitOnce()
    _vault_lifecycle.initialize(client, keys, 2, 2, credentials=_vault_keys.FileKeyStore(str(tmp_path / "a.json")),
                                pgp_keys=["cGdwMQ==", "cGdwMg=="])
    assert client.body["pgp_keys"] == ["cGdwMQ==", "cGdwMg=="] and keys.read()["pgp_encrypted"] is True
    with pytest.raises(_vault_client.VaultError, match="pgp_keys has 1 key.* but key_shares is 2"):
        _vault_lifecycle.initialize(NeverCalled(), keys, 2, 2, pgp_keys=["cGdwMQ=="])


def test_a_credential_destination_that_is_the_key_destination_is_refused(tmp_path):
    spec = {"type": "file", "path": str(tmp_path / "same.json")}
    with pytest.raises(_vault_client.VaultError, match="must be kept apart from the key shares"):
        _vault_keys.stores(spec, dict(spec))
    keys, credentials = _vault_keys.stores(spec, None)
    assert keys is credentials  # before 0.3: together (the modules warn)


def test_separate_moves_an_old_credential_out_of_the_key_store_credential_first(tmp_path):
    keys = _vault_keys.FileKeyStore(str(tmp_path / "keys.json"))
    credentials = _vault_keys.FileKeyStore(str(tmp_path / "admin.json"))
    admin = {"role": "krci-platform-admin", "role_id": "r", "secret_id": "s"}
    keys.write({"keys": ["k"], "root_token": None, "admin": admin})
    assert "admin" in _vault_keys.separate(keys, credentials, check_mode=True)
    assert not credentials.exists() and keys.read()["admin"] == admin  # check mode wrote nothing
    moved = _vault_keys.separate(keys, credentials)
    assert moved == "admin from %s to %s" % (keys.describe(), credentials.describe())
    assert keys.read() == {"keys": ["k"]} and credentials.read() == {"admin": admin}
    assert _vault_keys.separate(keys, credentials) is None  # nothing left to move


class ListedStore(_vault_keys.FileKeyStore):
    def __init__(self, path, readers, identity=None):
        _vault_keys.FileKeyStore.__init__(self, path)
        self._readers = readers
        if identity:
            self.identity = lambda: identity

    def readers(self):
        return self._readers


def test_custody_warns_when_one_principal_but_the_automation_reads_both(tmp_path):
    keys = ListedStore(str(tmp_path / "k.json"), ["Group oidc:krci-administrators", "User kubernetes-admin"],
                       identity="User kubernetes-admin")
    keys.write({"keys": ["share-0"], "pgp_encrypted": False})
    credentials = ListedStore(str(tmp_path / "c.json"), ["Group oidc:krci-administrators", "User kubernetes-admin"])
    masked = []
    report = _vault_keys.custody(keys, credentials, masked.append)
    assert masked == ["share-0"]
    assert report["shared_readers"] == ["Group oidc:krci-administrators"]  # the automation itself is not counted
    assert len(report["warnings"]) == 1 and "Group oidc:krci-administrators can read both" in report["warnings"][0]
    # Shares encrypted to operators: reading both yields nothing that unseals.
    keys.write({"keys": ["encrypted"], "pgp_encrypted": True})
    assert _vault_keys.custody(keys, credentials)["warnings"] == []
    # Readers apart: no warning; readers not listed (AWS): nothing to compare, no warning.
    keys.write({"keys": ["share-0"], "pgp_encrypted": False})
    assert _vault_keys.custody(keys, ListedStore(str(tmp_path / "c.json"), ["controller user ops"]))["warnings"] == []
    assert _vault_keys.custody(keys, ListedStore(str(tmp_path / "c.json"), None))["credential_readers"] is None
    # Kept together: always a warning.
    assert "kept with the key shares" in _vault_keys.custody(keys, keys)["warnings"][0]


class AutoUnsealServer(object):
    """seal_status as an awskms server reports it: sealed for ``sealed_polls`` reads, then unsealed."""

    url = "https://bao:8200"

    def __init__(self, sealed_polls):
        self.sealed_polls = sealed_polls
        self.calls = []

    def seal_status(self):
        self.calls.append("seal-status")
        sealed = self.sealed_polls > 0
        self.sealed_polls -= 1
        return {"initialized": True, "sealed": sealed, "type": "awskms"}

    def call(self, *args, **kwargs):
        raise AssertionError("no key is submitted to an auto-unseal server: %r" % (args,))

    def wait_active(self):
        self.calls.append("wait-active")


def test_an_auto_unseal_server_is_waited_for_and_given_no_key(monkeypatch):
    monkeypatch.setattr(_vault_lifecycle.time, "sleep", lambda seconds: None)
    server = AutoUnsealServer(sealed_polls=3)
    changed, status = _vault_lifecycle.unseal(server, ["recovery-key-1", "recovery-key-2"])
    assert not changed and not status["sealed"]
    assert server.calls == ["seal-status"] * 4 + ["wait-active"]


def test_an_auto_unseal_server_that_stays_sealed_is_named_with_its_seal():
    server = AutoUnsealServer(sealed_polls=10 ** 6)
    clock = iter(range(0, 10 ** 6, 10))
    with pytest.raises(_vault_client.VaultError, match=r"https://bao:8200 is sealed and its seal is awskms "
                                                       r"\(auto-unseal\): it unseals itself with its KMS key"):
        _vault_lifecycle._await_auto_unseal(server, server.seal_status(), sleep=lambda s: None,
                                            clock=lambda: next(clock))


class ReplacedServer(object):
    """A server being replaced: refused connections, then the old release, then the new one, sealed."""
    url = "https://openbao-0.test:8200"

    def __init__(self, answers):
        self.answers = list(answers)

    def seal_status(self):
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_replaced_server_is_waited_for_until_it_runs_the_new_release():
    from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError

    server = ReplacedServer([VaultError("connection refused"), {"version": "2.7.2", "sealed": False},
                             {"version": "2.7.1", "sealed": True}])
    status = _vault_lifecycle.await_version(server, "2.7.1", timeout=10, sleep=lambda s: None)
    assert status == {"version": "2.7.1", "sealed": True}
    stuck = ReplacedServer([{"version": "2.7.2", "sealed": False}])
    clock = iter(range(100)).__next__
    with pytest.raises(VaultError, match=r"https://openbao-0.test:8200 does not run OpenBao 2.7.1 after 5s "
                                         r"\(last: release 2.7.2\)"):
        _vault_lifecycle.await_version(stuck, "2.7.1", timeout=5, sleep=lambda s: None, clock=clock)
