"""`make package`: the deploy-ready artifact, built without Docker or `sam build`.

The layer is built by its own Makefile (layers/csr_common/Makefile, the target `sam build` runs too): the
shared package and its pinned requirements as wheels for the target runtime and architecture; each
function gets its own folder. The result
is what template.yaml's CodeUri/ContentUri point at, zipped, under dist/<arch>-py<version>/.

    python -m infra.package [--arch arm64|x86_64] [--python 3.13] [--out dist]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from infra import template

ARCHITECTURES = ("arm64", "x86_64")
LAYER = template.ROOT / "layers" / "csr_common"
# The layer's logical id in template.yaml: its Makefile target is build-<LogicalId>, as SAM calls it.
LAYER_ID = "CommonLayer"


def build_layer(arch: str, python_version: str, artifacts: Path) -> Path:
    """The layer as `sam build` makes it: its Makefile's build-<LogicalId> target, into `artifacts`."""
    subprocess.run(
        [
            shutil.which("make") or "make",
            "--silent",
            "-C",
            str(LAYER),
            f"build-{LAYER_ID}",
            f"ARTIFACTS_DIR={artifacts}",
            f"ARCH={arch}",
            f"PYTHON_VERSION={python_version}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
    )
    return artifacts / "python"


# What the Lambda Python runtime provides beside the layer: boto3 and what it stands on. The layer leaves
# them out, but for jmespath, which it pins for Powertools (and which comes first on the path).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "dateutil", "six.py", "urllib3", "jmespath")


def runtime_dir(root: Path) -> Path:
    """`root`/runtime, holding what the Lambda runtime provides (linked from this environment): with a built
    layer and function folder before it on the path, a handler imports here as it does in Lambda."""
    spec = importlib.util.find_spec("boto3")
    if spec is None or spec.origin is None:
        raise RuntimeError("boto3 is not installed here to stand in for the runtime's")
    site = Path(spec.origin).parent.parent
    runtime = root / "runtime"
    runtime.mkdir()
    for name in RUNTIME_PROVIDED:
        (runtime / name).symlink_to(site / name)
    return runtime


def build(arch: str, python_version: str, out: Path) -> Path:
    target = out / f"{arch}-py{python_version}"
    shutil.rmtree(target, ignore_errors=True)
    build_layer(arch, python_version, target / "layer")
    shutil.make_archive(str(target / "layer"), "zip", target / "layer")
    for function in template.functions():
        folder = target / "functions" / function.code_dir.name
        shutil.copytree(function.code_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.make_archive(str(folder), "zip", folder)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", choices=ARCHITECTURES, default="arm64")
    parser.add_argument("--python", default="3.13")
    parser.add_argument("--out", type=Path, default=template.ROOT / "dist")
    args = parser.parse_args()
    print(build(args.arch, args.python, args.out))


if __name__ == "__main__":
    main()
