"""Whole conversations through the core (no Rasa): each reply read against the question it answers."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation.dialogue import CONSENT_PROMPT, Dialogue, Message
from bot.policies import default_desk


class Resident:
    """Plays a conversation; the leads the dialogue hands over are kept to be counted."""

    def __init__(self, intent: str | None = None) -> None:
        self.leads = []
        self.dialogue = Dialogue(default_desk(), self._file, today=lambda: dt.date(2026, 11, 23))
        self.state = None
        self.intent = intent
        self.n = 0

    def _file(self, request):
        self.leads.append(request)
        return f"L{len(self.leads)}"

    def say(self, text: str, intent: str | None = None) -> str:
        self.n += 1
        message = Message(
            text=text, message_id=f"m{self.n}", sender_id="r1", intent=intent or self.intent, confidence=0.9
        )
        outcome = self.dialogue.turn(self.state, message)
        self.state = outcome.state
        self.handoff = outcome.handoff
        return outcome.text


def screening(first: str = "帮我算算能不能吃低保") -> Resident:
    resident = Resident()
    resident.say(first, intent="start_prescreen")
    return resident


@pytest.mark.parametrize(
    "answer",
    [
        "我妈前年住过院 现在好了",
        "俺爸尿毒症好几年了 一直透析",
        "存款没多少 住的是我爸留下的平房",
        "去年脑梗过 现在能走路",
    ],
)
def test_everyday_answers_inside_a_prescreen_are_not_emergencies(answer):
    resident = screening()
    resident.say("吉林长春")
    reply = resident.say(answer)
    assert "120" not in reply and CONSENT_PROMPT not in reply and resident.leads == []


def test_a_real_emergency_mid_prescreen_comes_first_then_the_screen_resumes():
    resident = screening()
    resident.say("吉林长春")
    resident.say("四口人")
    reply = resident.say("我爸刚才晕过去了 叫不醒")
    assert reply.startswith("有生命危险请立即拨打120")
    resident.say("可以 电话是13912345678 别让他知道")
    reply = resident.say("长春市朝阳区")
    assert "线索编号 L1" in reply and "继续测算" in reply
    assert resident.leads[0].phone == "13912345678" and resident.leads[0].consent
    # With consent the lead carries the pre-screen's facts, to be re-screened when a standard changes.
    assert resident.leads[0].household["region"] == "220100" and resident.leads[0].household["size"] == 4
    reply = resident.say("继续测算")
    assert "收入" in reply and "几口人" not in reply  # the facts given before are kept


def test_a_question_at_the_consent_prompt_is_answered_then_asked_once_more():
    resident = Resident()
    resident.say("我家房子着火了")
    reply = resident.say("外地户口也能申请临时救助吗")
    assert "依据" in reply and "手机号" in reply and resident.leads == []
    resident.say("不方便")
    assert len(resident.leads) == 1 and resident.leads[0].phone is None and resident.leads[0].household is None


def test_unclear_consent_replies_never_loop_more_than_twice():
    resident = Resident()
    resident.say("我不想活了")
    resident.say("这个")
    resident.say("那个")
    assert len(resident.leads) == 1 and resident.state["emergency"] is None


def test_stop_then_resume_continues_with_the_facts_given():
    resident = screening()
    resident.say("长春 三口人")
    resident.say("不测了")
    reply = resident.say("接着算")
    assert "几口人" not in reply and "哪个省" not in reply


def test_a_policy_question_mid_prescreen_is_answered_and_the_question_comes_back():
    resident = screening()
    resident.say("吉林长春")
    pending = resident.state["screen"]["pending"]
    reply = resident.say("低保去哪里申请啊")
    assert "依据" in reply and resident.state["screen"]["pending"] == pending


def test_a_correction_after_the_result_rescreens_and_says_what_changed():
    resident = screening("三口人一个月一千二能吃低保吗")
    for answer in ["吉林长春", "城里", "不知道"]:
        reply = resident.say(answer)
    reply = resident.say("不对 是四口人")
    assert "4口人" in reply and "重新算" in reply


def test_misunderstood_twice_offers_a_person():
    resident = Resident(intent="nlu_fallback")
    assert resident.say("嗯啊哦") == "<utter_ask_rephrase>"
    assert resident.say("哦哦哦") == "<utter_offer_handoff>"


def test_a_person_asked_for_mid_prescreen_keeps_the_household():
    resident = screening()
    resident.say("长春 三口人")
    resident.say("我要转人工")
    assert resident.handoff and resident.state["paused"]["household"]["size"] == 3


def test_a_sum_answering_the_spending_question_is_not_also_the_income():
    resident = screening("帮俺算算低保 长春双阳区 城里 三口人 一个月四千五")
    assert resident.state["screen"]["pending"] == "rigid_expense_12m"
    resident.say("没多少 一年也就三四千")
    household = (resident.state["screen"] or resident.state["last"])["household"]
    assert household["monthly_income"] == "4500" and household["rigid_expense_12m"] == "3500"


def test_the_missing_fact_after_an_undecided_result_continues_the_screening():
    resident = screening("大同云州区农村的 三口人 一个月就五六百块 够低保不")
    reply = resident.say("不知道 钱都是俺媳妇管着")
    assert "还需要" in reply or "还缺少" in reply
    reply = resident.say("俺问了 存款就八千来块 别的啥也没有")
    assert "可能符合：最低生活保障" in reply


def test_a_question_that_also_answers_gets_both():
    resident = screening("菏泽市里 四口人 一个月2.8k 够边缘户不")
    while "存款" not in (reply := resident.say("市里")):
        pass
    reply = resident.say("限额是多少啊？俺家就一套住的房子 存款几千块")
    assert "依据" in reply and "存款" not in reply.splitlines()[-1]  # answered, and not asked again
    assert resident.state["screen"] is None or resident.state["screen"]["pending"] != "assets_within_limit"


def test_a_household_described_with_size_and_income_starts_a_screen():
    resident = Resident(intent="ask_policy")
    reply = resident.say("临沂兰山区 家里四口人 俩孩子都上学 一个月收入六千四 就是钱花没了")
    assert resident.state["screen"] is not None and "几口人" not in reply


def test_a_question_about_the_registration_itself_is_explained_at_the_consent_prompt():
    resident = Resident()
    resident.say("俺家老头子突然中风了 送到医院了")
    reply = resident.say("你们把我信息给谁啊 会不会泄露")
    assert "只给负责处理的工作人员" in reply and "手机号" in reply and resident.leads == []


def test_distress_after_a_self_harm_lead_gets_the_crisis_line_again():
    resident = Resident()
    resident.say("欠了一屁股债 不想活了")
    resident.say("不用")
    assert len(resident.leads) == 1
    assert "12356" in resident.say("也没人管俺")


def test_asking_what_the_assistant_can_do_is_answered():
    assert Resident(intent="goodbye").say("那你能干啥") == "<utter_greet>"


def test_the_area_said_in_a_question_is_not_asked_again_in_the_screen():
    resident = Resident()
    resident.say("低保边缘户是咋认定的 俺家在吉林舒兰 农村的", intent="ask_policy")
    reply = resident.say("那俺家能算上不 帮俺测测", intent="start_prescreen")
    assert "农村" not in reply and resident.state["screen"]["household"]["area"] == "rural"


def test_what_only_the_learned_detector_sees_gets_advice_and_a_lead_only_if_asked():
    from bot.conversation.emergency import detect, likely

    text = "俺家娃丢了找了一下午了咋办啊"
    assert detect(text) is None and likely(text)  # the case this path is for
    declined = Resident()
    reply = declined.say(text)
    assert reply.startswith("如有生命危险") and "需要" in reply
    declined.say("不用")
    assert declined.leads == []
    agreed = Resident()
    agreed.say(text)
    agreed.say("需要 13912345678")
    agreed.say("长春市朝阳区")
    assert len(agreed.leads) == 1 and agreed.leads[0].phone == "13912345678"


def test_what_now_after_an_emergency_is_the_relief_that_follows_it():
    resident = Resident()
    resident.say("厨房着火了 怎么办")
    resident.say("不用")
    reply = resident.say("火灭了 东西都烧没了 以后找谁")
    assert "临时救助" in reply and "乡镇" in reply and "依据" in reply


def test_asking_where_always_gets_where():
    resident = Resident(intent="ask_policy")
    resident.say("俺爷爷上个月走了 听说丧葬费能减免 俺家是低保边缘户 能办不")
    reply = resident.say("那要去哪办 带啥")
    assert "乡镇" in reply and reply.splitlines()[-1].startswith("依据：")


def test_a_reaction_to_a_result_gets_what_may_still_help():
    resident = screening("天门的 三口人 一个月六千 城区 没存款")
    resident.say("一年也就五千来块")  # the spending
    reply = resident.say("一年七万二")  # the income over 12 months
    assert "【初步结果】" in reply
    reply = resident.say("那俺家啥也不是呗")
    assert "临时救助" in reply and "专项" in reply
