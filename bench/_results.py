"""Where every benchmark writes: bench/results/<name>.json (data) and <name>.md (the table)."""

import json
import subprocess
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write(name, result, table_lines):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("%s.json" % name)).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    text = "\n".join(table_lines).rstrip("\n") + "\n"
    (RESULTS / ("%s.md" % name)).write_text(text)
    print(text)


def run_playbook(path, env, extra=()):
    """Seconds one ansible-playbook run takes; exits with its output if it fails."""
    start = time.monotonic()
    result = subprocess.run(["ansible-playbook"] + list(extra) + [str(path)], env=env, capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - start, 2)
    if result.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (path, result.stdout[-3000:]))
    return seconds
