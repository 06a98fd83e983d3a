"""End to end through the REST channel of a running stack: what a resident meets (issue 5).

Ten policy questions get cited answers from the right articles; each worked example of
ELIGIBILITY.md §7 is pre-screened in dialogue; an emergency is answered first and its lead shows in
the staff console.
"""

from __future__ import annotations

import re

import pytest
import requests

pytestmark = pytest.mark.e2e

QUESTIONS = {
    "低保去哪里申请": "dibao_apply",
    "申请低保需要带什么材料": "dibao_materials",
    "低保金每月几号发": "dibao_payment",
    "特困人员的护理费怎么算": "tekun_care",
    "特困人员医保要自己交钱吗": "tekun_medical_insurance",
    "低保边缘家庭是什么": "near_dibao",
    "外地户口在这边出事了能申请临时救助吗": "emergency_no_hukou_limit",
    "农民工失业了没有失业保险能领什么": "uninsured_unemployed",
    "孩子上大学有什么教育救助": "education_assistance",
    "什么是低收入人口": "low_income_population",
}

# How a resident answers each question, recognised by words of the question.
ANSWERS = {
    "dibao": {"哪个省": "吉林长春", "城市": "城里", "存款": "没超"},
    "near_dibao": {"哪个省": "吉林", "几口人": "三口人", "每月总收入": "两千四", "城市": "城市", "存款": "在限额以内"},
    "rigid_expense": {
        # 1500 per person: above 吉林's 2× its lowest floor 560 (长春's floor 770 would make it 边缘)
        "哪个省": "吉林省",
        "几口人": "4口人",
        "每月总收入": "每月六千",
        "城市": "城镇",
        "存款": "符合",
        "必需开支": "五万零四百",
        "全家总收入一共": "一年七万二",
    },
    "tekun": {"哪个省": "吉林", "城市": "城里", "多少岁": "82岁", "存款": "没超", "赡养": "没有"},
}
FIRST = {
    "dibao": "三口人一个月一千二能吃低保吗",
    "near_dibao": "帮我算算能不能吃低保",
    "rigid_expense": "帮我测一下我家能申请什么",
    "tekun": "我一个人过，没收入，能申请什么",
}
VERDICT = {
    "dibao": "最低生活保障",
    "near_dibao": "低保边缘家庭",
    "rigid_expense": "刚性支出困难家庭",
    "tekun": "特困人员",
}


def admin_token(stack) -> str:
    made = stack.cli("staff", "add", "e2e管理员", "--office", "市民政局", "--region", "22", "--role", "admin")
    assert made.returncode == 0, made.stderr
    return re.search(r"[A-Za-z0-9_\-]{40,}", made.stdout).group(0)


def test_the_residents_conversation(stack):
    stack.start()

    for n, (question, article) in enumerate(QUESTIONS.items()):
        messages = stack.send(f"e2e-policy-{n}", question)
        assert messages, question
        assert messages[0]["text"].splitlines()[-1].startswith("依据："), question
        custom = next((m["custom"] for m in messages if "custom" in m), {})  # REST sends it as its own message
        assert custom.get("article") == article, (question, messages)

    for expected, first in FIRST.items():
        sender = f"e2e-screen-{expected}"
        reply = "\n".join(stack.say(sender, first))
        for _ in range(10):
            if "【初步结果】" in reply:
                break
            answer = next((a for words, a in ANSWERS[expected].items() if words in reply), None)
            assert answer is not None, f"{expected}: no answer for {reply!r}"
            reply = "\n".join(stack.say(sender, answer))
        assert f"可能符合：{VERDICT[expected]}" in reply, reply
        assert "民政部门" in reply and "依据：" in reply

    # An emergency in the middle of a pre-screen: advice first, then consent, phone, place, the lead.
    sender = "e2e-emergency"
    stack.say(sender, "帮我算算能不能吃低保")
    advice = "\n".join(stack.say(sender, "我家着火了，房子烧没了"))
    assert advice.index("119") < advice.index("临时救助") and "不受户籍" in advice
    assert any("手机号" in t for t in stack.say(sender, "好的"))
    assert any("发生在哪里" in t for t in stack.say(sender, "13912345678"))
    filed = stack.send(sender, "长春市朝阳区前进街道")
    lead_id = next(m["custom"]["lead_id"] for m in filed if m.get("custom", {}).get("lead_id"))
    assert "继续测算" in "\n".join(m.get("text", "") for m in filed)

    token = admin_token(stack)
    lead = requests.get(
        f"{stack.api_url}/api/v1/leads/{lead_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    assert lead["lead"]["conversation_id"] == sender
    assert (lead["lead"]["cause"], lead["lead"]["severity"], lead["lead"]["region"]) == ("disaster", "urgent", "220104")
    assert lead["lead"]["contact"]["phone"] == "13912345678"
    browser = requests.Session()  # the console signs in with the token and keeps a session cookie
    browser.post(f"{stack.api_url}/console/login", data={"token": token}, timeout=30)
    console = browser.get(f"{stack.api_url}/console/", timeout=30)
    assert console.status_code == 200 and "我家着火了" in console.text

    # The interrupted pre-screen resumes where it was.
    assert any("哪个省" in t for t in stack.say(sender, "继续测算"))
    assert stack.stop() == 0
