"""`make package` builds an artifact Lambda can run: aarch64 wheels for python3.13, and every handler
importable from the layer alone (checked on an x86_64/3.11 twin built from the same sources, since an
aarch64 artifact cannot be imported on this machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import package, template
from infra.local_aws import function_environment

ELF_MACHINE = {"arm64": 0xB7, "x86_64": 0x3E}
# One worker runs every test of the module, so the two artifacts are built once per run, not once per worker.
pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    return {"arm64": package.build("arm64", "3.13", out), "x86_64": package.build("x86_64", "3.11", out)}


def test_arm64_layer_ships_only_aarch64_cpython313_extensions(builds: dict[str, Path]) -> None:
    shared_objects = list((builds["arm64"] / "layer" / "python").rglob("*.so"))
    assert shared_objects, "pydantic_core's extension is expected"
    for so in shared_objects:
        header = so.read_bytes()[:20]
        assert header[:4] == b"\x7fELF"
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE["arm64"], so
        assert "cpython-313-aarch64" in so.name or "abi3" in so.name, so


def _bytecode_tags(layer: Path) -> set[str]:
    return {pyc.name.split(".")[-2] for pyc in layer.rglob("*.pyc")}


def test_layer_ships_bytecode_for_its_runtime_that_no_timestamp_makes_stale(builds: dict[str, Path]) -> None:
    # In Lambda the layer is in read-only /opt: bytecode it does not ship is compiled on every cold start.
    layer = builds["x86_64"] / "layer" / "python"
    sources = list(layer.rglob("*.py"))
    assert len(sources) > 500
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.{sys.implementation.cache_tag}.pyc"
        assert pyc.exists(), source
        # PEP 552: flags 0b01, checked against no source (so the zip's timestamps never make it stale)
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, pyc
    assert _bytecode_tags(layer) == {sys.implementation.cache_tag}
    # The runtime's layer carries bytecode of its own Python only, where the build found one
    assert _bytecode_tags(builds["arm64"] / "layer" / "python") <= {"cpython-313"}


def test_artifact_holds_every_function_and_the_shared_package(builds: dict[str, Path]) -> None:
    root = builds["arm64"]
    assert (root / "layer.zip").stat().st_size > 0
    assert (root / "layer" / "python" / "csr" / "http.py").exists()
    for function in template.functions():
        assert (root / "functions" / function.code_dir.name / f"{function.module}.py").exists()
        assert (root / "functions" / f"{function.code_dir.name}.zip").exists()


# What a handler's import reports: the collections the garbage collector ran during it, its state after,
# and, where tracing is on, what the X-Ray SDK patched.
IMPORT_PROBE = """
import gc, json, sys
collections = [stats["collections"] for stats in gc.get_stats()]
import {module} as m
assert callable(m.{attribute})
patcher = sys.modules.get("aws_xray_sdk.core.patcher")
print(json.dumps({{
    "collections": [stats["collections"] - before for stats, before in zip(gc.get_stats(), collections)],
    "collecting": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
    "patched": sorted(patcher._PATCHED_MODULES) if patcher else None,
    "sqlite3": "sqlite3" in sys.modules,
}}))
"""
TRACING = {"off": {"POWERTOOLS_TRACE_DISABLED": "1"}, "on": {"LAMBDA_TASK_ROOT": "/var/task"}}


@pytest.mark.parametrize("tracing", TRACING)
def test_every_handler_imports_from_the_layer_alone_with_no_collection_until_its_end(
    builds: dict[str, Path], tmp_path: Path, tracing: str
) -> None:
    # Nothing but what the Lambda runtime provides may come from outside the layer.
    runtime = package.runtime_dir(tmp_path)
    layer = builds["x86_64"] / "layer" / "python"
    # The environment template.yaml gives every function (settings fail fast without it), traced or not.
    env = {**function_environment(), "PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("POWERTOOLS_TRACE_DISABLED")
    env.update(TRACING[tracing])
    for function in template.functions():
        folder = builds["x86_64"] / "functions" / function.code_dir.name
        code = f"import sys; sys.path[:0] = [{str(folder)!r}, {str(layer)!r}, {str(runtime)!r}]\n" + (
            IMPORT_PROBE.format(module=function.module, attribute=function.attribute)
        )
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code], check=False, capture_output=True, text=True, env=env
        )
        assert result.returncode == 0, f"{function.logical_id}: {result.stderr[-2000:]}"
        probe = json.loads(result.stdout.splitlines()[-1])
        # csr.init_phase first: no collection while the modules load (a few young ones as the handler's own
        # source compiles, before its first line runs; about 110, 10 and 1 with the collector left on), then
        # collection on, the modules frozen out of it
        young, middle, old = probe["collections"]
        assert young <= 8, (function.logical_id, probe["collections"])
        assert middle == old == 0, (function.logical_id, probe["collections"])
        assert probe["collecting"], function.logical_id
        assert probe["frozen"] > 10_000, function.logical_id  # tens of thousands of objects
        # Traced, the X-Ray SDK patches botocore alone; untraced, it is not even imported
        assert probe["patched"] == (["botocore"] if tracing == "on" else None), function.logical_id
        assert not probe["sqlite3"], function.logical_id


def test_layer_ships_the_compiled_catalogs_and_translates_from_them(builds: dict[str, Path]) -> None:
    layer = builds["x86_64"] / "layer" / "python"
    for language in ("fr", "es"):
        assert (layer / "csr" / "i18n" / "locale" / language / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    code = (
        f"import sys; sys.path[:0] = [{str(layer)!r}]; from csr.i18n import translate; "
        "print(translate('Not found.', 'fr'), translate('Not found.', 'es'), sep='|')"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "Introuvable.|No encontrado."
