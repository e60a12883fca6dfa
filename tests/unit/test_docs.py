"""The troubleshooting page lists every error message the plugins raise (their longest literal part)."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "docs" / "troubleshooting.md").read_text()
RAISE = re.compile(r'(?:raise \w+Error|fail_json)\((?:msg=)?\s*("(?:[^"\\]|\\.)*"(?:\s*\n?\s*"(?:[^"\\]|\\.)*")*)')
SPECIFIER = re.compile(r"%(?:\([a-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdrfoxi]")


def messages():
    for path in sorted((REPO / "plugins").rglob("*.py")):
        for match in RAISE.finditer(path.read_text()):
            text = re.sub(r'"\s*\n?\s*"', "", match.group(1))[1:-1].replace('\\"', '"')
            yield path.name, text


def longest_literal(message):
    parts = [p.strip(" :;,.()") for p in SPECIFIER.split(message)]
    return max(parts, key=len)


CASES = [(name, msg) for name, msg in messages() if len(longest_literal(msg)) >= 12]


def test_the_extraction_finds_the_messages():
    assert len(CASES) > 40


@pytest.mark.parametrize("source,message", CASES, ids=[message[:50] for _source, message in CASES])
def test_every_error_message_is_on_the_troubleshooting_page(source, message):
    assert longest_literal(message) in PAGE, "%s: add %r to docs/troubleshooting.md" % (source, message)
