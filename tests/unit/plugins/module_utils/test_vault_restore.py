# -*- coding: utf-8 -*-
"""Restoring a raft snapshot: only into a fresh server, unsealed with the original keys; a cut-off restore resumes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import tarfile

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _vault_lifecycle
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError


def snapshot(shares=2, threshold=2, seal="shamir"):
    """A raft snapshot as OpenBao writes one: a gzipped tar whose state.bin holds core/seal-config in clear."""
    config = json.dumps({"type": seal, "secret_shares": shares, "secret_threshold": threshold}).encode()
    state = b"\x0a\x10core/seal-config\x12" + bytes([len(config)]) + config + b"\x0a\x0fcore/shamir-kek"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in (("meta.json", b"{}"), ("state.bin", state)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


SNAPSHOT = snapshot()


class FakeBao:
    """OpenBao's answers to the calls of a restore (recorded), with a keyring the snapshot replaces."""

    def __init__(self, initialized=False, sealed=True):
        self.url = "https://bao.test"
        self.token = None
        self.initialized, self.sealed = initialized, sealed
        self.keys = ["temp"] if initialized else []
        self.calls = []
        self.progress = 0

    def seal_status(self):
        return {"initialized": self.initialized, "sealed": self.sealed, "t": len(self.keys) or 1, "progress": 0}

    def wait_active(self):
        pass

    def call(self, method, path, what, body=None, ok=None):
        self.calls.append((method, path))
        if path == "sys/init":
            self.initialized = True
            self.keys = ["temp%d" % i for i in range(body["secret_threshold"])]
            self.shape = (body["secret_shares"], body["secret_threshold"])
            return {"keys": list(self.keys), "root_token": "temp-root"}
        if path == "sys/unseal":
            if body.get("reset"):
                return self.seal_status()
            if body["key"] not in self.keys:
                raise VaultError("HTTP 400: invalid key", 400)
            self.progress += 1
            if self.progress >= len(self.keys):
                self.sealed, self.progress = False, 0
            return self.seal_status()
        raise AssertionError(path)

    def upload(self, path, what, data):
        assert self.token == "temp-root" and data == SNAPSHOT
        self.calls.append(("POST", path))
        self.keys, self.sealed = ["k1", "k2"], True  # the snapshot's keyring takes over


def test_a_fresh_server_gets_the_snapshot_and_is_unsealed_with_the_original_keys():
    bao = FakeBao()
    changed, what = _vault_lifecycle.restore_snapshot(bao, SNAPSHOT, ["k1", "k2"], sleep=lambda s: None)
    assert (changed, what) == (True, "restored and unsealed")
    assert ("POST", "sys/storage/raft/snapshot-force") in bao.calls and not bao.sealed
    assert bao.token is None  # the throw-away root token is not kept
    assert bao.shape == (2, 2)  # throw-away keys of the snapshot's shape, or the original keys would not fit


def test_a_snapshot_s_seal_configuration_is_read_and_a_foreign_file_refused():
    assert _vault_lifecycle.snapshot_seal_config(snapshot(5, 3))["secret_threshold"] == 3
    with pytest.raises(VaultError, match="not a raft snapshot"):
        _vault_lifecycle.snapshot_seal_config(b"PK\x03\x04 not a tarball")


def test_wrong_keys_leave_it_sealed_and_a_rerun_with_the_right_ones_only_unseals():
    bao = FakeBao()
    with pytest.raises(VaultError, match="the keys given do not unseal it"):
        _vault_lifecycle.restore_snapshot(bao, SNAPSHOT, ["other"], sleep=lambda s: None)
    assert bao.sealed
    calls = len(bao.calls)
    assert _vault_lifecycle.restore_snapshot(bao, SNAPSHOT, ["k1", "k2"]) == (True, "unsealed with the original keys")
    assert ("POST", "sys/storage/raft/snapshot-force") not in bao.calls[calls:]


def test_a_working_server_is_never_overwritten_and_check_mode_writes_nothing():
    bao = FakeBao(initialized=True, sealed=False)
    assert _vault_lifecycle.restore_snapshot(bao, SNAPSHOT, ["k1"])[0] is False
    fresh = FakeBao()
    assert _vault_lifecycle.restore_snapshot(fresh, SNAPSHOT, ["k1"], check_mode=True)[0] is True
    assert fresh.calls == [] and not fresh.initialized


def kms_snapshot():
    return snapshot(1, 1, "awskms")


class FakeKmsBao(FakeBao):
    """An auto-unseal server: it unseals itself once initialized, and again after the snapshot took over."""

    def seal_status(self):
        if self.sealed and self.initialized and getattr(self, "resealed", 0):
            self.resealed -= 1
            if not self.resealed:
                self.sealed = False
            return {"initialized": True, "sealed": True, "type": "awskms"}
        return {"initialized": self.initialized, "sealed": self.sealed if not self.initialized else False,
                "type": "awskms"}

    def call(self, method, path, what, body=None, ok=None):
        self.calls.append((method, path))
        assert path == "sys/init" and body == {"recovery_shares": 1, "recovery_threshold": 1}, (path, body)
        self.initialized, self.sealed = True, False
        return {"recovery_keys": ["throw-away"], "root_token": "temp-root"}

    def upload(self, path, what, data):
        assert self.token == "temp-root"
        self.calls.append(("POST", path))
        self.sealed, self.resealed = True, 2  # the restored root key takes over: sealed twice, then unsealed again


def test_an_auto_unseal_server_takes_the_snapshot_and_unseals_itself_with_no_key_submitted():
    bao = FakeKmsBao()
    changed, what = _vault_lifecycle.restore_snapshot(bao, kms_snapshot(), [], sleep=lambda s: None)
    assert (changed, what) == (True, "restored; it unsealed itself with its KMS key")
    assert ("PUT", "sys/init") in bao.calls and ("POST", "sys/storage/raft/snapshot-force") in bao.calls
    assert not [c for c in bao.calls if c[1] == "sys/unseal"] and bao.token is None


def test_a_snapshot_goes_only_into_a_server_of_its_own_seal_kind():
    with pytest.raises(VaultError, match="sealed by shamir and https://bao.test is sealed by awskms: restore it into a "
                                         "server with the seal of the backup"):
        _vault_lifecycle.restore_snapshot(FakeKmsBao(), SNAPSHOT, ["k1"], sleep=lambda s: None)
    with pytest.raises(VaultError, match="sealed by awskms and https://bao.test is sealed by shamir"):
        _vault_lifecycle.restore_snapshot(FakeBao(), kms_snapshot(), ["k1"], sleep=lambda s: None)
