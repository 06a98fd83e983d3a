"""The fault test: `python -m bot notify` SIGKILLed while the robot holds its message, then another
sender started — nothing lost, at most one duplicate (the message in flight), and the counts printed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from bot.settings import PROJECT_ROOT
from tests.fakes.notify import FakeWeComRobot, counts
from tests.notify.common import file_leads, outbox_ids, outbox_rows, robot_route

LEADS = 12


def start_sender(database_url: str, robot_url: str) -> subprocess.Popen:
    route = {"name": "chaoyang-robot", "region": "220104", "channel": "wecom_robot", "key": "robot-key-0001"}
    env = dict(
        os.environ,
        JIUZHU_DATABASE_URL=database_url,
        JIUZHU_NOTIFY_ROUTES=json.dumps([{**route, "webhook_base": robot_url}]),
        JIUZHU_NOTIFY_POLL_SECONDS="0.2",
        JIUZHU_NOTIFY_SEND_TIMEOUT_SECONDS="2",
        JIUZHU_NOTIFY_LEASE_SECONDS="6",
        JIUZHU_NOTIFY_RETRY_BASE_SECONDS="0.5",
        JIUZHU_NOTIFY_PER_MINUTE="1000",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "notify"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL
    )


def test_sender_killed_mid_send_loses_nothing_and_duplicates_at_most_one(database_url, sessions):
    robot = FakeWeComRobot(per_minute=1000)
    robot.start()
    robot.delay = 1.0  # the robot takes each message, then answers a second later
    first = second = None
    try:
        file_leads(sessions, [robot_route(robot.url)], LEADS)
        first = start_sender(database_url, robot.url)
        # Killed while the robot holds a message it has taken, a few messages into the batch.
        robot.wait_for(lambda: len(robot.received) >= 3, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = len(robot.received)
        robot.delay = 0
        second = start_sender(database_url, robot.url)
        deadline = time.monotonic() + 60
        while not all(row["state"] == "sent" for row in outbox_rows(sessions)):
            assert time.monotonic() < deadline, "not everything was delivered after the restart"
            time.sleep(0.2)
        time.sleep(1)  # a duplicate would arrive now
        result = counts(robot.numbers(), outbox_ids(sessions))
        print(
            f"\nsender SIGKILLed mid-send ({database_url.split(':')[0]}, after {killed_at} message(s)): "
            f"delivered {result['delivered']}, lost {result['lost']}, duplicates {result['duplicates']}"
        )
        assert result["delivered"] == LEADS and result["lost"] == 0
        assert result["duplicates"] <= 1 and robot.repeated_messages() <= 1
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
        robot.stop()
