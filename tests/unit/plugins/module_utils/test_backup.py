# -*- coding: utf-8 -*-
"""Backups: the artifact format (encryption, tampering, truncation), manifests, retention and the plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from ansible_collections.krci.platform.plugins.module_utils import _backup, _platform, _topology

UTC = datetime.timezone.utc


def keypair():
    private = x25519.X25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return public, pem


PUBLIC, PRIVATE = keypair()


def test_an_artifact_decrypts_only_with_its_key_and_its_name(tmp_path):
    path = str(tmp_path / "keycloak-realm.enc")
    plain = os.urandom(_backup.CHUNK * 2 + 17)  # three records, the last one short
    record = _backup.write_artifact(path, PUBLIC, "keycloak-realm", [plain[:5], plain[5:]])
    assert record["size"] == os.path.getsize(path) and record["sha256"] == _backup.sha256_file(path)
    assert record["plaintext_size"] == len(plain)
    assert not os.path.exists(path + ".part")
    assert plain not in open(path, "rb").read()
    identity = _backup.load_identity(PRIVATE)
    assert _backup.read_all(path, identity, "keycloak-realm") == plain
    with pytest.raises(_backup.BackupError, match="altered, renamed, or made for another key"):
        _backup.read_all(path, identity, "openbao-raft-snapshot")
    other = _backup.load_identity(keypair()[1])
    with pytest.raises(_backup.BackupError, match="made for another key"):
        _backup.read_all(path, other, "keycloak-realm")


def test_a_changed_or_cut_off_artifact_is_refused(tmp_path):
    path = str(tmp_path / "a.enc")
    _backup.write_artifact(path, PUBLIC, "a1", [os.urandom(_backup.CHUNK + 10)])
    data = open(path, "rb").read()
    identity = _backup.load_identity(PRIVATE)
    flipped = tmp_path / "flipped.enc"
    flipped.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with pytest.raises(_backup.BackupError, match="altered"):
        _backup.read_all(str(flipped), identity, "a1")
    # Cut after the first (full) record: the reader needs the last-record flag, so this is not a shorter artifact.
    first = len(_backup.MAGIC) + 32 + 4 + _backup.CHUNK + 16
    cut = tmp_path / "cut.enc"
    cut.write_bytes(data[:first])
    with pytest.raises(_backup.BackupError, match="cut off"):
        _backup.read_all(str(cut), identity, "a1")
    longer = tmp_path / "longer.enc"
    longer.write_bytes(data + b"x")
    with pytest.raises(_backup.BackupError, match="data after its last record"):
        _backup.read_all(str(longer), identity, "a1")
    foreign = tmp_path / "foreign.enc"
    foreign.write_bytes(b"PK\x03\x04" + data)
    with pytest.raises(_backup.BackupError, match="not a krci.platform backup artifact"):
        _backup.read_all(str(foreign), identity, "a1")


def test_an_export_that_fails_midway_leaves_no_artifact(tmp_path):
    path = str(tmp_path / "s.enc")

    def chunks():
        yield b"x" * 10
        raise RuntimeError("server went away")

    with pytest.raises(RuntimeError):
        _backup.write_artifact(path, PUBLIC, "s1", chunks())
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("text, message", [
    ("", "not a PEM public key"),
    ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
    (PRIVATE, "is a private key; give its public half"),
    (ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(), "not X25519"),
])
def test_a_recipient_that_is_not_an_x25519_public_key_is_named(text, message):
    with pytest.raises(_backup.BackupError, match=message) as caught:
        _backup.load_recipient(text, "backup_recipient")
    assert str(caught.value).startswith("backup_recipient")


def test_retention_keeps_the_newest_and_never_the_current():
    now = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    names = ["separated-2026120%dT000000Z" % day for day in range(1, 5)]
    current = "separated-20261204T120000Z"
    assert _backup.expired(names + [current], 3, 0, now, current) == names[:2]
    assert _backup.expired(names, 0, 2, now, current) == names[:2]  # older than two days
    assert _backup.expired(names, 0, 0, now, current) == []
    assert _backup.expired(names + ["not-an-archive", "shared-x"], 1, 0, now, current) == names


def test_a_manifest_read_back_is_checked_for_format_option_key_and_files():
    entry = {"name": "keycloak-realm", "file": "keycloak-realm.enc", "size": 10, "sha256": "ab"}
    doc = _backup.manifest("separated-20261204T120000Z", "separated", "2026-12-04T12:00:00Z", [entry], {}, "x25519:1", {})
    assert _backup.check_manifest(doc, "separated", "x25519:1") == []
    assert _backup.check_manifest(doc, "isolated", "x25519:2") == [
        "the archive is of the separated option, not isolated",
        "the archive was encrypted for x25519:1, and the identity given is x25519:2"]
    assert "not a krci.platform/backup/v1 manifest" in _backup.check_manifest({"format": "other"})[0]
    assert _backup.check_files(doc, {"keycloak-realm.enc": (10, "ab")}) == []
    assert _backup.check_files(doc, {})[0] == "keycloak-realm.enc is missing"
    assert "does not match its checksum" in _backup.check_files(doc, {"keycloak-realm.enc": (10, "cd")})[0]


def plan(option, **settings):
    topology = _topology.clusters(option)
    for index, cluster in enumerate(topology):
        cluster["api_url"] = "https://127.0.0.1:%d" % (6443 + index)
    base = {"destinations": [{"type": "directory", "path": "/var/backups/krci"}], "recipient": PUBLIC}
    base.update(settings)
    return _backup.plan(_platform.plan(topology, {}), option, base)


@pytest.mark.parametrize("option", ["shared", "separated", "isolated"])
def test_only_push_clusters_with_the_sealed_secrets_controller_give_their_keys(option):
    result = plan(option)
    assert result["errors"] == []
    platform = _platform.plan([dict(c, api_url="https://x") for c in _topology.clusters(option)], {})
    with_keys = sorted(name for name, items in result["clusters"].items() if items)
    assert with_keys == sorted(name for name, entry in platform["clusters"].items()
                               if entry["sealed_secrets"] and name not in platform["pull_clusters"])
    assert with_keys and not set(with_keys) & set(platform["pull_clusters"])
    assert [a["name"] for a in result["platform"]] == ["keycloak-realm", "openbao-raft-snapshot",
                                                       "openbao-key-store-metadata"]
    assert result["recipient"].startswith("x25519:")


def test_bad_backup_input_is_named_field_by_field():
    result = plan("separated", destinations=[
        {"type": "s3", "bucket": "Bad_Bucket", "prefix": "/abs"}, {"type": "directory", "path": "relative"},
        {"type": "ftp"}, {"type": "directory", "path": "/x", "bucket": "b"}],
        retention={"count": -1, "days": "7", "weeks": 1}, recipient=PRIVATE, artifacts=["keycloak", "etcd"])
    assert result["errors"] == [
        "backup_destinations[0].bucket: 'Bad_Bucket' is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-')",
        "backup_destinations[0].prefix: '/abs' is not a key prefix (letters, digits, !_.*'()/-, no leading '/')",
        "backup_destinations[1].path: an absolute directory on the controller, got 'relative'",
        "backup_destinations[2].type: 'ftp'; one of directory, s3",
        "backup_destinations[3].bucket: not an option of a directory destination (path, type)",
        "backup_retention.count: a whole number >= 0 (0: no limit), got -1",
        "backup_retention.days: a whole number >= 0 (0: no limit), got '7'",
        "backup_retention: weeks not count or days",
        "backup_artifacts: a non-empty list of keycloak, vault, vault_key_store, sealed_secrets, got ['keycloak', 'etcd']",
        "backup_recipient is a private key; give its public half (openssl pkey -in backup.key -pubout) and keep the "
        "private key away from the hosts that write backups and from their destination"]
    assert result["destinations"] == []
    assert plan("separated", destinations=[])["errors"][0].startswith("backup_destinations: at least one destination")


def test_archive_names_and_the_collection_version(tmp_path):
    now = datetime.datetime(2026, 12, 4, 12, 30, 5, tzinfo=UTC)
    name = _backup.archive_name("isolated", now)
    assert name == "isolated-20261204T123005Z" and _backup.archive_time(name) == now
    assert _backup.archive_time("isolated-2026") is None
    (tmp_path / "galaxy.yml").write_text("namespace: krci\nversion: 1.2.3\n")
    assert _backup.collection_version(str(tmp_path)) == "1.2.3"


@pytest.mark.parametrize("archived, running, refused", [
    ("26.4.7", "26.4.7", False), ("26.4.7", "26.5.0", False), ("26.4.7", "27.0.1", False),
    ("26.4.7", "26.3.9", True), ("2.7.2", "2.6.2", True), ("v2.7.2", "2.7.0", False), (None, "2.7.2", True),
])
def test_a_server_older_than_the_archive_s_is_refused(archived, running, refused):
    problem = _backup.version_fits("OpenBao", archived, running)
    assert bool(problem) is refused
    if refused and archived:
        assert problem == "OpenBao %s is older than the %s the archive was made with; upgrade it to %s or later first, " \
                          "nothing was restored" % (running, archived, ".".join(archived.lstrip("v").split(".")[:2]))


ARCHIVE_VERSIONS = {"keycloak": "26.4.7", "openbao": "2.7.2", "argocd": "v3.6.1"}
ARTIFACTS = ["keycloak-realm", "openbao-raft-snapshot", "openbao-key-store-metadata"]


def test_a_restore_installs_the_collection_s_own_servers_first_at_the_inventory_s_releases():
    result = _backup.restore_installs(ARCHIVE_VERSIONS, {
        "vault_install": True, "keycloak_install": True, "vault_version": "2.7.2", "keycloak_version": "26.5.6",
        "artifacts": ARTIFACTS})
    assert result == {"components": ["vault", "keycloak"], "errors": [],
                      "summary": "installs first: OpenBao 2.7.2 (the archive was made with 2.7.2), Keycloak 26.5.6 "
                                 "(the archive was made with 26.4.7)"}


def test_a_restore_installs_nothing_for_external_servers_or_artifacts_the_archive_lacks():
    external = _backup.restore_installs(ARCHIVE_VERSIONS, {"vault_version": "2.7.2", "keycloak_version": "26.4.7",
                                                           "artifacts": ARTIFACTS})
    assert external == {"components": [], "errors": [], "summary": "installs nothing first"}
    no_realm = _backup.restore_installs(ARCHIVE_VERSIONS, {"keycloak_install": True, "keycloak_version": "26.4.7",
                                                           "artifacts": ["openbao-raft-snapshot"]})
    assert no_realm["components"] == []


def test_a_restore_refuses_to_install_a_release_older_than_the_archive_s_naming_the_variable():
    result = _backup.restore_installs(ARCHIVE_VERSIONS, {"keycloak_install": True, "keycloak_version": "26.3.5",
                                                         "vault_install": True, "vault_version": "latest",
                                                         "artifacts": ARTIFACTS})
    assert result["components"] == []
    assert result["errors"] == [
        "OpenBao (vault_version): the archive's version '2.7.2' or the server's 'latest' is not a version; nothing "
        "was restored",
        "Keycloak (keycloak_version) 26.3.5 is older than the 26.4.7 the archive was made with; upgrade it to 26.4 or "
        "later first, nothing was restored"]
