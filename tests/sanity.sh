#!/usr/bin/env bash
# ansible-test sanity on the collection, offline.
# ansible-test needs the collection under ansible_collections/<ns>/<name>, and it bootstraps
# pip in its sanity venvs by downloading get-pip.py, which this machine kind cannot reach:
# we pre-seed its cache with a stand-in that uses ensurepip, then pip-installs its arguments.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/krci/platform"
mkdir -p "$dest"
# What the collection ships (tracked plus new, not-ignored files), and the unit tests of its plugins.
# The sandbox, benchmarks and integration tests are developer tooling outside the artifact (galaxy.yml
# build_ignore) and are checked by pytest and ansible-lint instead.
(cd "$repo" && git ls-files -co --exclude-standard \
  | grep -vE '^(sandbox|bench|\.ci|tests/integration|tests/unit/sandbox)/|^tests/[^/]+$' \
  | while read -r f; do [ -e "$f" ] && echo "$f"; done | tar -cf - -T -) | tar -xf - -C "$dest"

# The pip version in the file name is ansible-test's pinned bootstrap pip (24.2 in core 2.19).
pip_version=$(python -c "import re, ansible_test._internal.python_requirements as r, inspect; print(re.search(r\"pip='([0-9.]+)'\", inspect.getsource(r)).group(1))")
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for shim in "$cache/get_pip_${pip_version//./_}.py"; do
  cat > "$shim" <<'PY'
import ensurepip, os, subprocess, sys
ensurepip.bootstrap()
os.environ.pop("PIP_CONFIG_FILE", None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
PY
done
cd "$dest"
ansible-test sanity --python "$(python -c 'import sys;print("%d.%d" % sys.version_info[:2])')" --requirements "$@"
