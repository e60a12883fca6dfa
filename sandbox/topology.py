"""The collection's topology model (plugins/module_utils/_topology.py), loaded without Ansible."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "plugins" / "module_utils" / "_topology.py"
_spec = importlib.util.spec_from_file_location("krci_topology", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

clusters = _module.clusters
groups = _module.groups
OPTIONS = _module.OPTIONS
TopologyError = _module.TopologyError
ENVIRONMENTS = _module.ENVIRONMENTS
