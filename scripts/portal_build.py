"""Build the portal (``npm ci`` + ``vite build``) when something under ``portal/`` changed since the
last build, else do nothing. ``scripts/dev`` and the test suite call it; it is safe to run from
several processes at once (one builds, the others wait and then find it built).

    python scripts/portal_build.py            # build if needed, print what it did
    python scripts/portal_build.py --force    # build anyway
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
DIST = PORTAL / "dist"
NODE_MODULES = PORTAL / "node_modules"
# Generated or installed, never an input of the build.
NOT_SOURCES = {"node_modules", "dist", ".vite", "coverage", "test-results", ".build.lock"}
MIN_NODE = 20
BUILD_STAMP = DIST / ".source.sha256"
INSTALL_STAMP = NODE_MODULES / ".package-lock.sha256"


class PortalBuildError(RuntimeError):
    pass


def _sha256_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(PORTAL)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def source_digest() -> str:
    files = []
    for folder, subfolders, names in os.walk(PORTAL):
        subfolders[:] = [name for name in subfolders if name not in NOT_SOURCES]  # never walk node_modules
        files.extend(Path(folder) / name for name in names if name not in NOT_SOURCES)
    return _sha256_of(sorted(files))


def npm() -> str:
    """The machine's npm, after checking that its Node is recent enough."""
    node, npm_path = shutil.which("node"), shutil.which("npm")
    if not node or not npm_path:
        raise PortalBuildError(
            f"the portal needs Node.js {MIN_NODE} or newer and npm, and they are not on PATH. Install them "
            "(Debian: apt-get install nodejs npm, or https://nodejs.org), or set IDP_PORTAL=off to run the API only.")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.match(r"v(\d+)", version)
    if not match or int(match.group(1)) < MIN_NODE:
        raise PortalBuildError(f"the portal needs Node.js {MIN_NODE} or newer; {node} is {version or 'unknown'}")
    return npm_path


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, cwd=PORTAL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PortalBuildError(f"{what} failed ({' '.join(argv[1:])}):\n{(result.stdout + result.stderr)[-4000:]}")


def install(npm_path: str) -> bool:
    """``npm ci`` when package-lock.json changed since the last install; True when it ran."""
    want = _sha256_of([PORTAL / "package-lock.json"])
    if INSTALL_STAMP.is_file() and INSTALL_STAMP.read_text() == want:
        return False
    _run([npm_path, "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci")
    INSTALL_STAMP.write_text(want)
    return True


def ensure_built(force: bool = False, log=print) -> bool:
    """Install and build when needed; True when it built."""
    npm_path = npm()
    PORTAL.mkdir(exist_ok=True)
    with open(PORTAL / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if install(npm_path):
            log("portal: installed its npm packages (npm ci)")
        want = source_digest()
        if not force and BUILD_STAMP.is_file() and BUILD_STAMP.read_text() == want and (DIST / "index.html").is_file():
            return False
        log("portal: building (vite build)")
        _run([npm_path, "run", "build", "--silent"], "the portal's build")
        BUILD_STAMP.write_text(want)
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    try:
        built = ensure_built(force=args.force)
    except PortalBuildError as error:
        print(f"portal: {error}", file=sys.stderr)
        return 1
    print("portal: built" if built else "portal: up to date (nothing under portal/ changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
