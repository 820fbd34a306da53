"""`make package`: the deploy-ready artifact, built without Docker or `sam build`.

The layer gets the shared package and its requirements as wheels for the target runtime and
architecture (pip fetches wheels for another platform); each function gets its own folder. The result
is what template.yaml's CodeUri/ContentUri point at, zipped, under dist/<arch>-py<version>/.

    python -m infra.package [--arch arm64|x86_64] [--python 3.13] [--out dist]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from infra import template

PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
LAYER = template.ROOT / "layers" / "csr_common"


def build(arch: str, python_version: str, out: Path) -> Path:
    target = out / f"{arch}-py{python_version}"
    shutil.rmtree(target, ignore_errors=True)
    site = target / "layer" / "python"
    site.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--disable-pip-version-check",
            "--target",
            str(site),
            "--platform",
            PLATFORMS[arch],
            "--python-version",
            python_version,
            "--implementation",
            "cp",
            "--only-binary=:all:",
            "--no-deps",
            "-r",
            str(LAYER / "requirements.txt"),
        ],
        check=True,
    )
    shutil.copytree(LAYER / "csr", site / "csr", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.make_archive(str(target / "layer"), "zip", target / "layer")
    for function in template.functions():
        folder = target / "functions" / function.code_dir.name
        shutil.copytree(function.code_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.make_archive(str(folder), "zip", folder)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--out", type=Path, default=template.ROOT / "dist")
    args = parser.parse_args()
    print(build(args.arch, args.python, args.out))


if __name__ == "__main__":
    main()
