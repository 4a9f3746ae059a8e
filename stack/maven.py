"""Class paths of the Java servers, resolved from ``stack/java/<name>/pom.xml`` with Maven.

A resolved class path is cached under ``~/.cache/graphcdp/classpath`` keyed by a hash of the
pom, so a second start (or a fresh clone on the same machine) needs no Maven call at all; the
jars themselves live in the Maven cache (``~/.m2``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

JAVA_DIR = Path(__file__).parent / "java"
CACHE_DIR = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "graphcdp" / "classpath"
)


class MavenError(RuntimeError):
    """Maven could not resolve a pom's dependencies."""


def pom(name: str) -> Path:
    return JAVA_DIR / name / "pom.xml"


def classpath(name: str) -> list[Path]:
    """The jars of ``stack/java/<name>/pom.xml``, resolving them with Maven when needed.

    Raises:
        MavenError: Maven is missing or could not resolve the dependencies.
    """
    path = pom(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    cached = CACHE_DIR / f"{name}-{digest}.txt"
    if cached.exists():
        jars = _read(cached)
        if jars and all(jar.exists() for jar in jars):
            return jars
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenError("mvn is not on PATH (install Debian's maven package)")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    base = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(path),
        "-Dmaven.artifact.threads=8",
        "dependency:build-classpath",
        f"-Dmdep.outputFile={tmp}",
    ]
    # Offline first: every jar may already be in ~/.m2 from another pom or an earlier run.
    for extra in (["-o"], []):
        done = subprocess.run(base + extra, capture_output=True, text=True, check=False)
        if done.returncode == 0 and tmp.exists():
            tmp.replace(cached)
            return _read(cached)
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
    raise MavenError(f"could not resolve {path}:\n{tail}")


def merged(*names: str) -> list[Path]:
    """Class paths of several poms joined, the first pom's version of each artifact winning."""
    seen: set[str] = set()
    jars: list[Path] = []
    for name in names:
        for jar in classpath(name):
            key = _artifact(jar)
            if key not in seen:
                seen.add(key)
                jars.append(jar)
    return jars


def _artifact(jar: Path) -> str:
    # ~/.m2/repository/<group path>/<artifact>/<version>/<artifact>-<version>[-<classifier>].jar:
    # group, artifact and classifier identify it, whatever the version.
    version_dir = jar.parent
    classifier = jar.name.removeprefix(f"{version_dir.parent.name}-{version_dir.name}")
    return f"{version_dir.parent}{classifier}"


def _read(path: Path) -> list[Path]:
    text = path.read_text().strip()
    return [Path(p) for p in text.split(os.pathsep)] if text else []
