"""The collection's module_utils import each other without a circle (each layer only uses the ones below)."""

import re
from pathlib import Path

UTILS = Path(__file__).resolve().parents[2] / "plugins" / "module_utils"
IMPORT = re.compile(r"krci\.platform\.plugins\.module_utils(?:\.(_\w+)| import (_\w+))")


def graph():
    result = {}
    for path in UTILS.glob("_*.py"):
        names = {a or b for a, b in IMPORT.findall(path.read_text())}
        result[path.stem] = names - {path.stem}
    return result


def test_the_extraction_sees_the_imports():
    assert "_http" in graph()["_vault_client"] and "_retry" in graph()["_http"]


def test_no_module_util_imports_itself_through_another():
    edges = graph()

    def reaches(start, target, seen):
        for name in edges.get(start, ()):
            if name == target or (name not in seen and reaches(name, target, seen | {name})):
                return True
        return False

    circles = sorted(name for name in edges if reaches(name, name, {name}))
    assert circles == [], "import circle through %s" % ", ".join(circles)
