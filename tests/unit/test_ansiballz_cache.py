"""tests/ansiballz_cache/sitecustomize.py: a module imported from a zip is compiled once and its bytecode reused by the
next process that imports the same source, from whatever zip; other source is compiled again; without the variable
nothing is cached."""

import marshal
import os
import subprocess
import sys
import zipfile
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "ansiballz_cache"

PROBE = "import sys\nsys.path.insert(0, sys.argv[1])\nimport probe\nprint(probe.VALUE)\nprobe.fail()\n"


def payload(directory, source):
    """A zip like AnsiballZ's payload holding probe.py with ``source``."""
    directory.mkdir(parents=True)
    path = directory / "ansible_probe_payload.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("probe.py", source)
    return path


def run(zip_path, cache):
    env = dict(os.environ, PYTHONPATH=str(SITE))
    env.pop("KRCI_ANSIBALLZ_BYTECODE", None)
    if cache is not None:
        env["KRCI_ANSIBALLZ_BYTECODE"] = str(cache)
    return subprocess.run([sys.executable, "-c", PROBE, str(zip_path)], env=env, capture_output=True, text=True,
                          check=False)


def cached(cache):
    return [p for p in cache.rglob("*") if p.is_file()]


SOURCE = "VALUE = 'compiled'\n\ndef fail():\n    raise RuntimeError('probe')\n"


def test_the_second_process_runs_the_cached_bytecode_and_names_its_own_zip(tmp_path):
    cache = tmp_path / "cache"
    first = run(payload(tmp_path / "one", SOURCE), cache)
    assert first.stdout == "compiled\n" and "RuntimeError: probe" in first.stderr
    [entry] = cached(cache)
    # The cache entry is what the next process runs: replace it with other code and the same source runs that.
    entry.write_bytes(marshal.dumps(compile("VALUE = 'from the cache'\ndef fail():\n    raise KeyError('c')\n",
                                            "elsewhere", "exec")))
    second_zip = payload(tmp_path / "two", SOURCE)
    second = run(second_zip, cache)
    assert second.stdout == "from the cache\n"
    # The code is relocated to this run's zip: a traceback names it, not the zip the bytecode was compiled from.
    assert str(second_zip / "probe.py") in second.stderr and "elsewhere" not in second.stderr


def test_changed_source_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    run(payload(tmp_path / "one", SOURCE), cache)
    changed = run(payload(tmp_path / "two", SOURCE.replace("'compiled'", "'changed'")), cache)
    assert changed.stdout == "changed\n" and len(cached(cache)) == 2


def test_without_the_variable_nothing_is_cached(tmp_path):
    result = run(payload(tmp_path / "one", SOURCE), None)
    assert result.stdout == "compiled\n" and str(tmp_path / "one" / "ansible_probe_payload.zip") in result.stderr
    assert not (tmp_path / "cache").exists() and not list(tmp_path.glob("**/*.partial"))


def test_an_unreadable_cache_entry_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    run(payload(tmp_path / "one", SOURCE), cache)
    [entry] = cached(cache)
    entry.write_bytes(b"not bytecode")
    assert run(payload(tmp_path / "two", SOURCE), cache).stdout == "compiled\n"
