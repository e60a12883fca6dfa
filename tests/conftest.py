"""Make the collection importable as ansible_collections.krci.platform and the sandbox as sandbox.

Ansible's collection loader is installed before any test imports the collection, so plugin
lookups (inventory_loader, filters) and plain imports share one, fully loaded, package.
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"
link = COLLECTIONS / "ansible_collections" / "krci" / "platform"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(Path("../../.."))
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ansible.plugins.loader import init_plugin_loader  # noqa: E402  pylint: disable=wrong-import-position

init_plugin_loader([str(COLLECTIONS)])
