"""One artifact: `sam build` builds the layer with the Makefile target `make package` runs, so both ship
the pinned closure and nothing the Lambda runtime provides (botocore under the runtime's boto3)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from infra import package, template

# What the runtime provides and the layer must not ship: all but jmespath, which the layer pins for Powertools.
LEFT_TO_THE_RUNTIME = set(package.RUNTIME_PROVIDED) - {"jmespath"}


def files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def layer_resource() -> dict[str, Any]:
    layer: dict[str, Any] = template.template()["Resources"][package.LAYER_ID]
    return layer


def test_sam_builds_the_layer_with_its_makefile_for_the_functions_runtime() -> None:
    layer = layer_resource()
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert (template.ROOT / layer["Properties"]["ContentUri"]).resolve() == package.LAYER
    makefile = (package.LAYER / "Makefile").read_text()
    assert re.search(rf"^build-{package.LAYER_ID}:", makefile, re.MULTILINE)
    # The Makefile's defaults are what sam build gets: the functions' runtime and architecture.
    function = template.template()["Globals"]["Function"]
    arch = re.search(r"^ARCH \?= (\S+)$", makefile, re.MULTILINE)
    version = re.search(r"^PYTHON_VERSION \?= (\S+)$", makefile, re.MULTILINE)
    assert arch
    assert version
    assert [arch.group(1)] == function["Architectures"] == layer["Properties"]["CompatibleArchitectures"]
    assert f"python{version.group(1)}" == function["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [function["Runtime"]]


def test_the_layer_sam_builds_is_the_layer_make_package_ships(tmp_path: Path) -> None:
    # Given the layer as `sam build` makes it: the ContentUri copied to a scratch folder, the target run
    # there with ARTIFACTS_DIR and the Makefile's defaults
    scratch = tmp_path / "scratch"
    shutil.copytree(package.LAYER, scratch, ignore=shutil.ignore_patterns("__pycache__"))
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "ARTIFACTS_DIR": str(artifacts)}
    subprocess.run(["make", "--silent", f"build-{package.LAYER_ID}"], cwd=scratch, env=env, check=True)
    # And the layer `make package` ships
    packaged = package.build("arm64", "3.13", tmp_path / "dist") / "layer"
    # Then they hold the same files, pinned versions only, and nothing the runtime provides
    sam_files = files(artifacts)
    assert sam_files == files(packaged)
    top = {name.split("/")[1] for name in sam_files}
    assert not top & LEFT_TO_THE_RUNTIME, top & LEFT_TO_THE_RUNTIME
    pinned = {
        line.split("==")[0].replace("-", "_").lower()
        for line in (package.LAYER / "requirements.txt").read_text().splitlines()
        if "==" in line
    }
    installed = {name.split("-")[0].lower() for name in top if name.endswith(".dist-info")}
    assert installed == pinned
