"""The question a resident is asked for each input the rules may need (plain Chinese)."""

from __future__ import annotations

import re

from bot.eligibility.result import Question

HOUSEHOLD_QUESTIONS = {
    "size": "您家一起生活的有几口人？（包括配偶、未成年子女，以及一起生活、有赡养抚养义务的家人）",
    "monthly_income": "全家每月总收入大概多少元？（工资、经营、养老金等都算；低保金、优抚金、奖学金等不算）",
    "area": "您家住在城市（城镇）还是农村？",
    # Asked so that a plain 没有 means "within the limit" (是否在限额以内？ answered 没有 was misread).
    "assets_within_limit": (
        "家里有没有大额存款、第二套房或者车？（只有自家住的房子、没什么存款，就回答“没有”；"
        "具体限额以当地规定为准，不清楚可以回答“不知道”）"
    ),
    "rigid_expense_12m": "过去12个月，家里看病、上学、住房、照护这些必需开支一共大概多少元？",
    "income_12m": "过去12个月，全家总收入一共大概多少元？",
}

MEMBER_QUESTIONS = {
    "age": "{who}今年多少岁？",
    "has_disability": "{who}有没有残疾（持有残疾人证）？",
    "disability_kind": "{who}是哪一类残疾？（肢体、视力、听力、言语、智力、精神或多重）",
    "disability_grade": "{who}的残疾等级是几级？（一到四级）",
    "serious_illness": "{who}有没有当地认定的重特大疾病（重病）？",
    "employment": "{who}现在有工作吗？（有工作 / 没工作但能干活 / 干不了活）",
    "self_care": "{who}生活能自理吗？（能完全自理 / 部分不能自理 / 完全不能自理）",
    "monthly_income": "{who}自己每月有多少收入（养老金、补贴等）？没有就说“没有”。",
    "has_supporter": "{who}有没有法定的赡养、抚养或扶养人（比如子女、配偶、父母）？",
    "supporter_able": "{who}的赡养（抚养、扶养）人有没有能力照顾、供养？（有能力 / 没能力）",
}

# Short names of the same inputs, for "still missing: …" lines.
HOUSEHOLD_LABELS = {
    "region": "所在地区",
    "size": "家庭人口",
    "monthly_income": "每月收入",
    "area": "城市还是农村",
    "assets_within_limit": "家庭财产是否在限额内",
    "rigid_expense_12m": "过去12个月必需开支",
    "income_12m": "过去12个月总收入",
}
MEMBER_LABELS = {
    "age": "年龄",
    "has_disability": "是否残疾",
    "disability_kind": "残疾类别",
    "disability_grade": "残疾等级",
    "serious_illness": "是否重病",
    "employment": "工作情况",
    "self_care": "自理能力",
    "monthly_income": "本人收入",
    "has_supporter": "有无赡养（抚养、扶养）人",
    "supporter_able": "赡养人有无能力",
}

# In a household of several, the members living together are each other's 义务人 already (the engine
# checks them); these ask only about those living elsewhere.
HOUSEHOLD_MEMBER_QUESTIONS = {
    "has_supporter": "除了一起生活的家人，{who}还有没有子女、父母等法定赡养、抚养或扶养人（比如在外地的子女）？",
    "supporter_able": "{who}在外面的这些赡养（抚养、扶养）人有没有能力照顾、供养？（有能力 / 没能力）",
}

MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.(\w+)$")


def question_for(path: str, household_size: int | None) -> Question:
    match = MEMBER_PATH.match(path)
    if match:
        index, name = int(match.group(1)), match.group(2)
        alone = household_size == 1
        who = "您" if alone else f"第{index + 1}位家庭成员"
        text = MEMBER_QUESTIONS[name] if alone else HOUSEHOLD_MEMBER_QUESTIONS.get(name, MEMBER_QUESTIONS[name])
        return Question(path, text.format(who=who))
    return Question(path, HOUSEHOLD_QUESTIONS[path])


def label_for(path: str, household_size: int | None) -> str:
    match = MEMBER_PATH.match(path)
    if match:
        who = "本人" if household_size == 1 else f"第{int(match.group(1)) + 1}位成员"
        return who + MEMBER_LABELS.get(match.group(2), match.group(2))
    return HOUSEHOLD_LABELS.get(path, path)
