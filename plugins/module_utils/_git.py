# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Git client for the collection: a working copy of one branch of the GitOps repository.

For internal collection use only. Runs the ``git`` program on the controller with a configuration
of its own (no user or system config read): HTTPS with basic auth through an askpass script that
reads the password from the environment (never a command line or a URL), the CA given explicitly,
or SSH with a key file and known hosts checked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat
import subprocess
import tempfile

_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$KRCI_GIT_USERNAME" ;;
  *) printf '%s\\n' "$KRCI_GIT_PASSWORD" ;;
esac
"""
# What a rejected push says: another change landed first (non-fast-forward) or moved the ref while it ran.
_REJECTED = ("non-fast-forward", "fetch first", "failed to update ref", "failed to lock", "stale info",
             "cannot lock ref")


class GitError(Exception):
    """A git command failed; the message names the command, the repository and git's own words."""


class PushRejected(GitError):
    """The remote refused the push because the branch moved (someone else pushed first)."""


class WorkingCopy(object):
    """A clone of ``branch`` of ``url`` in a private temporary directory; ``close()`` removes it."""

    def __init__(self, url, username=None, password=None, ca_file=None, ssh_key_file=None,
                 author_name="krci.platform", author_email="krci-platform@localhost", timeout=120):
        self.url = url
        self.timeout = timeout
        self.base = tempfile.mkdtemp(prefix="krci-git-")
        self.dir = os.path.join(self.base, "repo")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.base, "LANG": "C", "LC_ALL": "C",
            "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email,
            "GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email,
        }
        if password:
            askpass = os.path.join(self.base, "askpass.sh")
            with open(askpass, "w") as handle:
                handle.write(_ASKPASS)
            os.chmod(askpass, stat.S_IRWXU)
            self.env.update({"GIT_ASKPASS": askpass, "KRCI_GIT_USERNAME": username or "git",
                             "KRCI_GIT_PASSWORD": password})
        if ca_file:
            self.env["GIT_SSL_CAINFO"] = ca_file
        if ssh_key_file:
            self.env["GIT_SSH_COMMAND"] = "ssh -i %s -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o BatchMode=yes" % ssh_key_file

    def git(self, *args, **kwargs):
        cwd = kwargs.get("cwd", self.dir)
        try:
            proc = subprocess.run(["git"] + list(args), cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True, timeout=self.timeout, check=False)
        except OSError as exc:
            raise GitError("git is not installed on the controller (%s): install git" % exc)
        except subprocess.TimeoutExpired:
            raise GitError("git %s against %s took longer than %ss" % (args[0], self.url, self.timeout))
        if proc.returncode != 0:
            words = (proc.stderr or proc.stdout).strip()
            if args[0] == "push" and any(marker in words for marker in _REJECTED):
                raise PushRejected("push to %s was rejected: %s" % (self.url, words))
            raise GitError("git %s on %s failed: %s" % (args[0], self.url, words))
        return proc.stdout

    def clone(self, branch):
        self.git("clone", "--quiet", "--no-tags", "--single-branch", "--branch", branch, self.url, self.dir,
                 cwd=self.base)
        return self.head()

    def head(self):
        return self.git("rev-parse", "HEAD").strip()

    def remote_head(self, branch):
        """The commit of ``branch`` on the remote, or None when the remote has no such branch."""
        out = self.git("ls-remote", "--heads", self.url, "refs/heads/" + branch)
        return out.split()[0] if out.strip() else None

    def checkout_new(self, branch, start=None):
        self.git("checkout", "--quiet", "-B", branch, *([start] if start else []))

    def fetch_reset(self, branch):
        """Reset the working copy to the remote's ``branch`` (after a rejected push)."""
        self.git("fetch", "--quiet", "origin", "+refs/heads/%s:refs/remotes/origin/%s" % (branch, branch))
        self.git("reset", "--quiet", "--hard", "origin/" + branch)
        return self.head()

    def read(self, directory, suffixes=(".yaml", ".yml")):
        """{path: text} of the files directly in ``directory`` (what a non-recursive Argo CD source reads)."""
        full = os.path.join(self.dir, directory)
        files = {}
        if not os.path.isdir(full):
            return files
        for name in sorted(os.listdir(full)):
            path = os.path.join(full, name)
            if os.path.isfile(path) and name.endswith(suffixes):
                with open(path) as handle:
                    files[os.path.join(directory, name)] = handle.read()
        return files

    def read_file(self, path):
        full = os.path.join(self.dir, path)
        if not os.path.isfile(full):
            return None
        with open(full) as handle:
            return handle.read()

    def write(self, files):
        for path, text in files.items():
            full = os.path.join(self.dir, path)
            if not os.path.isdir(os.path.dirname(full)):
                os.makedirs(os.path.dirname(full))
            with open(full, "w") as handle:
                handle.write(text)

    def commit(self, message):
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.head()

    def push(self, branch):
        self.git("push", "--quiet", "origin", "HEAD:refs/heads/%s" % branch)

    def close(self):
        shutil.rmtree(self.base, ignore_errors=True)
