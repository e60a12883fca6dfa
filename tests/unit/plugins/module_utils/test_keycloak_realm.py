import pytest

from ansible_collections.krci.platform.plugins.module_utils import _keycloak_realm as kr


@pytest.mark.parametrize("want,have,expected", [
    ({"a": 1}, {"a": 1, "b": 2}, True),                      # only given keys count
    ({"a": 1}, {"b": 2}, False),
    ({"enabled": True}, {"enabled": "true"}, True),          # Keycloak attribute strings
    ({"lifespan": 300}, {"lifespan": "300"}, True),
    ({"uris": ["b", "a"]}, {"uris": ["a", "b"]}, True),      # lists of scalars as sets
    ({"uris": ["a"]}, {"uris": ["a", "b"]}, False),
    ({"attributes": {"x": "1"}}, {"attributes": {"x": "1", "y": "2"}}, True),
    ({"mappers": [{"name": "g"}]}, {"mappers": [{"name": "g", "id": "1"}]}, True),
])
def test_same_compares_only_what_is_given(want, have, expected):
    assert kr.same(want, have) is expected


def test_merged_keeps_unmanaged_keys_and_map_entries():
    current = {"id": "1", "attributes": {"keep": "x", "set": "old"}, "redirectUris": ["a"]}
    result = kr.merged(current, {"attributes": {"set": "new"}, "redirectUris": ["b"]})
    assert result == {"id": "1", "attributes": {"keep": "x", "set": "new"}, "redirectUris": ["b"]}
    assert current["attributes"]["set"] == "old"


def test_mask_hides_secrets_at_any_depth():
    masked = kr.mask({"clientId": "c", "secret": "s", "config": {"clientSecret": "t"}, "credentials": [
        {"type": "password", "value": "v", "password": "p"}]})
    assert masked["secret"] == masked["config"]["clientSecret"] == masked["credentials"][0]["password"] == "********"


def spec(**kw):
    base = {"realm": "r", "clients": [], "client_scopes": [], "roles": [], "groups": [], "users": [],
            "identity_providers": []}
    base.update(kw)
    return base


def test_validate_accepts_a_good_realm():
    good = spec(roles=[{"name": "dev"}], groups=[{"name": "devs", "realmRoles": ["dev"], "subGroups": [{"name": "a"}]}],
                clients=[{"clientId": "c", "redirectUris": ["https://h/cb", "/relative/*"], "webOrigins": ["+"]}],
                users=[{"username": "u", "groups": ["devs/a"]}])
    assert kr.validate(good, existing_roles=[]) == []


@pytest.mark.parametrize("bad,message", [
    (spec(clients=[{"clientId": "c", "protocol": "cas"}]), "unknown client protocol 'cas'"),
    (spec(clients=[{"clientId": "c", "redirectUris": ["*"]}]), "'*' is not a URI"),
    (spec(clients=[{"clientId": "c", "webOrigins": ["*"]}]), "'*' allows every origin"),
    (spec(clients=[{"clientId": "c"}, {"clientId": "c"}]), "clientId 'c' is given twice"),
    (spec(groups=[{"name": "g", "realmRoles": ["nope"]}]), "groups[/g].realmRoles: role 'nope' is not defined"),
    (spec(roles=[{"name": "a", "composites": ["b"]}]), "roles[a].composites: role 'b' is not defined"),
    (spec(users=[{"username": "u", "groups": ["missing"]}]), "users[u].groups: group 'missing' is not in groups"),
    (spec(groups=[{"name": "g"}, {"name": "g"}]), "group /g is given twice"),
    (spec(clients=[{"name": "no id"}]), "clients[0]: clientId is required"),
])
def test_validate_names_each_problem(bad, message):
    assert any(message in error for error in kr.validate(bad, existing_roles=[]))


def test_roles_that_exist_in_the_realm_are_known():
    assert kr.validate(spec(groups=[{"name": "g", "realmRoles": ["legacy"]}]), existing_roles=["legacy"]) == []
