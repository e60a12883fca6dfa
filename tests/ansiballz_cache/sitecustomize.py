"""A bytecode cache for Python modules imported from a zip: the test harness's Ansible module runs (AnsiballZ).

Ansible runs every module as a new Python process that imports the module and its module_utils (ansible's basic.py,
this collection's _kube_client.py, ...) from a zip. Python cannot write bytecode into a zip, so each run compiles
all of them again: about 0.15 CPU-s of each module run, thousands of times in the integration tests.

The integration tests' conftest puts this directory first on PYTHONPATH and sets KRCI_ANSIBALLZ_BYTECODE to a cache
directory; Python imports this file at startup (site.py imports ``sitecustomize``), and zipimport's compile step
then keeps each compiled module in that directory, keyed by the interpreter's bytecode magic number, the path inside
the zip and the exact source. The same source compiles to the same code, so a module runs the same code as without
the cache; only the file name the code object carries is set to this run's zip again. Without the variable this file
does nothing. Nothing of the collection depends on it: it is test tooling only (README, "Layout")."""
import os

_CACHE = os.environ.get("KRCI_ANSIBALLZ_BYTECODE")
if _CACHE:
    import hashlib
    import importlib.util
    import marshal
    import sys
    import zipimport

    _COMPILE = getattr(zipimport, "_compile_source", None)

    def _relocated(code, filename):
        """``code`` (and the functions and classes compiled in it) naming ``filename`` as its source file."""
        consts = tuple(_relocated(c, filename) if isinstance(c, type(code)) else c for c in code.co_consts)
        return code.replace(co_filename=filename, co_consts=consts)

    def _cached_compile(pathname, source):
        inside = pathname.rpartition(".zip" + os.sep)[2]
        key = hashlib.sha256(importlib.util.MAGIC_NUMBER + str(sys.flags.optimize).encode() + b"\0"
                             + inside.encode() + b"\0" + source).hexdigest()
        path = os.path.join(_CACHE, key[:2], key)
        try:
            with open(path, "rb") as handle:
                return _relocated(marshal.loads(handle.read()), pathname)
        except (OSError, ValueError, EOFError, TypeError):
            pass
        code = _COMPILE(pathname, source)
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            partial = "%s.%d.partial" % (path, os.getpid())
            with open(partial, "wb") as handle:
                handle.write(marshal.dumps(code))
            os.replace(partial, path)
        except OSError:
            pass  # a cache that cannot be written only costs the compile
        return code

    if _COMPILE is not None:
        zipimport._compile_source = _cached_compile
