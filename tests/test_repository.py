"""Promises the repository makes about itself: the README's commands, CI, dependencies, import direction."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README opens with a bash block holding the two commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_the_run_and_the_test_command():
    run, test = readme_commands()[:2]
    assert run.startswith("pip install -r requirements.txt")
    assert "streamlit run streamlit_app.py" in run
    assert test.startswith("pip install -r requirements-dev.txt")
    assert "pytest" in test


def test_ci_runs_the_readmes_test_command_verbatim():
    test = readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in [line.strip() for line in ci.splitlines()]


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            names.add(re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_runtime_requirements_are_pinned_ranges_without_torch():
    text = (ROOT / "requirements.txt").read_text()
    names = requirement_names(ROOT / "requirements.txt")
    assert {"streamlit", "numpy", "altair", "pandas", "contourpy"} <= names
    assert "torch" not in names
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert ">=" in line, f"{line!r} should have a lower bound"
            assert "<" in line, f"{line!r} should have an upper bound"


def test_dev_requirements_pin_the_torch_that_made_the_golden_files():
    assert "torch==2.13.0" in (ROOT / "requirements-dev.txt").read_text()


@pytest.mark.parametrize("package", ["optimizers", "scenarios"])
def test_core_packages_import_only_numpy_and_below(package):
    """DESIGN.md: imports point dashboard -> scenarios -> optimizers; the core never imports the UI stack."""
    forbidden = {"streamlit", "altair", "pandas", "dashboard"} | ({"scenarios"} if package == "optimizers" else set())
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.relative_to(ROOT)} imports {name}"


def test_core_packages_import_without_the_ui_stack():
    """In a fresh interpreter, importing the core must not pull in streamlit, altair or pandas."""
    code = ("import sys, optimizers, scenarios; "
            "print(sorted(m for m in ('streamlit', 'altair', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
