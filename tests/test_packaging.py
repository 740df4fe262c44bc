"""The wheel: builds, carries checklist.yaml, rules/ and reports/, and `auditor scan` works
from another folder after installing it into a fresh virtual environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # processes, whole-tree scans or generated cases

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (whl,) = out.glob("*.whl")
    return whl


def test_wheel_carries_the_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "auditor/_data/checklist.yaml" in names
    rule_files = [n for n in names if n.startswith("auditor/_data/rules/") and n.endswith(".yaml")]
    assert len(rule_files) == len(list((ROOT / "rules").glob("*.yaml")))
    assert any(n.startswith("auditor/_data/reports/") for n in names)


def test_installed_wheel_scans_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    # Dependencies come from this test environment (no downloads); the wheel itself is
    # installed without them into the fresh environment.
    site = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc = subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "db.py").write_text("import sqlalchemy\nengine = sqlalchemy.create_engine('x', pool_size=3)\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(env_dir / "bin" / "auditor"), "scan", str(repo), "--format", "json", "--no-cache"],
                          capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert report["checklist"]["items"] == 91
    pooling = next(i for i in report["items"] if i["id"] == "db.pooling")
    assert pooling["status"] == "implemented"
    assert "auditor/_data" in subprocess.check_output(
        [str(py), "-c", "from auditor.resources import data_dir; print(data_dir())"], text=True, cwd=elsewhere)
