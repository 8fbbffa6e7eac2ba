"""The portal's runtime code talks HTTP to Smile in one module, and never uses the sandbox."""

import ast

import pytest

from tests.processes import ROOT

RUNTIME_PACKAGES = ("accounts", "verification_portal", "verifications")


def imported_modules(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


HTTP_CLIENTS = ("requests", "urllib3", "httpx", "http.client", "urllib.request")


def speaks_http(module: str) -> bool:
    return any(module == client or module.startswith(client + ".") for client in HTTP_CLIENTS)


RUNTIME_FILES = sorted(
    path for package in RUNTIME_PACKAGES for path in (ROOT / package).rglob("*.py")
)


def test_the_runtime_code_is_where_the_test_looks():
    assert ROOT / "verifications" / "smile.py" in RUNTIME_FILES
    assert len(RUNTIME_FILES) > 50


@pytest.mark.parametrize("path", RUNTIME_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_smile_client_imports_requests_and_nothing_imports_the_sandbox(path):
    modules = imported_modules(path)
    assert not [m for m in modules if m.split(".")[0] == "smile_sandbox"]
    if path != ROOT / "verifications" / "smile.py":
        assert not [m for m in modules if speaks_http(m)]
