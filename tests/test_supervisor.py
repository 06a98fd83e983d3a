"""The one-machine supervisor with real child processes: a child that dies is restarted with a growing
delay, one that keeps dying stops the product; Rasa's API is never started without a token."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot import supervisor
from bot.settings import Settings
from bot.supervisor import Child, NotSecure, secured


def _settings(tmp_path, **values) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 's.db'}", **values)


def test_a_public_host_without_a_token_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(NotSecure) as refused:
        secured(_settings(tmp_path, host="0.0.0.0"))
    assert "JIUZHU_RASA_AUTH_TOKEN" in str(refused.value) and "令牌" in str(refused.value)
    given = secured(_settings(tmp_path, host="0.0.0.0", rasa_auth_token="from-the-secret-store"))
    assert given.rasa_auth_token.get_secret_value() == "from-the-secret-store"


def test_on_loopback_a_token_is_generated_once_and_kept(tmp_path, monkeypatch):
    from bot import local_secrets

    monkeypatch.setattr(local_secrets, "VAR_DIR", tmp_path / "var")
    first = secured(_settings(tmp_path)).rasa_auth_token.get_secret_value()
    again = secured(_settings(tmp_path)).rasa_auth_token.get_secret_value()
    assert len(first) == 64 and first == again
    assert (tmp_path / "var" / "rasa_api.token").stat().st_mode & 0o077 == 0  # the owner's only
    assert first not in " ".join(supervisor.rasa_argv(secured(_settings(tmp_path)), "m.tar.gz"))  # not in `ps`
    assert supervisor.rasa_process_env(secured(_settings(tmp_path)))["JIUZHU_RASA_AUTH_TOKEN"] == first


def test_restart_delays_double_and_give_up_after_repeated_deaths():
    child = Child("x", [], None)
    delays = [supervisor._restart_delay(child, float(t)) for t in range(supervisor.RESTART_LIMIT)]
    assert delays[:4] == [1, 2, 4, 8] and delays[-1] is None
    calm = Child("y", [], None)
    assert supervisor._restart_delay(calm, 0.0) == 1
    assert supervisor._restart_delay(calm, supervisor.RESTART_WINDOW_SECONDS + 1.0) == 1  # old deaths forgotten


def _run(tmp_path, monkeypatch, procs):
    monkeypatch.setattr(supervisor, "children", lambda *args, **kwargs: procs)
    monkeypatch.setattr(supervisor, "RESTART_DELAY_SECONDS", 0.05)
    return asyncio.run(asyncio.wait_for(supervisor.supervise(_settings(tmp_path, rasa_auth_token="t"), "m"), 60))


def test_a_child_that_dies_once_is_restarted_and_the_product_goes_on(tmp_path, monkeypatch):
    marker = tmp_path / "died-once"
    runs = tmp_path / "runs"
    # Dies the first time (once started: a child dead while starting stops the start), then keeps running.
    flaky = (
        "import pathlib, sys, time\n"
        f"runs = pathlib.Path({str(runs)!r}); runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x')\n"
        f"m = pathlib.Path({str(marker)!r})\n"
        "if not m.exists():\n    m.write_text('1'); time.sleep(1); sys.exit(3)\n"
        "time.sleep(60)\n"
    )
    stopper = (
        "import os, pathlib, signal, time\n"
        f"runs = pathlib.Path({str(runs)!r})\n"
        "while not (runs.exists() and len(runs.read_text()) >= 2): time.sleep(0.05)\n"
        "os.kill(os.getppid(), signal.SIGTERM)\n"
        "time.sleep(60)\n"
    )
    procs = [
        Child("flaky", [sys.executable, "-c", flaky], None),
        Child("stopper", [sys.executable, "-c", stopper], None),
    ]
    assert _run(tmp_path, monkeypatch, procs) == 0  # stopped by the signal, not by the death
    assert runs.read_text() == "xx"  # started, died, restarted


def test_a_child_that_keeps_dying_stops_everything_with_an_error(tmp_path, monkeypatch, caplog):
    procs = [
        Child("broken", [sys.executable, "-c", "import sys, time; time.sleep(1); sys.exit(4)"], None),
        Child("fine", [sys.executable, "-c", "import time; time.sleep(60)"], None),
    ]
    assert _run(tmp_path, monkeypatch, procs) == 1
    assert all(c.process.returncode is not None for c in procs)  # the healthy one is stopped too
    assert "broken exited with code 4" in caplog.text and "restarting it" in caplog.text
