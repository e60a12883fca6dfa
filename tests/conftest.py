"""Make the collection importable as ansible_collections.krci.platform and the sandbox as sandbox."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"
link = COLLECTIONS / "ansible_collections" / "krci" / "platform"
if not link.exists():
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(Path("../../.."))
for path in (str(REPO), str(COLLECTIONS)):
    if path not in sys.path:
        sys.path.insert(0, path)

# Ansible's plugin loader finds krci.platform through this path (as `make` and ansible.cfg set it).
import os  # noqa: E402  pylint: disable=wrong-import-position

os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
