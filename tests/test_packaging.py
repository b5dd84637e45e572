"""The wheel carries every package and data file: install it alone and run it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
         str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    wheel = next(dist.glob("crisiswatch-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    # Only our wheel is installed (no network); third-party packages come from this
    # interpreter's site-packages through a .pth placed after the venv's own paths. Path lines in
    # a .pth never run our editable install's hooks, so a file missing from the wheel fails here.
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    site = Path(subprocess.check_output(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip())
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_parent_site.pth").write_text("\n".join(sorted(paths)) + "\n")
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRISISWATCH_", "PYTHON"))}
    cmd = [str(env_dir / "bin" / "crisiswatch")]
    out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, cwd=workdir, env=env)
    assert out.returncode == 0, out.stderr
    assert "ingest" in out.stdout
    where = subprocess.run([str(py), "-c", "import monitor; print(monitor.__file__)"],
                           capture_output=True, text=True, cwd=workdir, env=env)
    assert str(site) in where.stdout, where.stdout + where.stderr
    polled = subprocess.run([*cmd, "poll"], capture_output=True, text=True, cwd=workdir, env=env)
    assert polled.returncode == 0, polled.stdout + polled.stderr
    assert "news-en: seen" in polled.stdout


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("monitor", "classifiers", "playbooks", "alerts", "config")
        for init in (REPO / top).rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
