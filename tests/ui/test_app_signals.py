"""The window started from a terminal closes cleanly on Ctrl+C, like any command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_in_the_terminal_closes_the_window(tiny_models: Path, tmp_path: Path, signum: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    app = subprocess.Popen([sys.executable, "-m", "cbir_desktop.ui.app", "--library", str(tmp_path / "lib")],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log = tmp_path / "state" / "cbir-desktop" / "log" / "cbir-desktop.log"
        deadline = time.monotonic() + 60
        while not (log.is_file() and "Ctrl+C in the terminal closes it" in log.read_text()):
            assert time.monotonic() < deadline and app.poll() is None, "the window did not start"
            time.sleep(0.2)
        app.send_signal(signum)
        output, _ = app.communicate(timeout=20)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, output
    assert "Traceback" not in output and f"signal {int(signum)}: closing" in log.read_text()
