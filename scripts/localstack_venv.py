"""Make or reuse LocalStack's own virtualenv (``IDP_EMULATOR=localstack``).

LocalStack needs Python 3.12 or newer; the project itself runs on the machine's Python (3.11
here), so LocalStack lives in a virtualenv of its own: ``.venv-localstack`` at the repository root,
or ``IDP_LOCALSTACK_VENV``. It is built with the first Python >= 3.12 found among
``IDP_LOCALSTACK_PYTHON``, ``python3.13`` and ``python3.12`` on PATH, then pyenv's
``$(pyenv root)/versions/3.13.*`` and ``3.12.*``. What ``requirements-localstack.txt`` pins is
installed again only when that file changes (a stamp holds its hash), by one process at a time
(a lock file), so two test workers starting at once do not both install.

    python scripts/localstack_venv.py      # prints the virtualenv's Python; scripts/test runs this
"""
from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-localstack.txt"
MINIMUM = (3, 12)


class NoSuitablePython(RuntimeError):
    """No Python >= 3.12 to build LocalStack's virtualenv with."""


def venv_dir(env=os.environ) -> Path:
    return Path(env.get("IDP_LOCALSTACK_VENV") or ROOT / ".venv-localstack")


def _pyenv_root(env) -> Path | None:
    if env.get("PYENV_ROOT"):
        return Path(env["PYENV_ROOT"])
    pyenv = shutil.which("pyenv", path=env.get("PATH"))
    if pyenv:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False, env=dict(env))
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    default = Path(env["HOME"]) / ".pyenv" if env.get("HOME") else None
    return default if default is not None and default.is_dir() else None


def candidates(env=os.environ) -> list[str]:
    """Where a Python >= 3.12 is looked for, in order."""
    found = [env["IDP_LOCALSTACK_PYTHON"]] if env.get("IDP_LOCALSTACK_PYTHON") else []
    found += [path for name in ("python3.13", "python3.12") if (path := shutil.which(name, path=env.get("PATH")))]
    root = _pyenv_root(env)
    if root is not None:
        for minor in ("3.13", "3.12"):
            found += sorted(glob.glob(str(root / "versions" / f"{minor}.*" / "bin" / "python3")), reverse=True)
    return found


def _is_suitable(python: str) -> bool:
    # A pyenv shim exists even when its version is not installed: ask the interpreter itself.
    check = f"import sys; sys.exit(0 if sys.version_info >= {MINIMUM!r} else 1)"
    try:
        return subprocess.run([python, "-c", check], capture_output=True, timeout=30, check=False).returncode == 0
    except OSError:
        return False


def find_python(env=os.environ) -> str:
    for python in candidates(env):
        if _is_suitable(python):
            return python
    raise NoSuitablePython(
        "LocalStack needs Python 3.12 or newer, and none was found: looked at IDP_LOCALSTACK_PYTHON "
        f"({env.get('IDP_LOCALSTACK_PYTHON') or 'not set'}), python3.13 and python3.12 on PATH, and "
        "$(pyenv root)/versions/3.13.*/bin/python3 and 3.12.* "
        f"({_pyenv_root(env) or 'no pyenv'}). Install one (e.g. `pyenv install 3.13`) or point IDP_LOCALSTACK_PYTHON "
        "at one; or run without IDP_EMULATOR=localstack (moto needs none of this).")


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    """``argv`` in a process group of its own, ended with everything it started if we are stopped."""
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


def _wanted() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def is_current(venv: Path) -> bool:
    stamp = venv / ".requirements.sha256"
    return (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text().strip() == _wanted()


def ensure(env=os.environ, log=lambda message: print(message, file=sys.stderr, flush=True)) -> Path:
    """The virtualenv's Python, after making the virtualenv or installing the requirements when needed."""
    venv = venv_dir(env)
    if is_current(venv):
        return venv / "bin" / "python"
    venv.mkdir(parents=True, exist_ok=True)
    with open(venv / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing: wait for it
        if not is_current(venv):
            started = time.monotonic()
            if not (venv / "bin" / "python").exists():
                python = find_python(env)
                log(f"==> creating LocalStack's virtualenv {venv} with {python}")
                made = _run([python, "-m", "venv", str(venv)])
                if made.returncode != 0:
                    raise RuntimeError(f"{python} -m venv {venv} failed:\n{made.stderr[-4000:]}")
            log(f"==> installing {REQUIREMENTS.name} into {venv} (about a minute, once)")
            result = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "-r", str(REQUIREMENTS)])
            noise = "WARNING: Location"  # the machine's extra package indexes that have no such package
            messages = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                                 if not line.startswith(noise))
            if result.returncode != 0:
                raise RuntimeError(f"installing {REQUIREMENTS.name} into {venv} failed:\n{messages[-4000:]}")
            (venv / ".requirements.sha256").write_text(_wanted() + "\n")
            log(f"==> LocalStack's virtualenv is ready ({time.monotonic() - started:.0f}s)")
    return venv / "bin" / "python"


if __name__ == "__main__":
    # SIGTERM (scripts/test stopping early) as an exception, so that _run stops pip too.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        print(ensure())
    except NoSuitablePython as missing:
        print(f"localstack_venv: {missing}", file=sys.stderr)
        sys.exit(2)
