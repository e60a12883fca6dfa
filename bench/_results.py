"""Where every benchmark writes: bench/results/<name>.json (data) and <name>.md (the table)."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write(name, result, table_lines):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("%s.json" % name)).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    text = "\n".join(table_lines).rstrip("\n") + "\n"
    (RESULTS / ("%s.md" % name)).write_text(text)
    print(text)
