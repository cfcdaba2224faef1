"""Every command README.md documents runs through the project's virtualenv: a script in scripts/
that makes or reuses it, never a bare `python` that works only where the packages happen to be
installed globally. (The restore recipe and the API walkthrough are run as written by
tests/integration/test_backup.py.)"""
from __future__ import annotations

import os
import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
INLINE = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))
# A Python interpreter running a script or a module; `python3 -c '...json...'` (the standard
# library only, to read a field of an answer) is the one use that needs no virtualenv.
BARE_PYTHON = re.compile(r"(?:^|[\s;&|(])python3?(?:\.\d+)?\s+(?!-c\b)\S+")
VENV_TOOLS = re.compile(r"(?:^|[;&|]\s*|\$\(\s*)(?:\w+=\S+\s+)*(pytest|ruff|chalice|moto_server|pip|cfn-lint)\b")


def _commands() -> list[str]:
    lines = [re.sub(r"\s+#.*$", "", line) for block in BASH_BLOCKS for line in block.splitlines()]
    return [line.strip() for line in lines if line.strip()]


def test_the_readme_documents_commands_to_check():
    assert len(BASH_BLOCKS) >= 5 and any(c.startswith("scripts/emulator") for c in _commands())


def test_no_documented_command_runs_a_bare_python_or_a_virtualenv_tool():
    bare = [text for text in _commands() + INLINE if BARE_PYTHON.search(text)]
    assert not bare, f"run these through a script in scripts/ (it uses the project's virtualenv): {bare}"
    tools = [command for command in _commands() if VENV_TOOLS.search(command)]
    assert not tools, f"these tools live in the project's virtualenv, not on PATH: {tools}"


def test_every_script_the_readme_names_exists_and_makes_or_reuses_the_virtualenv():
    named = set(re.findall(r"(?<![\w/.])scripts/([\w-]+(?:\.py)?)\b", README))
    assert {"dev", "test", "emulator", "backup", "restore"} <= named
    for name in sorted(named):
        path = ROOT / "scripts" / name
        assert path.is_file(), f"README.md names scripts/{name}, which does not exist"
        if not name.endswith(".py"):
            assert os.access(path, os.X_OK), f"scripts/{name} is not executable"
            assert 'source "$(dirname "$0")/_venv.sh"' in path.read_text(), f"scripts/{name} skips _venv.sh"
