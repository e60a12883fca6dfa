"""krci.platform.vault_init and vault_unseal against the sandbox's real OpenBao (raft, TLS)."""

import json
import os
import stat
import uuid

import pytest
import requests
import yaml

from conftest import run
from sandbox import core


@pytest.fixture(scope="module")
def bao(sandbox_pool):
    """A fresh sandbox, so OpenBao starts uninitialized; closed after, so no later test sees it initialized."""
    sandbox_pool.close()
    state = sandbox_pool.get("shared")
    yield state
    sandbox_pool.close()


def task(module, state, **params):
    return {"name": module, "krci.platform.%s" % module: dict(params, url=state["openbao"]["addr"],
                                                                 ca_cert=state["openbao"]["ca_file"]),
            "register": "out"}


def play(state, env, tmp_path, module, *extra, **params):
    name = uuid.uuid4().hex[:6]
    out = tmp_path / ("out-%s.json" % name)
    path = tmp_path / ("play-%s.yml" % name)
    path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        task(module, state, **params),
        {"ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(out), "mode": "0600"},
         "check_mode": False}]}]))
    result = run(["ansible-playbook", str(path)] + list(extra), env)
    return result, (json.loads(out.read_text()) if out.exists() else None)


def health(state):
    session = requests.Session()
    session.trust_env = False
    return session.get(state["openbao"]["addr"] + "/v1/sys/health", verify=state["openbao"]["ca_file"], timeout=10)


@pytest.fixture
def env(tools_env):
    return dict(tools_env, ANSIBLE_LOCALHOST_WARNING="false")


def test_init_and_unseal_lifecycle(bao, env, tmp_path):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    keys_file = keys_dir / "bao.json"
    destination = {"type": "file", "path": str(keys_file)}

    # Bad input fails before contacting the server.
    result, _ = play(bao, env, tmp_path, "vault_init", key_shares=3, key_threshold=4, key_destination=destination)
    assert result.returncode != 0 and "key_threshold (4) is greater than key_shares (3)" in result.stdout
    # Keys already at the destination of an uninitialized server: refused as possible data loss.
    keys_file.write_text('{"keys": ["old"]}')
    result, _ = play(bao, env, tmp_path, "vault_init", key_destination=destination)
    assert result.returncode != 0 and "possible data loss" in " ".join(result.stdout.split())
    keys_file.unlink()
    # Check mode predicts and changes nothing.
    result, data = play(bao, env, tmp_path, "vault_init", "--check", key_destination=destination)
    assert result.returncode == 0 and data["changed"] is True
    assert health(bao).status_code == 501 and not keys_file.exists()

    result, data = play(bao, env, tmp_path, "vault_init", "-vvv", key_shares=5, key_threshold=3,
                        key_destination=destination)
    assert result.returncode == 0, result.stdout[-2000:]
    assert data["changed"] is True and data["initialized"] is True
    assert stat.S_IMODE(os.stat(keys_file).st_mode) == 0o600
    secrets = json.loads(keys_file.read_text())
    assert len(secrets["keys"]) == 5 and secrets["root_token"]
    for value in secrets["keys"] + secrets["keys_base64"] + [secrets["root_token"]]:
        assert value not in result.stdout + result.stderr

    before = keys_file.read_text()
    result, data = play(bao, env, tmp_path, "vault_init", key_destination=destination)
    assert data["changed"] is False and keys_file.read_text() == before  # no new keys, ever

    assert health(bao).status_code == 503  # sealed
    result, data = play(bao, env, tmp_path, "vault_unseal", "-vvv", key_source=destination)
    assert result.returncode == 0 and data["changed"] is True and data["sealed"] is False
    for value in secrets["keys"] + [secrets["root_token"]]:
        assert value not in result.stdout + result.stderr
    assert health(bao).status_code == 200
    result, data = play(bao, env, tmp_path, "vault_unseal", key_source=destination)
    assert data["changed"] is False

    # Data written now survives a restart, which seals the server again.
    session = requests.Session()
    session.trust_env = False
    session.verify = bao["openbao"]["ca_file"]
    session.headers["X-Vault-Token"] = secrets["root_token"]
    addr = bao["openbao"]["addr"]
    assert session.post(addr + "/v1/sys/mounts/kv", json={"type": "kv", "options": {"version": "2"}},
                        timeout=10).status_code == 204
    assert session.post(addr + "/v1/kv/data/probe", json={"data": {"answer": "42"}}, timeout=10).status_code == 200
    core.restart(bao["option"], "openbao")
    assert health(bao).status_code == 503

    result, _ = play(bao, env, tmp_path, "vault_unseal", keys=secrets["keys"][:2])
    flat = " ".join(result.stdout.split())
    assert result.returncode != 0 and "2 key(s) accepted, still sealed (progress 2 of threshold 3)" in flat
    result, data = play(bao, env, tmp_path, "vault_unseal", key_source=destination)
    assert result.returncode == 0 and data["changed"] is True
    reply = session.get(addr + "/v1/kv/data/probe", timeout=10)
    assert reply.status_code == 200 and reply.json()["data"]["data"] == {"answer": "42"}
