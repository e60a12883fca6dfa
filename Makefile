# krci.platform: the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE_DIR ?= $(HOME)/.cache/krci-platform
LOCK_HASH := $(shell cat requirements.txt requirements-dev.txt constraints.txt | sha256sum | cut -c1-12)
VENV ?= $(CACHE_DIR)/venv-$(LOCK_HASH)
PY := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
OPTION ?= separated

.PHONY: help venv collection demo down test sanity lint units integration bench lock clean

help:
	@echo "make demo   - build the sandbox for OPTION=$(OPTION) and converge playbooks/$(OPTION).yml against it"
	@echo "make test   - everything CI runs: sanity, ansible-lint, unit and integration tests"
	@echo "make down   - stop the sandbox of OPTION"

# The venv's name carries the hash of the three files, so a changed pin makes another venv; a fresh clone (newer file
# times) reuses the one of the same pins instead of running pip again.
$(VENV)/.complete: | requirements.txt requirements-dev.txt constraints.txt
	@echo "[make] Python environment $(VENV) (pinned, constraints.txt)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.complete

collection:
	@mkdir -p .collections/ansible_collections/krci
	@ln -sfn ../../.. .collections/ansible_collections/krci/platform

demo: venv collection
	$(PY) -m sandbox up --option $(OPTION)
	ansible-playbook -i inventories/local/$(OPTION)/topology.yml playbooks/$(OPTION).yml
	$(PY) -m sandbox argocd --option $(OPTION)

down: venv
	$(PY) -m sandbox down --option $(OPTION)

test: venv collection
	bash tests/run-all.sh

sanity: venv
	bash tests/sanity.sh

lint: venv collection
	ansible-lint --offline --profile production

units: venv collection
	$(PY) -m pytest -q tests/unit

integration: venv collection
	$(PY) -m pytest -q tests/integration

bench: venv collection
	$(PY) bench/sandbox.py
	$(PY) bench/converge.py
	$(PY) bench/keycloak.py
	$(PY) bench/vault.py
	$(PY) bench/argocd.py
	$(PY) bench/promotion.py
	$(PY) bench/gitops.py
	$(PY) bench/aws.py

lock:
	python3 -m venv /tmp/krci-lock && /tmp/krci-lock/bin/pip install -q -r requirements-dev.txt
	{ echo "# Full pinned closure of requirements-dev.txt (pip freeze). Regenerate with: make lock"; \
	  /tmp/krci-lock/bin/pip freeze; } > constraints.txt

clean:
	rm -rf .collections tests/output
