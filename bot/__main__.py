"""Command line: `python -m bot <command>`.

run [--instances N]       migrate, start the action server(s), the Rasa server(s) and the API, supervise them
rasa-instance             one Rasa server (with /metrics and /ready) as `run` starts each: containers, N machines
actions                   one action server as `run` starts each
api                       run only the project's HTTP API (screening, regions)
notify                    run only the notification sender and escalation (bot/notify)
train                     train the Rasa model into models/ and record how long it took
migrate                   bring the database schema up to date
rasa ARGS…                run Rasa with the environment endpoints.yml expects
screen FILE [--region R] [--date D] [--json]   pre-screen a household described in a JSON file
standards-table [--date D]   the README's table: each region's 低保标准 in force on D and its source
rescreen [--date D]       re-screen the households that agreed, against the standards in force on D
                          (default today); one lead each that may now qualify for more (the notifier
                          also runs it every JIUZHU_RESCREEN_EVERY_SECONDS)
staff add NAME --office O --region R --role ROLE   create a staff account and print its token once
staff list                staff accounts
handoffs list             open handoff requests (转人工) waiting for staff
handoffs resume ID --by NAME   hand conversation ID back to the bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

from bot import logs
from bot.settings import PROJECT_ROOT, get_settings

MODEL_NAME = "jiuzhu"
MODELS_DIR = PROJECT_ROOT / "models"


def _rasa_env() -> dict:
    from bot.supervisor import rasa_process_env

    return rasa_process_env(get_settings())


def cmd_rasa(args: List[str]) -> int:
    os.chdir(PROJECT_ROOT)
    os.execvpe(sys.executable, [sys.executable, "-m", "bot.channels.rasa_server", *args], _rasa_env())
    return 0  # not reached


def cmd_train(_args: argparse.Namespace) -> int:
    MODELS_DIR.mkdir(exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "bot.channels.rasa_server",
        "train",
        "--fixed-model-name",
        MODEL_NAME,
        "--out",
        str(MODELS_DIR),
    ]
    started = time.monotonic()
    code = subprocess.call(argv, cwd=PROJECT_ROOT, env=_rasa_env())
    seconds = time.monotonic() - started
    if code == 0:
        # Rasa reuses cached components, so this is not the time of a full training (bench/turn_latency times that).
        print(f"训练完成 / trained in {seconds:.1f}s → {MODELS_DIR / (MODEL_NAME + '.tar.gz')}")
    return code


def cmd_migrate(_args: argparse.Namespace) -> int:
    from bot import migrate

    migrate.upgrade()
    print("数据库已是最新结构 / database schema is up to date")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.supervisor import supervise

    model = Path(args.model)
    if not model.exists():
        print(f"找不到模型 {model}：请先运行 `make train`（或 `python -m bot train`）。", file=sys.stderr)
        return 2
    from bot.supervisor import NotScalable

    settings = get_settings()
    instances = args.instances or settings.instances
    try:
        return asyncio.run(supervise(settings, str(model), instances))
    except NotScalable as error:
        print(str(error), file=sys.stderr)
        return 2


def cmd_rasa_instance(args: argparse.Namespace) -> int:
    """One Rasa server exactly as `run` starts each instance: for containers and machines of their own."""
    from bot.supervisor import NotSecure, rasa_argv, rasa_process_env, secured

    try:
        settings = secured(get_settings())
    except NotSecure as error:
        print(str(error), file=sys.stderr)
        return 2
    os.chdir(PROJECT_ROOT)
    argv = rasa_argv(settings, args.model)
    os.execvpe(argv[0], argv, rasa_process_env(settings))
    return 0  # not reached


def cmd_actions(_args: argparse.Namespace) -> int:
    """One action server exactly as `run` starts each instance's."""
    from bot.supervisor import action_argv, rasa_process_env

    settings = get_settings()
    os.chdir(PROJECT_ROOT)
    argv = action_argv(settings)
    os.execvpe(argv[0], argv, rasa_process_env(settings))
    return 0  # not reached


