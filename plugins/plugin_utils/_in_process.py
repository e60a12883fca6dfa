# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a collection module inside the task's worker process on the controller.

For internal collection use only.

Every host of a krci.platform inventory is a cluster reached from the controller
(``ansible_connection: local``): a module would run as a new Python process on the same machine,
which costs more than the API calls of a converged task (the interpreter, the module's payload,
``ansible.module_utils.basic``). The action plugin of each module calls the module's own ``main()``
in the worker process that Ansible forked for the task, with ``InProcessModule`` in the place of
``AnsibleModule``: the same argument spec and validation (types, defaults, environment fallbacks,
required together/one of), check mode, diff, warnings and ``no_log`` masking of the result.

A task that does not run on the controller (another connection, ``delegate_to`` a remote host,
``become``, ``async``, or an ``environment``), or whose host names another Python in
``ansible_python_interpreter``, runs the module the ordinary way.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import os
import shutil
import sys

from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

LOCAL_CONNECTIONS = ("local", "ansible.builtin.local", "ansible.legacy.local")


class ModuleExit(Exception):
    """exit_json or fail_json of an in-process module: carries the result."""

    def __init__(self, result):
        super(ModuleExit, self).__init__("module exit")
        self.result = result


class InProcessModule:
    """What the collection's modules use of AnsibleModule, for a module run inside the worker process."""

    def __init__(self, name, task_args, check_mode, diff, argument_spec, supports_check_mode=False, mutually_exclusive=None,
                 required_together=None, required_one_of=None, required_if=None, required_by=None):
        self.warnings = []
        self.no_log_values = set()
        # The process that forked this worker: the ansible-playbook run (k8s_run_lease watches it).
        self.run_pid = os.getppid()
        self.check_mode = check_mode
        self._diff = diff
        self.params = {}
        validator = ModuleArgumentSpecValidator(argument_spec, mutually_exclusive=mutually_exclusive,
                                                required_together=required_together, required_one_of=required_one_of,
                                                required_if=required_if, required_by=required_by)
        validation = validator.validate(dict((k, v) for k, v in task_args.items() if not k.startswith("_ansible_")))
        self.no_log_values.update(validation._no_log_values)  # pylint: disable=protected-access
        self.warnings.extend(str(w.get("warning", w)) if isinstance(w, dict) else str(w)
                             for w in getattr(validation, "_warnings", []))
        if validation.error_messages:
            msg = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (name, msg)
            self.fail_json(msg=msg)
        self.params = validation.validated_parameters
        if check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="this module does not support check mode")

    def warn(self, warning):
        self.warnings.append(warning)

    def exit_json(self, **kwargs):
        raise ModuleExit(self._result(kwargs))

    def fail_json(self, msg, **kwargs):
        kwargs["failed"] = True
        kwargs["msg"] = msg
        raise ModuleExit(self._result(kwargs))

    def _result(self, result):
        result.setdefault("changed", False)
        if self.warnings:
            result["warnings"] = list(self.warnings) + list(result.get("warnings") or [])
        result["invocation"] = {"module_args": self.params}
        return remove_values(result, self.no_log_values)


class InProcessModuleAction(ActionBase):
    """The action plugin of a collection module; subclasses set ``MODULE`` (the module's Python module,
    whose ``main(module_class=AnsibleModule)`` builds its module from ``module_class``)."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def _on_controller(self, task_vars):
        connection = getattr(self._connection, "ansible_name", None) or getattr(self._connection, "_load_name", "")
        environment = self._task.environment
        environment = environment if isinstance(environment, list) else [environment]
        return (connection in LOCAL_CONNECTIONS and not any(environment) and not self._task.async_val
                and not self._play_context.become and self._same_python(task_vars))

    def _same_python(self, task_vars):
        """The module would run with the controller's own Python (the krci.platform inventory sets it), or
        with whatever interpreter discovery finds; an explicitly chosen other Python keeps its module process."""
        interpreter = (task_vars or {}).get("ansible_python_interpreter")
        if not interpreter:
            return True
        interpreter = str(self._templar.template(interpreter))
        if interpreter.startswith("auto"):
            return True
        path = interpreter if os.path.isabs(interpreter) else shutil.which(interpreter)
        # The same bin directory is the same Python environment (python, python3, python3.11 alike).
        return path is None or os.path.dirname(os.path.abspath(path)) == os.path.dirname(os.path.abspath(sys.executable))

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessModuleAction, self).run(tmp, task_vars)
        del tmp  # no temporary directory is needed
        if not self._on_controller(task_vars):
            result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                               module_args=self._task.args, task_vars=task_vars,
                                               wrap_async=self._task.async_val))
            return result
        # The arguments and the result cross as JSON, as they would to and from a module process: the
        # module sees plain values (not the controller's tagged strings), Ansible gets what a module returns.
        to_module = get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE)
        to_controller = get_module_encoder("legacy", Direction.MODULE_TO_CONTROLLER)
        module_class = functools.partial(InProcessModule, self._task.action,
                                         json.loads(json.dumps(dict(self._task.args), cls=to_module)),
                                         bool(self._task.check_mode), bool(self._task.diff))
        try:
            self.MODULE.main(module_class=module_class)
        except ModuleExit as done:
            result.update(json.loads(json.dumps(done.result, cls=to_controller)))
        else:
            result.update(failed=True, msg="%s returned no result" % self._task.action)
        return result
