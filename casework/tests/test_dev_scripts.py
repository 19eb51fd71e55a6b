"""The development commands work as the README and `make run` print them."""

import os
import re
import subprocess

from casework.tests.sqlite_env import ROOT, child_env


def test_make_totp_prints_the_demo_managers_code_without_any_settings_in_the_environment(sqlite_file):
    env = child_env(sqlite_file, sqlite_file.parent)
    seed = "import sys; from accounts import demo; demo.seed(sys.stdout)"
    subprocess.run([str(ROOT / "scripts/manage"), "shell", "-c", seed], cwd=ROOT, env=env, check=True, timeout=300)
    # As a person would type it: no DEBUG, no SECRET_KEY (scripts/manage sets them like make run).
    for name in ("DEBUG", "SECRET_KEY"):
        env.pop(name)

    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "totp", "USER=manager"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d{6}\n", result.stdout)


def test_make_totp_without_a_user_explains_itself():
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "totp"],
        cwd=ROOT,
        env={**os.environ, "USER": "someone"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "Usage: make totp USER=<demo username>" in result.stderr


def test_stopping_make_run_is_a_clean_exit():
    """Ctrl-C or TERM ends scripts/run successfully, so make reports no error."""
    script = (ROOT / "scripts/run").read_text()

    assert "trap 'cleanup; exit 0' INT TERM" in script
