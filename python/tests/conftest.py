"""Shared fixtures of the Python package tests (run by `cargo test`, see
tests/python.rs, or by hand: `pytest python/tests` with the package
installed and SPINSPICE_BIN pointing at the command-line binary)."""

import importlib
import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def need(module: str):
    """Import `module`, or skip the test — or fail it when
    SPINSPICE_REQUIRE_TOOLS=1 (CI), so that a missing tool is noticed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("SPINSPICE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"SPINSPICE_REQUIRE_TOOLS=1 but {module} is not installed")
        pytest.skip(f"{module} is not installed")


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture
def cli() -> str:
    """The spinspice command-line binary."""
    exe = os.environ.get("SPINSPICE_BIN")
    if not exe:
        for cand in (REPO / "target/release/spinspice", shutil.which("spinspice")):
            if cand and pathlib.Path(cand).is_file():
                exe = str(cand)
                break
    if not exe or not pathlib.Path(exe).is_file():
        if os.environ.get("SPINSPICE_REQUIRE_TOOLS") == "1":
            pytest.fail("no spinspice binary (set SPINSPICE_BIN)")
        pytest.skip("no spinspice binary (set SPINSPICE_BIN)")
    return exe


@pytest.fixture
def xr():
    return need("xarray")
