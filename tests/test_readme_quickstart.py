"""The README's first command, from a fresh copy of the repository in a fresh venv, offline;
then every command of its "what to try next" block, as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_run_command() -> str:
    """The command under '# 1.' in the README's first shell block."""
    block = re.search(r"```sh\n(.*?)```", (REPO / "README.md").read_text("utf-8"), re.S)
    assert block is not None, "README.md has no ```sh block"
    lines = block.group(1).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("# 1."))
    return lines[first + 1].strip()


def readme_next_commands() -> list[str]:
    """The commands of the README's "what to try next" block, one per line."""
    text = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"what to try next:\s*```sh\n(.*?)```", text, re.S)
    assert block is not None, "README.md has no ```sh block after 'what to try next:'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _offline_shell() -> list[str] | None:
    """A shell in a new network namespace with only loopback up (no route anywhere else)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    probe = ["unshare", "-rn", "sh", "-c", "ip link set lo up"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return None
    return ["unshare", "-rn", "bash", "-c"]


def _copy_checkout(target: Path) -> None:
    """What a fresh clone holds: tracked files plus new ones not ignored (so uncommitted work
    is tested too)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.mark.slow
def test_readme_run_command_works_offline_in_a_fresh_clone(tmp_path: Path) -> None:
    shell = _offline_shell()
    if shell is None:
        pytest.skip("needs `unshare -rn` and `ip` to run without a network")
    if not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to copy")
    command = readme_run_command()
    assert command.startswith("python3 -m venv .venv") and "pip install ." in command
    clone = tmp_path / "clone"
    _copy_checkout(clone)
    # No network means no PyPI: the venv the command creates is made first, seeing this
    # interpreter's packages through a .pth, so `pip install .` finds every dependency
    # installed and builds crisiswatch itself from the copy.
    venv.EnvBuilder(with_pip=True).create(clone / ".venv")
    py = clone / ".venv" / "bin" / "python"
    site = subprocess.check_output(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
    ).strip()
    parent = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    Path(site, "zz_parent_site.pth").write_text("\n".join(parent) + "\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CRISISWATCH_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(sys.prefix))
    # on one core, as the target is stated
    pin = ["taskset", "-c", str(min(os.sched_getaffinity(0)))] if shutil.which("taskset") else []
    started = time.monotonic()
    done = subprocess.run([*pin, *shell, f"ip link set lo up && {command}"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    installed = subprocess.check_output(
        [str(py), "-c", "import monitor; print(monitor.__file__)"], text=True, cwd=tmp_path)
    assert installed.startswith(site), installed  # the built package, not this checkout
    opened = re.search(r"(\d+) incidents opened; alerts sent: (.*)", out)
    assert opened is not None and int(opened.group(1)) >= 5, out[-3000:]
    assert out.count("— Incident opened") >= 5 and "Approved scripts:" in out
    digests = clone / "crisiswatch-quickstart" / "data" / "digests"
    assert {p.suffix for p in digests.iterdir()} == {".html", ".md", ".json"}
    assert "What to try next:" in out
    quickstart = float(re.search(r"Done in ([\d.]+) s", out).group(1))  # type: ignore[union-attr]
    print(f"\nREADME run command offline{' on one core' if pin else ''}: {wall:.1f} s in all "
          f"(install included), quickstart {quickstart:.1f} s")
    assert quickstart < 60


@pytest.mark.slow
def test_readme_what_to_try_next_works_as_written(tmp_path: Path) -> None:
    """After the quickstart (the README's first command), each command of the block in turn,
    in the same folder, exits 0; comments are left to the shell as a user's would be."""
    script = Path(sys.executable).with_name("crisiswatch")
    if not script.is_file():
        pytest.skip("needs the crisiswatch console script beside this interpreter")
    commands = readme_next_commands()
    shown = {line.split("#")[0].split()[1] for line in commands if " -c " not in line}
    assert {"init", "check-config", "run", "classify"} <= shown, commands
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    env["PATH"] = os.pathsep.join([str(script.parent), env.get("PATH", "")])
    shell = _offline_shell() or ["bash", "-c"]
    outputs = {}
    for command in ["crisiswatch quickstart", *commands]:
        line = f"ip link set lo up && {command}" if shell[0] == "unshare" else command
        done = subprocess.run([*shell, line], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        outputs[command.split("#")[0].strip()] = done.stdout
    assert (tmp_path / "crisiswatch.yaml").is_file()
    checked = outputs["crisiswatch check-config crisiswatch.yaml"].strip()
    assert checked.endswith("OK (5 entities, 4 sources, inbox crisiswatch-data/inbox)"), checked


def readme_console_command() -> str:
    """The command of the README's block that serves the console after the quickstart."""
    text = (REPO / "README.md").read_text("utf-8")
    block = re.search(r"Serve the console on the quickstart's database:\s*```sh\n(.*?)```",
                      text, re.S)
    assert block is not None, "README.md has no console block after the quickstart"
    [line] = [line for line in block.group(1).splitlines() if line.strip()]
    return line


@pytest.mark.slow
def test_readme_console_command_serves_the_quickstart_to_its_admin(tmp_path: Path) -> None:
    """The console command as written, after the quickstart: the printed address answers and
    the printed password logs `admin` in (on a free port, so that a console already running
    on 8765 does not matter)."""
    import signal

    import httpx

    script = Path(sys.executable).with_name("crisiswatch")
    if not script.is_file():
        pytest.skip("needs the crisiswatch console script beside this interpreter")
    command = readme_console_command()
    assert command.split("#")[0].split() == [
        "crisiswatch", "-c", "crisiswatch-quickstart/crisiswatch.yaml", "web"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    env["PATH"] = os.pathsep.join([str(script.parent), env.get("PATH", "")])
    done = subprocess.run(["crisiswatch", "quickstart"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shown = re.search(r"then open http://127\.0\.0\.1:8765/ and log in as admin\n"
                      r"   with the password (\S+) ", done.stdout)
    assert shown is not None, done.stdout[-3000:]
    config = tmp_path / "crisiswatch-quickstart" / "crisiswatch.yaml"
    config.write_text(config.read_text("utf-8") + "\nweb: {port: 0}\n", encoding="utf-8")
    with subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as web:
        assert web.stdout is not None
        try:
            first = web.stdout.readline()
            assert first.startswith("web console on http://127.0.0.1:"), first
            with httpx.Client(base_url=first.split()[3], timeout=10) as browser:
                form = browser.get("/login")
                token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
                assert token is not None
                login = browser.post("/login", data={
                    "name": "admin", "password": shown.group(1), "login_csrf": token.group(1)})
                assert login.status_code == 303 and "cw_session" in browser.cookies
                assert browser.get("/account").status_code == 200
        finally:
            web.send_signal(signal.SIGINT)
        assert web.wait(30) == 0
