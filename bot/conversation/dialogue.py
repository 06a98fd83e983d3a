"""The resident's conversation, turn by turn, in one place and without Rasa.

Every message of a conversation goes through `Dialogue.turn` with the state the previous turn left
(a JSON-able dict any channel can keep: a Rasa slot, a hotline call record). The state says what the
assistant is doing — a pre-screen waiting for an answer, an emergency collecting consent, nothing —
and what it knows — the household so far, the last result, the last topic, the region — so that each
reply is read first as an answer to the question that was asked, and follow-ups keep their context.

What a message means is decided here, in this order:
1. an emergency the rules see (knowledge/rules/emergency.yaml), at any point: what to do now first;
2. inside the emergency's consent / phone / place prompts: the answer to that prompt (a question is
   answered and the prompt asked once more; after two unclear replies the lead is filed without them);
3. a person asked for (转人工), stop (不测了) and resume (继续测算);
4. inside a pre-screen: a policy question is answered and the pending question asked again; anything
   else is the answer to the pending question (facts stated anywhere are taken, corrections re-screen);
5. outside: a new pre-screen, a correction or a missing fact after a result (re-screened), a policy
   question (with the previous topic as context), small talk, or a request to rephrase.
The classifier's intent is a hint for 5 only: inside a prompt the question asked decides.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, List, Optional, Protocol

from bot.conversation import prescreen
from bot.conversation.emergency import Emergency, detect, generic_advice, likely, relief_advice
from bot.conversation.facts import (
    UNKNOWN,
    correction,
    facts_in,
    find_region,
    is_dont_know,
    is_stop,
    parse_answer,
    parse_consent,
)
from bot.privacy import find_phone

STATE_VERSION = 1
UNKNOWN_REGION = "000000"  # no place known: the lead waits for an admin to route it
MAX_PROMPTS = 2  # an emergency prompt is asked at most this many times, then the lead is filed without it
OFFER_HANDOFF_AFTER_MISSES = 2

CONSENT_PROMPT = (
    "需要的话，我可以把您的情况转给当地民政工作人员，请他们尽快联系您。同意的话请直接回复手机号；不需要请回复“不用”。"
)
CONFIRM_PROMPT = (
    "如果您或家人现在遇到了急事，需要我把情况转给当地民政工作人员，请他们联系您吗？"
    "需要请回复手机号或“需要”；不需要请回复“不用”。"
)
PHONE_PROMPT = "好的，请留一个能联系到您的手机号；不想留可以回复“不用”。"
PLACE_PROMPT = "事情发生在哪里？请说到市（县）和街道（乡镇），比如“长春市朝阳区前进街道”，方便转给当地工作人员；不清楚可以回复“不知道”。"
PROMPT_AGAIN = "请回复“同意”或直接发手机号；不需要的话回复“不用”。"
NOT_SURE = (
    "这个问题我没有把握答准，不想给您说错。您可以换个说法再问一次，比如“低保边缘家庭是什么”“临时救助怎么申请”；"
    "也可以说“转人工”，或拨打12345政务服务便民热线。"
)
PRESCREEN_HINT = "想知道自己家能不能申请，可以说“帮我算算”，我一步步帮您初步测算。"
FILE_FAILED = "抱歉，登记暂时没有成功。请直接拨打12345政务服务便民热线说明情况；有生命危险请拨打110、120。"
RESUME_HINT = "刚才的初步测算先暂停了，想接着算请说“继续测算”。"
NOTHING_TO_RESUME = "好的，我们从头开始。"

SMALL_TALK = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thanks": "utter_thanks",
    "bot_challenge": "utter_iamabot",
    "affirm": "utter_affirm_unprompted",
    "deny": "utter_affirm_unprompted",
}
PRESCREEN_INTENTS = {"start_prescreen", "inform"}
# A question the resident asks (rather than an answer they give).
_QUESTION = re.compile(
    # 没多少 / 没啥存款 / 啥也没有 are answers, not questions.
    r"[?？]|[吗么嘛呢]\s*$|[吗么嘛呢][，,。\s]|怎么|咋|(?<![没])(?:啥|什么)(?![也都])|(?<![没不])多少|"
    r"哪[里儿个些]?(?![有来])|几[天个年月]|多久|多长时间|"
    r"能不能|可不可以|可以不|行不行|是不是|算不算|有没有(?!.*(?:存款|车|房))|会不会|要不要|得找谁|找谁|能[^，,。]{0,8}不\s*$"
)
# Asking whether the household qualifies: with facts, this starts a pre-screen.
_ELIGIBILITY_ASK = re.compile(
    r"能(?:不能)?(?:吃|办|申请|享受|评上|批|领|拿|算)|能.{0,6}[吗不]|够不够|符(?:不符)?合|够(?:不够)?(?:条件|格)|"
    r"有(?:没有)?资格|算不算|帮.{0,3}(?:算|测|看)|测[一]?测|评估|有啥(?:救助|补助|帮扶|政策)|能有啥"
)
_RESUME = re.compile(r"继续|接着|再接着|接下去|回到(?:刚才的)?测算|往下(?:算|问)|恢复")
_HANDOFF = re.compile(
    r"转人工|人工(?:客服|服务)|找(?:个)?(?:真人|人工|活人|工作人员)|要(?:个)?(?:真人|人工)|(?:跟|和)(?:真人|活人)(?:说|聊|讲)|"
    r"真人(?:客服|来)|让(?:工作人员|人)(?:来)?(?:跟|和)我(?:说|聊)"
)
# Asking for a screen in so many words (not “what would we get”, which is a policy question).
_SCREEN_REQUEST = re.compile(
    r"帮(?:我|俺|咱|我们|俺们|咱们)?(?:家)?(?:算|测|看看|查查|评估)|测一?测|算一?算|测算|"
    r"(?:测|算|评)(?:一下|下|个)?(?:低保|特困|边缘|刚性)|"
    r"看看.{0,6}(?:能不能|够不够|符不符合|行不行)|评估一下"
)
# A follow-up that leans on the previous answer: “那农村的呢”“那山东的呢”.
_FOLLOW_UP = re.compile(r"^(?:那|那么|那要是)?.{0,12}(?:的呢|呢)[？?]?$")
# Words of our own field: a message with them is not out of scope, whatever the classifier says.
_DOMAIN = re.compile(r"低保|特困|边缘|救助|补助|补贴|材料|申请|低收入|五保|困难|民政")
_DISTRESS = re.compile(r"没人管|没人理|没意思|没意义|没盼头|没用|活着|不想|撑不|难受|受不了|一个人|孤单|绝望|累")
CRISIS_AGAIN = (
    "我在听。您不是一个人，这些难处可以一起想办法。心里难受的时候，请拨打12356心理援助热线（24小时）聊一聊；"
    "有危险请马上拨打110或120。当地民政工作人员也会联系您。想和真人说话，随时说“转人工”。"
)
_ASKS_WHERE = re.compile(r"去哪|哪里|哪儿|在哪|找谁|找哪|哪个部门|上哪")
_NAMES_WHERE = re.compile(r"乡镇|街道|民政|村（居）委会|村委会|居委会|部门|12345")
# After an emergency was filed: “以后找谁”“那咋办” is about help after it, 临时救助 first.
_AFTER_WHAT_NOW = re.compile(r"以后|往后|接下来|然后|咋办|怎么办|找谁|咋整|能有啥帮|有啥帮助")
# A reaction to a result (“那俺家啥也不是呗”): what may still help.
_RESULT_REACTION = re.compile(
    r"啥也不是|什么都不是|都不符合|不够格|没戏|没指望|白测|那咋办|那怎么办|还有(?:啥|什么)(?:办法|路子|能申请)"
)
_ABOUT_REGISTERING = re.compile(
    r"信息|泄露|隐私|给谁|谁看|谁知道|登记(?:了|完)|能给钱|给钱吗|给不给钱|帮(?:我|俺|我们|俺们)(?:啥|什么)|有啥用|有用吗|管用|"
    r"会来人|来人吗|上门|多久(?:能|会)?(?:联系|打电话|来)"
)
# Asking what the assistant can do.
_CAPABILITIES = re.compile(
    r"你(?:能|会|可以)(?:干|做|嘎|帮)(?:啥|什么|哈|嘛)|(?:能|会)(?:干|做)(?:点)?(?:啥|什么)|你是干(?:啥|什么)的"
)
# What registering an emergency means, for a question asked at the consent prompt that no article answers.
CONSENT_EXPLAINED = (
    "登记的意思是：把您说的情况转给当地乡镇（街道）或县级民政部门的工作人员，由他们联系您、核实情况，"
    "符合条件的可以申请临时救助等帮助（是否救助、给多少由民政部门按规定决定）。"
    "您的电话只给负责处理的工作人员用来联系您，不会公开。"
)


MONITOR_OFFER = (
    "以后低保标准调整时，要不要我按新标准帮您重新算一下？要的话回复“可以”：只记下刚才这些家庭人口、收入情况"
    "（不记姓名、电话），新标准下可能符合时，会转给当地乡镇（街道）工作人员跟进。"
)
MONITOR_KEPT = (
    "好的，已经记下。标准调整后我会按新标准重新算，可能符合时转给当地乡镇（街道）；"
    "情况有变化也可以随时再来问我，或直接向乡镇（街道）申请。"
)
MONITOR_DECLINED = "好的，不记。有需要随时再来问我。"
_MONITOR_YES = re.compile(
    r"(?:可以|好|好的|行|要|需要|同意|麻烦了?|嗯|中|要的|可以的|好啊|行啊|愿意)[啊呀吧的了哈，,。.！!]*"
)
_MONITOR_NO = re.compile(r"(?:不用|不要|不需要|算了|不了|不用了|不必)[啊呀吧的了哈，,。.！!]*")


class Desk(Protocol):
    def answer(
        self, text: str, region: Optional[str] = None, on: Optional[dt.date] = None, context: Optional[str] = None
    ) -> Any: ...


@dataclass
class Message:
    text: str
    message_id: str
    sender_id: str
    channel: str = "web"
    intent: Optional[str] = None
    confidence: float = 0.0
    # The emergency the NLU already found in this message (detected once per message); `None` with
    # `emergency_checked` false means nobody looked yet.
    emergency: Optional[Emergency] = None
    emergency_checked: bool = False
    response: Optional[str] = None  # a retrieval response the NLU chose (out_of_scope/…)


@dataclass
class Say:
    text: Optional[str] = None
    response: Optional[str] = None  # a response of the channel's own (Rasa domain) by name
    data: Optional[dict] = None


@dataclass
class LeadRequest:
    """What the conversation hands to the lead intake; the adapter files it and reports back."""

    message_id: str  # the emergency's message: with the conversation, the lead's idempotency key
    conversation_id: str
    channel: str
    text: str
    emergency: Optional[Emergency]
    region: str
    consent: bool
    phone: Optional[str]
    place: Optional[str]
    # With consent: the pre-screen's facts so far, so the lead is re-screened when a standard changes.
    household: Optional[Dict[str, Any]] = None


@dataclass
class Outcome:
    state: Dict[str, Any]
    says: List[Say] = field(default_factory=list)
    handoff: bool = False

    def say(self, text: str, data: Optional[dict] = None) -> None:
        if text:
            self.says.append(Say(text=text, data=data))

    @property
    def text(self) -> str:
        return "\n".join(s.text or f"<{s.response}>" for s in self.says)


# What the state carries between turns that the tracker must not show in full: the phone given for an
# emergency lead not filed yet (consent, then the place, may come turns later). The adapter seals it
# on the way out and opens it on the way in (`seal_state`, `open_state`); once filed it leaves the
# state, and the lead holds it.
SEALED_FIELDS = (("emergency", "phone"),)


def seal_state(state: Dict[str, Any], seal: Callable[[str], str]) -> Dict[str, Any]:
    state = _copy(state)
    for outer, inner in SEALED_FIELDS:
        part = state.get(outer)
        if isinstance(part, dict) and isinstance(part.get(inner), str) and part[inner]:
            part[inner] = seal(part[inner])
    return state


def open_state(state: Optional[Dict[str, Any]], unseal: Callable[[Any], Any]) -> Optional[Dict[str, Any]]:
    """The state with its sealed fields opened; a seal that does not open (another secret) is as if the
    value was never given, so the question is asked again."""
    if not state:
        return state
    state = _copy(state)
    for outer, inner in SEALED_FIELDS:
        part = state.get(outer)
        if isinstance(part, dict) and part.get(inner):
            part[inner] = unseal(part[inner])
    return state


def new_state() -> Dict[str, Any]:
    return {
        "v": STATE_VERSION,
        "region": None,  # the place the resident's answers are about (home, or where they live)
        "screen": None,  # an active pre-screen (bot/conversation/prescreen.py state)
        "paused": None,  # a stopped or interrupted pre-screen that “继续测算” resumes
        "last": None,  # the household of the last result, for corrections and follow-ups
        "topic": None,  # the last policy article answered
        "emergency": None,  # an emergency collecting consent, phone and place
        "misses": 0,
        "aside": False,
        "filed": None,  # the lead filed without a phone, which a phone given later is added to
        "crisis": False,
        "after_emergency": False,  # a lead was filed: “以后找谁” is about help after the emergency  # a self-harm lead was filed: distress again gets the crisis line again  # the last reply answered a question asked mid-screen (“那农村的呢” follows it)
    }


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


class Dialogue:
    def __init__(
        self,
        desk: Desk,
        file_lead: Callable[[LeadRequest], str],
        today: Optional[Callable[[], dt.date]] = None,
        add_contact: Optional[Callable[[LeadRequest, str], str]] = None,
        monitor: Optional[Callable[[str, str, Dict[str, Any]], Any]] = None,
    ) -> None:
        """`monitor`: (conversation id, channel, household) → keeps a household that agreed to be
        re-screened when a standard changes (bot.standards.rescreen); None offers nothing."""
        self._monitor = monitor
        self._desk = desk
        self._file_lead = file_lead  # returns the lead id; raises on failure
        self._add_contact = add_contact  # (the filed request, a phone) → the lead id; raises on failure
        self._today = today or dt.date.today

    # --- the entry point -------------------------------------------------------------------------------
    def turn(self, state: Optional[Dict[str, Any]], message: Message) -> Outcome:
        state = _copy(state) if state and state.get("v") == STATE_VERSION else new_state()
        offered = state.pop("monitor_offer", None)  # the offer is answered by the next message, or lapses
        out = Outcome(state)
        text = (message.text or "").strip()
        if text.startswith("/"):  # a button or channel event names its intent (/handoff, /greet)
            message.intent, text = text[1:].split("{", 1)[0].strip() or message.intent, ""
        found = message.emergency if message.emergency_checked else (detect(text) if text else None)
        if found is not None:
            self._emergency(out, message, text, found)
        elif state["emergency"]:
            self._emergency_prompt(out, message, text)
        elif message.intent == "handoff" or (text and _HANDOFF.search(text)):
            self._handoff(out)
        elif offered and text and self._monitor_answer(out, message, text):
            pass
        elif state["screen"] and text:
            self._screen_step(out, message, text)
        else:
            self._free(out, message, text)
        return out

    # --- emergencies -----------------------------------------------------------------------------------
    def _emergency(self, out: Outcome, message: Message, text: str, found: Emergency) -> None:
        state = out.state
        out.say(found.advice)
        self._interrupt_screen(state)
        pending = state["emergency"]
        if pending:  # a second emergency before the first was filed: one lead telling both
            pending["text"] = f"{pending['text']}\n{text}"
            if _more_severe(found, pending):
                pending.update(kind=found.kind, severity=found.severity.value, cause=found.cause.value)
            pending["confirmed"] = True
        else:
            state["emergency"] = _pending(message, text, found.kind, found.severity.value, found.cause.value, True)
        self._next_prompt(out, message)

    def _unconfirmed_emergency(self, out: Outcome, message: Message, text: str) -> None:
        """The classifier alone thinks this is an emergency: say what to do now, file only if asked to."""
        state = out.state
        out.say(generic_advice())
        state["emergency"] = _pending(message, text, "other", "urgent", "other", False)
        out.say(CONFIRM_PROMPT)
        state["emergency"]["prompts"] = 1

    def _emergency_prompt(self, out: Outcome, message: Message, text: str) -> None:
        pending = out.state["emergency"]
        stage = pending["stage"]
        if message.intent == "handoff" or (text and _HANDOFF.search(text)):
            if pending["confirmed"]:
                self._file(out, message)
            else:
                out.state["emergency"] = None
            self._handoff(out)
            return
        if stage == "consent":
            agreed, phone = parse_consent(text) if text else (None, None)
            if agreed is None and _declines(text):
                agreed = False
            if agreed is True:
                pending.update(consent=True, phone=phone)
                pending["confirmed"] = True
            elif agreed is False:
                pending["consent"] = False
                if not pending["confirmed"]:
                    out.state["emergency"] = None
                    out.say("好的，不登记。如有需要随时告诉我；有生命危险请立即拨打110、120或119。")
                    self._after_emergency(out)
                    return
            elif self._answer_aside(out, text):
                pass
            elif pending["prompts"] >= MAX_PROMPTS:
                pending["consent"] = False
        elif stage == "phone":
            phone = find_phone(text)
            if phone:
                pending["phone"] = phone
            elif parse_consent(text)[0] is False or _declines(text) or is_dont_know(text):
                pending["phone"] = ""
            elif self._answer_aside(out, text):
                pass
            elif pending["prompts"] >= MAX_PROMPTS:
                pending["phone"] = ""
        elif stage == "place":
            if is_dont_know(text) or _declines(text) or parse_consent(text)[0] is False:
                pending["place"] = ""
            elif is_question(text) and not find_region(text) and self._answer_aside(out, text):
                pass
            elif text:
                pending["place"] = text[:200]
                pending["region"] = find_region(text) or pending["region"]
            elif pending["prompts"] >= MAX_PROMPTS:
                pending["place"] = ""
        self._next_prompt(out, message)

    def _answer_aside(self, out: Outcome, text: str) -> bool:
        """A question asked at a prompt: answered, then the prompt comes once more."""
        if not text or not is_question(text):
            return False
        at_consent = bool(out.state["emergency"]) and out.state["emergency"]["stage"] in ("consent", "phone")
        if at_consent and _ABOUT_REGISTERING.search(text):
            out.say(CONSENT_EXPLAINED)  # “你们把我信息给谁啊”“登记了能给钱吗”: about this registration
            return True
        answer = self._policy(out.state, text)
        if answer is not None:
            out.say(answer.text, {"article": answer.article.id, "citations": answer.citations})
        elif at_consent:
            out.say(CONSENT_EXPLAINED)
        else:
            return False
        return True

    def _next_prompt(self, out: Outcome, message: Message) -> None:
        pending = out.state["emergency"]
        if pending["consent"] is None:
            stage, prompt = "consent", CONSENT_PROMPT if pending["prompts"] == 0 else PROMPT_AGAIN
        elif pending["consent"] and pending["phone"] is None:
            stage, prompt = "phone", PHONE_PROMPT
        elif pending["consent"] and pending["place"] is None and not pending["region"]:
            stage, prompt = "place", PLACE_PROMPT
        else:
            self._file(out, message)
            self._after_emergency(out)
            return
        if stage != pending["stage"]:
            pending["stage"], pending["prompts"] = stage, 0
        pending["prompts"] += 1
        out.say(prompt)

    def _file(self, out: Outcome, message: Message) -> None:
        state, pending = out.state, out.state["emergency"]
        state["emergency"] = None
        state["after_emergency"] = True
        if pending["kind"] == "self_harm":
            state["crisis"] = True
        found = detect(pending["text"]) if pending["confirmed"] else None
        consent = bool(pending["consent"])
        phone = pending["phone"] or None if consent else None
        request = LeadRequest(
            message_id=pending["message_id"],
            conversation_id=message.sender_id,
            channel=pending["channel"],
            text=pending["text"],
            emergency=found,
            region=pending["region"] or state["region"] or UNKNOWN_REGION,
            consent=consent and bool(phone),
            phone=phone,
            place=(pending["place"] or None) if consent else None,
            household=_household_so_far(state) if consent and phone else None,
        )
        try:
            lead_id = self._file_lead(request)
        except Exception:  # noqa: BLE001 - the adapter logged it; the resident is told what to do instead
            out.say(FILE_FAILED)
            return
        state["filed"] = None if phone else {"message_id": request.message_id, "channel": request.channel}
        if phone:
            reply = f"已把您的情况登记给当地民政工作人员（线索编号 {lead_id}），他们会尽快打电话联系您。"
        else:
            reply = (
                f"已把您的情况登记给当地民政工作人员（线索编号 {lead_id}），没有留联系方式，"
                "您也可以随时拨打12345或到乡镇（街道）说明情况。"
            )
        out.say(reply, {"lead_id": lead_id})

    def _phone_after_filing(self, out: Outcome, message: Message, phone: str) -> None:
        """“还是留个电话吧 136…”: the phone goes into the lead already filed, not a second lead."""
        filed = out.state["filed"]
        request = LeadRequest(
            message_id=filed["message_id"],
            conversation_id=message.sender_id,
            channel=filed["channel"],
            text="",
            emergency=None,
            region=UNKNOWN_REGION,
            consent=True,
            phone=phone,
            place=None,
        )
        try:
            lead_id = self._add_contact(request, phone)
        except Exception:  # noqa: BLE001 - the adapter logged it
            out.say(FILE_FAILED)
            return
        out.state["filed"] = None
        out.say(
            f"好的，已把您的电话补充到刚才的登记里（线索编号 {lead_id}），工作人员会打电话联系您。",
            {"lead_id": lead_id},
        )

    def _after_emergency(self, out: Outcome) -> None:
        if out.state["paused"] and out.state["paused"].get("pending"):
            out.say(RESUME_HINT)

    # --- handoff, stop, resume ---------------------------------------------------------------------------
    def _handoff(self, out: Outcome) -> None:
        self._interrupt_screen(out.state)
        out.handoff = True

    def _interrupt_screen(self, state: Dict[str, Any]) -> None:
        if state["screen"]:
            state["paused"], state["screen"] = state["screen"], None

    # --- inside a pre-screen --------------------------------------------------------------------------
    def _screen_step(self, out: Outcome, message: Message, text: str) -> None:
        state = out.state
        screen = state["screen"]
        again = "我们接着刚才的测算：" + prescreen.question_text(screen, screen["pending"])
        if is_stop(text):
            state["paused"], state["screen"] = screen, None
            out.say("好的，初步测算先停在这里。想接着算请说“继续测算”，我会接着刚才的问题问。")
            return
        follow_up = state.get("aside") and _FOLLOW_UP.search(text)
        state["aside"] = False
        answers = _answers(text, screen.get("pending"))
        if follow_up or is_question(text):
            answer = self._policy(state, text)
            if answer is not None:
                state["aside"] = True
                out.say(answer.text, {"article": answer.article.id, "citations": answer.citations})
                if not answers:  # “限额是多少啊？俺家就一套住的房子”: answered, and the fact taken too
                    out.say(again)
                    return
        if _out_of_scope(message) and not answers and not _DOMAIN.search(text):
            out.says.append(Say(response=message.response))  # 公积金 mid-screen: pointed elsewhere
            out.say(again)
            return
        self._step(out, screen, text)

    def _step(self, out: Outcome, screen: Dict[str, Any], text: str) -> None:
        before = _known(screen)
        turn = self._corrected(screen, text) or prescreen.step(screen, text, self._today())
        changed = _changes(before, _known(turn.state))
        prefix = f"好的，按{changed}重新算。" if changed else ""
        self._after_turn(out, turn, prefix)

    def _after_turn(self, out: Outcome, turn: prescreen.Turn, prefix: str = "") -> None:
        state = out.state
        region = turn.state["household"].get("region")
        if region and region != prescreen.ROOT_REGION:
            state["region"] = region
        if turn.stopped:
            state["paused"], state["screen"] = turn.state, None
        elif turn.done:
            state["screen"], state["paused"] = None, None
            state["last"] = turn.state
        else:
            state["screen"] = turn.state
        reply = prescreen.join(prefix, turn.reply)
        if turn.done and self._may_offer_monitoring(state, turn.result):
            state["monitor_offer"] = True
            reply = prescreen.join(reply, MONITOR_OFFER)
        out.say(reply)

    # --- 动态监测: re-screened when a standard changes, if the resident agrees ---------------------------
    def _may_offer_monitoring(self, state: Dict[str, Any], result) -> bool:
        """Offered where a new standard could change the verdict: neither 低保 nor 特困 yet."""
        return (
            self._monitor is not None
            and result is not None
            and result.decided
            and result.primary in (None, "near_dibao", "rigid_expense")
            and not state.get("monitored")
        )

    def _monitor_answer(self, out: Outcome, message: Message, text: str) -> bool:
        """A short yes or no to the offer; anything else is read as it would be without it."""
        if _MONITOR_NO.fullmatch(text):
            out.say(MONITOR_DECLINED)
            return True
        if not _MONITOR_YES.fullmatch(text) or out.state["last"] is None:
            return False
        self._monitor(message.sender_id, message.channel, _deep(out.state["last"]["household"]))
        out.state["monitored"] = True
        out.say(MONITOR_KEPT)
        return True

    # --- outside any prompt ------------------------------------------------------------------------------
    def _free(self, out: Outcome, message: Message, text: str) -> None:
        state = out.state
        intent = message.intent
        if text and _RESUME.search(text) and not is_question(text) and (state["paused"] or state["last"]):
            paused = state["paused"]
            if paused and paused.get("pending"):
                state["screen"], state["paused"] = paused, None
                out.say(prescreen.resume(paused).reply)
                return
        facts = facts_in(text) if text else {}
        household_facts = {k: v for k, v in facts.items() if k != "region"}
        if facts.get("region"):
            state["region"] = facts["region"]
        if facts.get("area"):
            state["area"] = facts["area"]  # “俺家在舒兰 农村的” said in a question: not asked again later
        if (
            text
            and state["last"] is not None
            and (household_facts or correction(text) or _gives_missing(text, state["last"]))
            and not _is_policy_question(text, intent)
        ):
            self._rescreen(out, text)
            return
        core_facts = {"size", "monthly_income"} & set(household_facts)
        asks = bool(text and _ELIGIBILITY_ASK.search(text))
        described = core_facts == {"size", "monthly_income"} and not (is_question(text) and not asks)
        if text and (
            (core_facts and (asks or intent in PRESCREEN_INTENTS)) or described or _SCREEN_REQUEST.search(text)
        ):
            self._start_screen(out, text)
            return
        phone = find_phone(text) if text and state.get("filed") else None
        if phone and self._add_contact is not None:
            self._phone_after_filing(out, message, phone)
            return
        if state.get("crisis") and text and _DISTRESS.search(text) and not _SCREEN_REQUEST.search(text):
            # After a self-harm lead, distress again (“也没人管俺”) gets the crisis line again, not an article.
            out.say(CRISIS_AGAIN)
            return
        if text and not _SCREEN_REQUEST.search(text) and likely(text):
            self._unconfirmed_emergency(out, message, text)  # what the patterns missed: advice, then ask
            return
        if text and state.get("after_emergency") and _AFTER_WHAT_NOW.search(text) and not household_facts:
            state["after_emergency"] = False
            out.say(relief_advice())
            return
        if text and state["last"] is not None and _RESULT_REACTION.search(text):
            out.say(self._what_may_still_help(state["last"]))
            return
        if text and _CAPABILITIES.search(text):
            state["misses"] = 0
            out.says.append(Say(response="utter_greet"))
            return
        if _out_of_scope(message) and not _DOMAIN.search(text):
            state["misses"] = 0
            out.says.append(Say(response=message.response))
            return
        if text and (intent in ("ask_policy", "nlu_fallback", None) or is_question(text) or intent not in SMALL_TALK):
            answer = self._policy(state, text)
            if answer is not None:
                state["misses"] = 0
                reply = answer.text
                if {"size", "monthly_income"} & set(household_facts):
                    reply = f"{reply}\n{PRESCREEN_HINT}"
                out.say(reply, {"article": answer.article.id, "citations": answer.citations})
                return
            if intent == "ask_policy":
                state["misses"] = 0
                out.say(NOT_SURE)
                return
        if intent == "report_emergency" and text and message.confidence >= 0.8 and not state["screen"]:
            self._unconfirmed_emergency(out, message, text)
            return
        if intent == "out_of_scope" and message.response:
            state["misses"] = 0
            out.says.append(Say(response=message.response))
            return
        if intent in SMALL_TALK and (message.confidence >= 0.5 or not text):
            state["misses"] = 0
            out.says.append(Say(response=SMALL_TALK[intent]))
            return
        if intent == "start_prescreen":
            self._start_screen(out, text)
            return
        state["misses"] += 1
        out.says.append(
            Say(
                response="utter_offer_handoff"
                if state["misses"] >= OFFER_HANDOFF_AFTER_MISSES
                else "utter_ask_rephrase"
            )
        )

    def _start_screen(self, out: Outcome, text: str) -> None:
        state = out.state
        region = state["region"]
        # Facts the resident already gave in this conversation are not asked again.
        base = state["paused"] or state["last"]
        state["paused"] = None
        if base is None and state.get("area"):
            base = {"household": {"area": state["area"], **({"region": region} if region else {})}}
        household = base["household"] if base is not None else None
        turn = prescreen.start(text, region=region, on=self._today(), household=household)
        self._after_turn(out, turn)

    def _rescreen(self, out: Outcome, text: str) -> None:
        """A correction or a missing fact after a result: screened again from what is known."""
        last = out.state["last"]
        before = _known(last)
        state = {**prescreen.new_state(), "household": _deep(last["household"])}
        # A fact the result said was missing (“俺问了 存款就八千来块”) is read as the answer to it.
        for missing in last.get("unknown") or []:
            value = parse_answer(missing, text)
            if value not in (None, UNKNOWN):
                prescreen.merge_facts(state, {missing: value})
        turn = self._corrected(state, text) or prescreen.step(state, text, self._today())
        changed = _changes(before, _known(turn.state))
        prefix = f"好的，按{changed}重新算：" if changed else ""
        self._after_turn(out, turn, prefix)

    def _what_may_still_help(self, last: Dict[str, Any]) -> str:
        turn = prescreen.next_turn(_deep(last), self._today())
        result = turn.result
        lines = ["按您说的情况，" + (result.summary if result else "暂时没法判断。")]
        if result and result.specialised_assistance:
            lines.append(
                "还可以了解的专项救助："
                + "；".join(f"{a.name}（{a.department}）" for a in result.specialised_assistance)
            )
        lines.append(
            "遇到突发的困难（生病、意外、灾害等）可以申请临时救助；情况有变化（收入减少、有人生病）可以随时重新申请。"
        )
        lines.append(prescreen.WHERE_TO_APPLY)
        return "\n".join(lines)

    def _corrected(self, screen: Dict[str, Any], text: str) -> Optional[prescreen.Turn]:
        """“不对不对 说错了 是两千八”: the corrected facts replace the old ones, whatever was asked."""
        fix = correction(text)
        if not fix:
            return None
        state = _deep(screen)
        prescreen.merge_facts(state, fix)
        return prescreen.next_turn(state, self._today())

    def _policy(self, state: Dict[str, Any], text: str):
        region = find_region(text) or state["region"]
        # A follow-up (“那农村的呢”“要带啥材料”) is read with the previous topic.
        answer = self._desk.answer(text, region, self._today(), context=state["topic"])
        if answer is None:
            return None
        state["topic"] = answer.article.id
        if _ASKS_WHERE.search(text) and not _NAMES_WHERE.search(answer.text):
            # “那要去哪办”: an article about what a benefit is still says where to ask for it.
            body, _, sources = answer.text.rpartition("\n依据：")
            answer = replace(answer, text=f"{body}\n{prescreen.WHERE_TO_APPLY}\n依据：{sources}")
        return answer


# --- helpers --------------------------------------------------------------------------------------------
def _copy(state: Dict[str, Any]) -> Dict[str, Any]:
    return _deep(state)


def _deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v) for v in value]
    return value


def _pending(message: Message, text: str, kind: str, severity: str, cause: str, confirmed: bool) -> Dict[str, Any]:
    """An emergency collecting consent, phone and place; `confirmed`: the rules saw it, so it is filed even
    without contact details (the classifier alone: filed only if the resident asks for it)."""
    return {
        "text": text,
        "message_id": message.message_id,
        "channel": message.channel,
        "kind": kind,
        "severity": severity,
        "cause": cause,
        "confirmed": confirmed,
        "stage": "consent",
        "prompts": 0,
        "consent": None,
        "phone": None,
        "place": None,
        "region": find_region(text),
    }


_SEVERITY_ORDER = {"life_threatening": 0, "urgent": 1, "normal": 2}


def _more_severe(found: Emergency, pending: Dict[str, Any]) -> bool:
    return _SEVERITY_ORDER.get(found.severity.value, 9) < _SEVERITY_ORDER.get(pending["severity"], 9)


_DECLINE = re.compile(r"不方便|不留|不想留|不用了?|不需要|算了|别登记|不要登记|不用登记|不必")


def _household_so_far(state: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    screen = state.get("screen") or state.get("paused") or state.get("last") or {}
    household = screen.get("household")
    return _deep(household) if household and household.get("region") else None


def _declines(text: str) -> bool:
    return bool(text and _DECLINE.search(text))


def _gives_missing(text: str, last: Dict[str, Any]) -> bool:
    return any(parse_answer(f, text) not in (None, UNKNOWN) for f in last.get("unknown") or [])


def _out_of_scope(message: Message) -> bool:
    """公积金, 天气, 个税 …: the classifier is sure and chose the office that answers it."""
    return message.intent == "out_of_scope" and message.confidence >= 0.8 and bool(message.response)


def _answers(text: str, pending: Optional[str]) -> bool:
    """Whether a message that reads like a question also answers (“俺家四口人 这样能行吗”): it states the
    pending fact, or the household's size or income. A place or 城市/农村 inside a question is part of it
    (“低保标准城市是多少”)."""
    if pending == "region":
        return find_region(text) is not None
    if pending and parse_answer(pending, text) not in (None, UNKNOWN) and pending not in ("area",):
        return True
    return bool({"size", "monthly_income"} & set(facts_in(text)))


def _is_policy_question(text: str, intent: Optional[str]) -> bool:
    return is_question(text) and not _ELIGIBILITY_ASK.search(text) and intent == "ask_policy"


_SHOWN = (
    "region",
    "area",
    "size",
    "monthly_income",
    "assets_within_limit",
    "rigid_expense_12m",
    "income_12m",
    "local_standard",
)


def _known(state: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    household = (state or {}).get("household") or {}
    return {k: household[k] for k in _SHOWN if k in household}


def _changes(before: Dict[str, Any], after: Dict[str, Any]) -> str:
    """“四口人、全家每月收入2800元”: the facts a correction changed (only those stated before)."""
    parts = [
        prescreen.describe_fact(k, after[k]) for k in _SHOWN if k in before and k in after and before[k] != after[k]
    ]
    return "、".join(p for p in parts if p)
