"""A module run inside the worker process behaves as under AnsibleModule: validation, fallbacks, check mode, masking."""

import pytest
from ansible.module_utils.basic import env_fallback

from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModule, ModuleExit

SPEC = dict(
    url=dict(type="str", required=True, fallback=(env_fallback, ["KRCI_TEST_URL"])),
    password=dict(type="str", no_log=True),
    user=dict(type="str"),
    count=dict(type="int", default=3),
)


def run(args, check_mode=False, diff=False, body=None, **rules):
    try:
        module = InProcessModule("krci.platform.test", args, check_mode, diff, SPEC, supports_check_mode=True, **rules)
        (body or (lambda m: m.exit_json(changed=True, params=m.params, check=m.check_mode, diff=m._diff)))(module)
    except ModuleExit as done:
        return done.result
    raise AssertionError("the module did not exit")


def test_parameters_are_validated_typed_and_defaulted():
    result = run({"url": "https://x", "count": "5"}, check_mode=True, diff=True)
    assert result["params"]["count"] == 5 and result["params"]["user"] is None
    assert result["check"] is True and result["diff"] is True and result["changed"] is True


def test_environment_fallbacks_apply(monkeypatch):
    monkeypatch.setenv("KRCI_TEST_URL", "https://from-env")
    assert run({})["params"]["url"] == "https://from-env"


@pytest.mark.parametrize("args, rules, message", [
    ({}, {}, "missing required arguments: url"),
    ({"url": "u", "count": "many"}, {}, "count"),
    ({"url": "u", "bogus": 1}, {}, "Unsupported parameters for (krci.platform.test) module: bogus"),
    ({"url": "u", "user": "a"}, {"required_together": [("user", "password")]}, "parameters are required together"),
])
def test_invalid_arguments_fail_naming_the_field(args, rules, message):
    result = run(args, **rules)
    assert result["failed"] and message in result["msg"]


def test_no_log_values_are_masked_everywhere_in_the_result_and_warnings_are_kept():
    def body(module):
        module.no_log_values.add("generated-secret")
        module.warn("retrying")
        module.exit_json(echo="pw is s3cret", token="generated-secret")

    result = run({"url": "u", "password": "s3cret"}, body=body)
    assert "s3cret" not in repr(result) and "generated-secret" not in repr(result)
    assert result["warnings"] == ["retrying"] and result["changed"] is False


def test_fail_json_carries_its_fields():
    result = run({"url": "u"}, body=lambda m: m.fail_json(msg="apply X on Y: 403", api_url="Y"))
    assert result == {"failed": True, "msg": "apply X on Y: 403", "api_url": "Y", "changed": False,
                      "invocation": {"module_args": {"url": "u", "password": None, "user": None, "count": 3}}}


class _Templar:
    def template(self, value):
        return value


def action():
    from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModuleAction

    plugin = object.__new__(InProcessModuleAction)
    plugin._templar = _Templar()
    return plugin


def test_the_module_runs_in_process_only_with_the_controllers_own_python(tmp_path):
    import os
    import sys

    plugin = action()
    assert plugin._same_python({})
    assert plugin._same_python({"ansible_python_interpreter": "auto_silent"})
    assert plugin._same_python({"ansible_python_interpreter": sys.executable})
    # Another file name in the same environment's bin directory is the same Python environment.
    assert plugin._same_python({"ansible_python_interpreter": os.path.join(os.path.dirname(sys.executable), "python3")})
    other = tmp_path / "bin" / "python3"
    other.parent.mkdir()
    other.write_text("")
    assert not plugin._same_python({"ansible_python_interpreter": str(other)})