def cmd_api(_args: argparse.Namespace) -> int:
    settings = get_settings()
    # The workers' metrics files (bot/metrics.py), set before prometheus_client is imported; emptied,
    # or the counts of a previous run would be added to this one's.
    metrics_dir = PROJECT_ROOT / "var" / f"metrics-api-{settings.api_port}"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    from bot.api.app import run

    run(settings.host, settings.api_port, settings.api_workers)
    return 0


def cmd_rescreen(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot import runtime

    on = dt.date.fromisoformat(args.date) if args.date else None
    report = runtime.rescreener().run(on)
    print(f"重新测算完成 / re-screen done: {report}")
    return 0


def cmd_standards_table(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.eligibility.engine import seed_book
    from bot.standards.table import region_table

    print(region_table(seed_book(), dt.date.fromisoformat(args.date) if args.date else dt.date.today()))
    return 0


def cmd_notify(_args: argparse.Namespace) -> int:
    from bot import runtime
    from bot.notify.service import serve

    asyncio.run(serve(get_settings(), runtime.sessions()))
    return 0


def cmd_handoffs_list(_args: argparse.Namespace) -> int:
    from bot import runtime

    open_requests = runtime.handoff_service().list_open()
    if not open_requests:
        print("没有等待处理的转人工请求。")
        return 0
    for handoff in open_requests:
        print(
            f"#{handoff.id}  会话 {handoff.conversation_id}  渠道 {handoff.channel}  时间 {handoff.requested_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        for line in handoff.transcript:
            who = "居民" if line["speaker"] == "user" else "助手"
            print(f"    {who}：{line['text']}")
    return 0


def cmd_handoffs_resume(args: argparse.Namespace) -> int:
    from bot import runtime
    from bot.handoff import HandoffNotFound
    from bot.rasa_client import RasaApiError, resume_conversation

    service = runtime.handoff_service()
    if service.get_open(args.conversation_id) is None:
        print(f"会话 {args.conversation_id} 没有等待处理的转人工请求。", file=sys.stderr)
        return 1
    try:
        # Rasa first: if it is unreachable the request stays open and can be retried.
        asyncio.run(resume_conversation(get_settings(), args.conversation_id))
    except RasaApiError as error:
        print(f"未能恢复机器人应答（Rasa 服务不可用？）：{error}", file=sys.stderr)
        return 1
    try:
        handoff = service.resume(args.conversation_id, by=args.by)
    except HandoffNotFound:
        print(f"会话 {args.conversation_id} 的请求已被他人处理。", file=sys.stderr)
        return 1
    print(f"已将会话 {handoff.conversation_id} 交还机器人（请求 #{handoff.id}，处理人 {handoff.resumed_by}）。")
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    import datetime as dt

    from pydantic import ValidationError

    from bot.eligibility import Household, ScreeningError, screen
    from bot.eligibility.explain import explain
    from bot.input_errors import describe

    try:
        raw = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"读不了家庭信息文件 {args.file}：{error}", file=sys.stderr)
        return 2
    if not isinstance(raw, dict):
        print("家庭信息文件应是一个 JSON 对象。", file=sys.stderr)
        return 2
    if args.region:
        raw["region"] = args.region
    try:
        on = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
        result = screen(Household(**raw), on)
    except ValidationError as error:
        for problem in describe(error):
            print(f"输入有误：{problem['message_zh']} — {problem['field']}: {problem['message']}", file=sys.stderr)
        return 2
    except ScreeningError as error:
        print(f"无法判断：{error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a bad --date
        print(f"日期应为 YYYY-MM-DD：{error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else explain(result))
    return 0


def cmd_staff_add(args: argparse.Namespace) -> int:
    from bot import runtime
    from bot.leads import StaffRole

    try:
        member, token = runtime.staff_service().create(args.name, args.office, args.region, StaffRole(args.role))
    except ValueError as error:
        print(f"无法创建账号：{error}", file=sys.stderr)
        return 2
    print(f"已创建账号 #{member.id}：{member.name}（{member.office}，地区 {member.region}，{member.role.value}）")
    print(f"令牌（只显示这一次，请妥善保存）：{token}")
    return 0


def cmd_staff_list(_args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot import runtime
    from bot.leads import Staff

    with runtime.sessions()() as session:
        for member in session.scalars(select(Staff).order_by(Staff.id)):
            state = "" if member.active else "（已停用）"
            print(f"#{member.id}  {member.name}  {member.office}  地区 {member.region}  {member.role.value}{state}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="jiuzhu 救助助手")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start every server under one supervisor")
    run.add_argument("--model", default=str(MODELS_DIR / f"{MODEL_NAME}.tar.gz"))
    run.add_argument(
        "--instances",
        type=int,
        choices=range(1, 33),
        metavar="N",
        help="N Rasa + action servers behind haproxy (needs PostgreSQL and Redis); default JIUZHU_INSTANCES or 1",
    )
    run.set_defaults(func=cmd_run)
    instance = sub.add_parser("rasa-instance", help="one Rasa server as `run` starts each (containers, N machines)")
    instance.add_argument("--model", default=str(MODELS_DIR / f"{MODEL_NAME}.tar.gz"))
    instance.set_defaults(func=cmd_rasa_instance)
    sub.add_parser("actions", help="one action server as `run` starts each").set_defaults(func=cmd_actions)
    sub.add_parser("train", help="train the Rasa model").set_defaults(func=cmd_train)
    sub.add_parser("api", help="run the project's HTTP API").set_defaults(func=cmd_api)
    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)
    sub.add_parser("notify", help="run the notification sender and escalation").set_defaults(func=cmd_notify)
    sub.add_parser("rasa", help="run rasa with our environment (arguments pass through)")

    screen = sub.add_parser("screen", help="pre-screen a household from a JSON file")
    screen.add_argument("file")
    screen.add_argument("--region", help="region code, overrides the file's")
    screen.add_argument("--date", help="YYYY-MM-DD; default today")
    screen.add_argument("--json", action="store_true", help="print the result as JSON")
    screen.set_defaults(func=cmd_screen)
    rescreen = sub.add_parser("rescreen", help="re-screen consenting households against today's standards")
    rescreen.add_argument("--date", help="YYYY-MM-DD; default today")
    rescreen.set_defaults(func=cmd_rescreen)
    table = sub.add_parser("standards-table", help="the README's table of 低保 standards per region")
    table.add_argument("--date", help="YYYY-MM-DD; default today")
    table.set_defaults(func=cmd_standards_table)

    staff = sub.add_parser("staff", help="staff accounts of the warning queue")
    ssub = staff.add_subparsers(dest="staff_command", required=True)
    add = ssub.add_parser("add", help="create an account and print its token")
    add.add_argument("name")
    add.add_argument("--office", required=True, help="e.g. 朝阳区前进街道")
    add.add_argument("--region", required=True, help="administrative code the account covers, e.g. 220104001")
    add.add_argument("--role", required=True, choices=["township_staff", "county_supervisor", "admin"])
    add.set_defaults(func=cmd_staff_add)
    ssub.add_parser("list", help="all accounts").set_defaults(func=cmd_staff_list)

    handoffs = sub.add_parser("handoffs", help="handoff requests (转人工)")
    hsub = handoffs.add_subparsers(dest="handoff_command", required=True)
    hsub.add_parser("list", help="open requests").set_defaults(func=cmd_handoffs_list)
    resume = hsub.add_parser("resume", help="hand a conversation back to the bot")
    resume.add_argument("conversation_id")
    resume.add_argument("--by", required=True, help="who handled it (staff name)")
    resume.set_defaults(func=cmd_handoffs_resume)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rasa"]:
        return cmd_rasa(argv[1:])  # everything after `rasa` belongs to Rasa
    settings = get_settings()
    level = settings.log_level
    logs.configure(level, settings.log_format)
    if level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)  # a line per plugin and migration on every start
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        sys.exit(0)
