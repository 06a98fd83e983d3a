"""The pre-screen: ELIGIBILITY.md §3–§5 as rules over dated regional parameters.

Order "一次申请、分类审核认定" (000 二(一); 001 十六): 特困 → 低保 → 低保边缘 → 刚性支出; the first
that applies is the primary result. 特困 is person-level (民发〔2021〕43号): each member is checked on
their own, and the other members of the household are among their 义务人 (spouse, parents, adult
children), so a member is 特困 only if every other member cannot perform the duty (第八条). The
household's primary result is 特困 when every member is 特困 (a person alone, an elderly couple without
children); otherwise 特困 is reported per member. Every rule cites its clauses
(knowledge/rules/eligibility.yaml); numbers come from knowledge/ through `RegionBook`, never from
this file.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property, lru_cache
from typing import Callable, Dict, List, Optional, Tuple, Union

from bot.eligibility.inputs import Area, DisabilityKind, EmergencyKind, Employment, Household, Member, Status
from bot.eligibility.logic import Cond, all_of, any_of, negate
from bot.eligibility.parameters import ParameterValue, RegionBook, load_regions
from bot.eligibility.questions import question_for
from bot.eligibility.result import (
    CATEGORY_NAMES,
    LOCAL_STANDARD,
    Amount,
    Assistance,
    Finding,
    ScreeningResult,
    StandardRange,
    StandardRanges,
    Verdict,
)
from bot.knowledge.assistance import catalogues
from bot.knowledge.rules import disability_rules, eligibility_citations

HOUSEHOLD_LAYERS = ("dibao", "near_dibao", "rigid_expense")
CENT = Decimal("0.01")


class ScreeningError(ValueError):
    """The screening cannot run (unknown region, no parameter in force on the date)."""


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _yuan(value: Decimal) -> str:
    return f"{_money(value).normalize():f}元" if value == value.to_integral_value() else f"{_money(value):f}元"


@lru_cache(maxsize=1)
def seed_book() -> RegionBook:
    """knowledge/regions/ alone, as reviewed."""
    return load_regions()


_live_book: Optional[Callable[[], RegionBook]] = None


def use_live_book(provider: Optional[Callable[[], RegionBook]]) -> None:
    """A process that has the database (the action server, the API) makes every screening use the
    seed plus what staff entered (bot.standards.LiveBook); None goes back to the seed alone."""
    global _live_book
    _live_book = provider


def default_book() -> RegionBook:
    return _live_book() if _live_book is not None else seed_book()


def _finding(
    rule: str,
    citations: List[str],
    parts: List[Tuple[Cond, str]],
    *,
    eligible: Union[str, Callable[[], str]],
    unknown: str,
    member: Optional[int] = None,
) -> Finding:
    """All `parts` must hold. Not eligible names the first part that fails; eligible's reason may
    be computed (it can use values that only exist once every part is known)."""
    cond = all_of(*(c for c, _ in parts))
    if cond.value is True:
        return Finding(rule, Verdict.eligible, eligible() if callable(eligible) else eligible, citations, member=member)
    if cond.value is False:
        reason = next(why for c, why in parts if c.value is False)
        return Finding(rule, Verdict.not_eligible, reason, citations, member=member)
    return Finding(rule, Verdict.need_info, unknown, citations, list(cond.missing), member=member)


@lru_cache(maxsize=4)
def _disability_rule(name: str) -> Dict[DisabilityKind, int]:
    """kind → worst grade that counts, from knowledge/rules/disability.yaml."""
    return {DisabilityKind(kind): grade for kind, grade in disability_rules()[name].items()}


def _cite(rule: str) -> List[str]:
    """The clauses a rule rests on, from knowledge/rules/eligibility.yaml."""
    return list(eligibility_citations()[rule])


@lru_cache(maxsize=64)
def _specialised_for(layers: Tuple[str, ...]) -> Tuple[Assistance, ...]:
    specialised, _ = catalogues()
    return tuple(
        Assistance(item.id, item.name, item.department, item.note, tuple(item.citations))
        for item in specialised
        if any(layer in item.layers for layer in layers)
    )


class _Screening:
    def __init__(self, household: Household, book: RegionBook, on: dt.date) -> None:
        if household.region not in book:
            raise ScreeningError(f"unknown region {household.region!r}")
        self.h = household
        self.book = book
        self.on = on
        self.used: Dict[str, ParameterValue] = {}
        self._looked_up: Dict[str, Optional[ParameterValue]] = {}
        self.trace: List[str] = []

    # --- parameters and derived quantities -------------------------------------------------------
    def param(self, name: str, required: bool = True) -> Optional[ParameterValue]:
        if name in self._looked_up:
            value = self._looked_up[name]
        else:
            value = self._looked_up[name] = self.book.value(self.h.region, name, self.on)
        if value is None:
            if required:
                raise ScreeningError(f"parameter {name} has no value in force in region {self.h.region} on {self.on}")
            return None
        self.used[name] = value
        return value

    @cached_property
    def standard_value(self) -> Optional[ParameterValue]:
        """The 低保标准 used: the household's stated local one, else the nearest region's (district →
        city → province → national average)."""
        if self.h.area is None:
            return None
        name = "dibao_standard_urban" if self.h.area is Area.urban else "dibao_standard_rural"
        if self.h.local_standard is not None:
            return stated_standard(name, Decimal(self.h.local_standard), self.on)
        return self.param(name)

    @cached_property
    def _standard(self) -> Tuple[Optional[Decimal], Tuple[str, ...]]:
        if self.h.area is None:
            return None, ("area",)
        return self.standard_value.value, ()

    def standard(self) -> Tuple[Optional[Decimal], Tuple[str, ...]]:
        return self._standard

    def disposable_income_monthly(self) -> Tuple[Optional[Decimal], Tuple[str, ...]]:
        if self.h.area is None:
            return None, ("area",)
        name = (
            "disposable_income_per_capita_urban" if self.h.area is Area.urban else "disposable_income_per_capita_rural"
        )
        return self.param(name).value / 12, ()

    def per_capita(self) -> Tuple[Optional[Decimal], Tuple[str, ...]]:
        return self._per_capita

    @cached_property
    def _per_capita(self) -> Tuple[Optional[Decimal], Tuple[str, ...]]:
        missing = tuple(n for n in ("size", "monthly_income") if getattr(self.h, n) is None)
        if missing:
            return None, missing
        income = Decimal(self.h.monthly_income)
        # 003: necessary 就业成本 of members in work is not counted, where the region publishes an amount.
        deduction = self.param("employment_cost_deduction", required=False)
        working = sum(1 for m in self.h.members if m.employment is Employment.employed)
        if deduction is not None and working:
            deducted = min(income, deduction.value * working)
            income -= deducted
            self.trace.append(
                f"扣除{working}名就业成员的就业成本{_yuan(deducted)}后，家庭月收入按{_yuan(income)}计算。"
            )
        self.trace.append(f"人均月收入 = {_yuan(income)} ÷ {self.h.size}人 = {_yuan(income / self.h.size)}。")
        return income / self.h.size, ()

    def pc_below(self, factor_name: Optional[str] = None, strict: bool = True) -> Cond:
        """per-capita income < (factor ×) 低保标准 (or <= when not strict)."""
        pc, m1 = self.per_capita()
        std, m2 = self.standard()
        if pc is None or std is None:
            return Cond.unknown(*(m1 + m2))
        limit = std * (self.param(factor_name).value if factor_name else 1)
        return Cond.known(pc < limit if strict else pc <= limit)

    def assets(self) -> Cond:
        if self.h.assets_within_limit is None:
            return Cond.unknown("assets_within_limit")
        return Cond.known(self.h.assets_within_limit)

    # --- members ---------------------------------------------------------------------------------
    def members(self) -> List[Tuple[int, Member]]:
        members = list(self.h.members)
        if not members and self.h.size == 1:
            members = [Member()]  # a person alone: ask about them
        return list(enumerate(members))

    @cached_property
    def tekun_as_household(self) -> bool:
        """Whether 特困 is checked as the primary result of a household of several (every member 特困).
        Only where it could apply: per-capita income not known to reach the 低保标准 (each 特困 member's
        own income is below it), and some member is said to be unable to work (aged, a minor, severely
        disabled) or to have no 义务人 elsewhere. A household described by its income alone is screened
        as ELIGIBILITY.md §7 does, without questions about every member."""
        size = self.h.size
        if size is None or size < 2 or self.pc_below().value is False:
            return False
        return any(
            m.has_supporter is False or m.supporter_able is False or self.unable_to_work(i, m).value is True
            for i, m in enumerate(self.h.members)
        )

    @cached_property
    def _tekun_members(self) -> List[Tuple[int, Member]]:
        """The members to check for 特困; where 特困 is checked for the household, filled up to its size so
        that the members nobody has described yet are asked about."""
        members = list(self.h.members)
        if self.tekun_as_household and len(members) < self.h.size:
            members += [Member() for _ in range(self.h.size - len(members))]
        if not members and self.h.size == 1:
            members = [Member()]  # a person alone: ask about them
        return list(enumerate(members))

    @staticmethod
    def field(i: int, name: str) -> str:
        return f"members[{i}].{name}"

    def disability_counts(self, i: int, m: Member, kinds_grades: Dict[DisabilityKind, int]) -> Cond:
        if m.has_disability is False:
            return Cond(False)
        if m.has_disability is None and m.disability_kind is None:
            return Cond.unknown(self.field(i, "has_disability"))
        if m.disability_kind is None:
            return Cond.unknown(self.field(i, "disability_kind"), self.field(i, "disability_grade"))
        worst = kinds_grades.get(m.disability_kind)
        if worst is None:
            return Cond(False)
        if m.disability_grade is None:
            return Cond.unknown(self.field(i, "disability_grade"))
        return Cond.known(m.disability_grade <= worst)

    def flag(self, i: int, m: Member, name: str) -> Cond:
        value = getattr(m, name)
        return Cond.unknown(self.field(i, name)) if value is None else Cond.known(value)

    def age_at_least(self, i: int, m: Member, param: str) -> Cond:
        if m.age is None:
            return Cond.unknown(self.field(i, "age"))
        return Cond.known(m.age >= self.param(param).value)

    def age_below(self, i: int, m: Member, param: str) -> Cond:
        if m.age is None:
            return Cond.unknown(self.field(i, "age"))
        return Cond.known(m.age < self.param(param).value)

    # --- rules -----------------------------------------------------------------------------------
    def unable_to_work(self, i: int, m: Member) -> Cond:
        """无劳动能力 (民发〔2021〕43号; 003; 002 1): old age, minority, or a disability that counts."""
        return any_of(
            self.age_at_least(i, m, "tekun_elderly_age"),
            self.age_below(i, m, "tekun_minor_age"),
            self.disability_counts(i, m, _disability_rule("tekun_unable_to_work")),
        )

    def own_income_below(self, i: int, m: Member, limit: Tuple[Optional[Decimal], Tuple[str, ...]]) -> Cond:
        """The member's own income is below `limit`. A member's income is part of the household's, so
        a household income already below the limit settles it without asking the member."""
        value, missing = limit
        if value is None:
            return Cond.unknown(*missing)
        if self.h.size == 1 and m.monthly_income is None and self.h.monthly_income is not None:
            return Cond.known(Decimal(self.h.monthly_income) < value)  # a person alone: theirs is the household's
        if m.monthly_income is not None:
            return Cond.known(Decimal(m.monthly_income) < value)
        if self.h.monthly_income is not None and Decimal(self.h.monthly_income) < value:
            return Cond(True)
        return Cond.unknown("monthly_income" if self.h.size == 1 else self.field(i, "monthly_income"))

    def cannot_support(self, j: int, m: Member) -> Cond:
        """A member of the household as 义务人 of another, unable to perform the duty (民发〔2021〕43号
        第八条): unable to work and without means (a 特困 person, a 低保 recipient aged 60+), or aged
        70+ or severely disabled with own income below last year's local per-capita disposable income."""
        without_means = all_of(self.unable_to_work(j, m), self.own_income_below(j, m, self.standard()))
        frail = any_of(
            self.age_at_least(j, m, "tekun_supporter_elderly_age"),
            self.disability_counts(j, m, _disability_rule("severe")),
        )
        frail_and_poor = all_of(frail, self.own_income_below(j, m, self.disposable_income_monthly()))
        return any_of(without_means, frail_and_poor)

    def tekun(self, i: int, m: Member) -> Finding:
        unable = self.unable_to_work(i, m)
        no_income = self.own_income_below(i, m, self.standard())
        std, _ = self.standard()
        # 义务人 outside the household (children living elsewhere …): asked; inside it: the other members.
        no_supporter_outside = any_of(
            Cond.known(not m.has_supporter)
            if m.has_supporter is not None
            else Cond.unknown(self.field(i, "has_supporter")),
            Cond.known(not m.supporter_able)
            if m.supporter_able is not None
            else Cond.unknown(self.field(i, "supporter_able")),
        )
        no_supporter_inside = all_of(*(self.cannot_support(j, other) for j, other in self._tekun_members if j != i))
        no_supporter = all_of(no_supporter_outside, no_supporter_inside)
        finding = _finding(
            "tekun",
            _cite("tekun"),
            [
                (unable, "不属于老年人、未成年人或符合条件的重度残疾人，不按特困人员认定。"),
                (no_income, "本人收入不低于当地低保标准，不属于无生活来源。"),
                (self.assets(), "家庭财产超出当地规定。"),
                (no_supporter_inside, "家中有能履行赡养、抚养或扶养义务的成员。"),
                (no_supporter, "有法定赡养、抚养或扶养义务人且其有能力履行。"),
            ],
            eligible="无劳动能力、本人收入低于低保标准、财产符合规定，且无法定义务人或义务人无履行能力。",
            unknown="还需要了解本人的年龄或残疾、收入、财产和义务人情况。",
            member=i,
        )
        if finding.verdict is Verdict.eligible:
            basic = std * self.param("tekun_standard_multiplier").value
            finding.amounts["basic_standard_min"] = _money(basic)
            care_param = {
                "none": "tekun_care_ratio_none",
                "partial": "tekun_care_ratio_partial",
                "full": "tekun_care_ratio_full",
            }
            if m.self_care is not None:
                ratio = self.param(care_param[m.self_care.value]).value
                finding.amounts["care_standard_min"] = _money(ratio * self.param("minimum_wage").value)
            finding.detail["medical_insurance"] = "城乡居民医保个人缴费部分全额资助（001 六）"
        return finding

    def tekun_household(self, members: List[Finding]) -> Finding:
        """特困 as the household's primary result: every member is 特困. Checked against per-capita
        income first (each member's own income is below the 低保标准, so theirs together are too), so
        a household above it is never asked about ages and supporters."""

        def cond(f: Finding) -> Cond:
            return (
                Cond(None, tuple(f.missing)) if f.verdict is Verdict.need_info else Cond(f.verdict is Verdict.eligible)
            )

        return _finding(
            "tekun",
            _cite("tekun"),
            [
                (self.pc_below(), "家庭人均收入不低于低保标准，不是每位成员都无生活来源。"),
                (all_of(*(cond(f) for f in members)), "不是每位家庭成员都符合特困人员条件。"),
            ],
            eligible="每位家庭成员都无劳动能力、无生活来源，且无法定义务人或义务人无履行能力。",
            unknown="还需要了解每位家庭成员的年龄或残疾、收入和赡养（抚养、扶养）人情况。",
        )

    def dibao(self) -> Finding:
        std, _ = self.standard()
        pc, _ = self.per_capita()
        finding = _finding(
            "dibao",
            _cite("dibao"),
            [(self.pc_below(), "家庭人均收入不低于当地低保标准。"), (self.assets(), "家庭财产超出当地低保规定。")],
            eligible=lambda: f"家庭人均月收入{_yuan(pc)}，低于当地低保标准{_yuan(std)}。",
            unknown="还需要了解家庭人口、收入、城乡类别或财产情况。",
        )
        if finding.verdict is Verdict.eligible:
            finding.amounts["estimated_monthly"] = _money((std - pc) * self.h.size)
            finding.detail["how"] = f"按差额估算：（{_yuan(std)} − {_yuan(pc)}）× {self.h.size}人"
            payday = self.param("dibao_payment_day", required=False)
            if payday is not None:
                finding.detail["payment"] = f"低保金按月发放，每月{payday.value}日前到账"
        return finding

    def near_dibao(self) -> Finding:
        k = f"{self.param('near_dibao_multiplier').value.normalize():f}"
        return _finding(
            "near_dibao",
            _cite("near_dibao"),
            # The reason named is the first part that fails: a household ruled out of 低保 by its
            # assets is told that the assets rule it out here too, not that it belongs to 低保.
            [
                (self.pc_below("near_dibao_multiplier"), f"人均收入达到低保标准的{k}倍或以上。"),
                (self.assets(), "家庭财产超出当地规定。"),
                (negate(self.pc_below()), "人均收入低于低保标准，应按低保认定。"),
            ],
            eligible=f"家庭人均收入不低于低保标准、低于低保标准的{k}倍，财产符合规定。",
            unknown="还需要了解家庭人口、收入、城乡类别或财产情况。",
        )

    def rigid_expense(self) -> Finding:
        above_k = negate(self.pc_below("near_dibao_multiplier"))
        pc, m1 = self.per_capita()
        monthly_disposable, m2 = self.disposable_income_monthly()
        below_disposable = (
            Cond.unknown(*(m1 + m2))
            if pc is None or monthly_disposable is None
            else Cond.known(pc < monthly_disposable)
        )
        r = self.param("rigid_expense_ratio").value
        missing = tuple(n for n in ("rigid_expense_12m", "income_12m") if getattr(self.h, n) is None)
        if missing:
            heavy = Cond.unknown(*missing)
        else:
            heavy = Cond.known(Decimal(self.h.rigid_expense_12m) > r * Decimal(self.h.income_12m))

        def share() -> str:
            ratio = (
                Decimal(self.h.rigid_expense_12m) / Decimal(self.h.income_12m) * 100
                if self.h.income_12m
                else Decimal(100)
            )
            return (
                f"人均收入在边缘上限与上年度人均可支配收入之间，近12个月刚性支出占家庭收入{ratio:.0f}%，"
                f"超过{r * 100:.0f}%。认定有效期最长12个月。"
            )

        return _finding(
            "rigid_expense",
            _cite("rigid_expense"),
            [
                (below_disposable, "人均收入不低于上年度当地居民人均可支配收入。"),
                (heavy, f"近12个月刚性支出未超过家庭收入的{r * 100:.0f}%。"),
                (self.assets(), "家庭财产超出当地规定。"),
                (above_k, "人均收入低于边缘家庭上限，按前面的类别认定。"),
            ],
            eligible=share,
            unknown="还需要了解家庭收入、城乡类别、近12个月的刚性支出和收入或财产情况。",
        )

    def individual_dibao(self, primary: Optional[str]) -> List[Finding]:
        """单人保: for a 低保边缘 household, and (where the region allows it) the band above it."""
        findings = []
        in_upper_band = False
        if primary == "rigid_expense" or primary is None:
            flag = self.param("individual_dibao_upper_band", required=False)
            if flag is not None and flag.value:
                above_k = self.pc_below("near_dibao_multiplier")
                pc, _ = self.per_capita()
                monthly_disposable, _ = self.disposable_income_monthly()
                in_upper_band = (
                    above_k.value is False
                    and pc is not None
                    and monthly_disposable is not None
                    and pc < monthly_disposable
                )
        if primary != "near_dibao" and not in_upper_band:
            return findings
        for i, m in self.members():
            severe = any_of(
                self.flag(i, m, "serious_illness"), self.disability_counts(i, m, _disability_rule("severe"))
            )
            conds = [severe]
            if in_upper_band:
                adult = negate(self.age_below(i, m, "tekun_minor_age"))
                jobless = (
                    Cond.unknown(self.field(i, "employment"))
                    if m.employment is None
                    else Cond.known(m.employment is not Employment.employed)
                )
                conds = [adult, jobless, severe]
            findings.append(
                _finding(
                    "individual_dibao",
                    _cite("individual_dibao"),
                    [(all_of(*conds), "不属于可单独纳入低保的重病、重度残疾人员。")],
                    eligible="成年无业的重度残疾人或重病患者，可参照“单人户”申请低保。"
                    if in_upper_band
                    else "重病或重度残疾，可单独申请纳入低保（单人保）。",
                    unknown="还需要了解该成员的重病或残疾情况。",
                    member=i,
                )
            )
        return findings

    def priority_allowance(self) -> List[Finding]:
        findings = []
        allowance = self.param("priority_allowance", required=False)
        for i, m in self.members():
            cond = any_of(
                self.flag(i, m, "serious_illness"),
                self.disability_counts(i, m, _disability_rule("severe")),
                self.age_at_least(i, m, "priority_elderly_age"),
                self.age_below(i, m, "tekun_minor_age"),
            )
            finding = _finding(
                "priority_allowance",
                _cite("priority_allowance"),
                [(cond, "不属于重点保障人员。")],
                eligible="属于重病患者、重度残疾人、高龄老人或未成年人，可在差额补助基础上按省定标准增发补助金。",
                unknown="还需要了解该成员的年龄、重病或残疾情况。",
                member=i,
            )
            if finding.verdict is Verdict.eligible and allowance is not None:
                finding.amounts["monthly"] = _money(allowance.value)
            findings.append(finding)
        return findings

    def temporary(self) -> List[Assistance]:
        emergency = self.h.emergency
        if emergency is None or emergency.kind is None:
            return []
        _, temporary_types = catalogues()
        found = []
        for item in temporary_types:
            if emergency.kind.value not in item.kinds:
                continue
            if item.id == "uninsured_unemployed":
                months = self.param("uninsured_unemployed_months_without_income")
                if emergency.months_without_income is not None and emergency.months_without_income < months.value:
                    continue
                if emergency.has_unemployment_insurance or self.h.status is Status.dibao:
                    continue
            amount = self.temporary_amount(item.id, emergency.kind)
            found.append(
                Assistance(item.id, item.name, "乡镇（街道）/县级民政部门", item.note, tuple(item.citations), amount)
            )
        return found

    def temporary_amount(self, type_id: str, kind: EmergencyKind) -> Amount:
        """ELIGIBILITY.md §5: months of a local 低保标准 where a rule says so (001 十一 public-health
        emergencies: urban; 002 8 uninsured unemployed: at least the rural), the region's 小金额先行救助
        amount where it publishes one, and otherwise the local standard decides."""
        if type_id == "uninsured_unemployed" or (type_id == "emergency" and kind is EmergencyKind.epidemic):
            epidemic = type_id == "emergency"
            months = self.param("epidemic_advance_relief_months" if epidemic else "uninsured_unemployed_relief_months")
            standard = self.param("dibao_standard_urban" if epidemic else "dibao_standard_rural")
            count = f"{months.value.normalize():f}"
            return Amount(
                _money(months.value * standard.value),
                f"按{count}个月的{standard.label}（{_yuan(standard.value)}/月）",
                (months, standard),
                at_least=not epidemic or standard.basis == "floor",
                on=self.on,
            )
        if type_id == "emergency":
            advance = self.param("advance_relief_amount", required=False)
            if advance is not None:
                return Amount(_money(advance.value), f"{advance.label}，可24小时内先行发放", (advance,))
            return Amount(None, f"可“小金额先行救助”，{LOCAL_STANDARD}")
        if type_id == "homeless":
            return Amount(None, "由救助管理站按规定提供临时食宿、急病救治和返乡帮助")
        return Amount(None, LOCAL_STANDARD)

    @staticmethod
    def specialised(layers: List[str]) -> List[Assistance]:
        return list(_specialised_for(tuple(layers)))

    # --- the whole screening ---------------------------------------------------------------------
    def run(self) -> ScreeningResult:
        region = self.book.region(self.h.region)
        self.trace.append(f"地区：{region.name}（{region.code}），按 {self.on:%Y-%m-%d} 有效的参数判断。")
        self.per_capita()  # traces how per-capita income is counted, before the rules use it

        tekun = [self.tekun(i, m) for i, m in self._tekun_members]
        layers = {"dibao": self.dibao(), "near_dibao": self.near_dibao(), "rigid_expense": self.rigid_expense()}

        chain: List[Tuple[str, Finding]] = []
        if self.h.size == 1 and tekun:
            chain.append(("tekun", tekun[0]))
        elif self.tekun_as_household:
            chain.append(("tekun", self.tekun_household(tekun)))
        chain += [(name, layers[name]) for name in HOUSEHOLD_LAYERS]
        primary, decided, blocking = None, True, []
        for name, finding in chain:
            self.trace.append(f"{finding.name}：{_VERDICT_WORDS[finding.verdict]}。{finding.reason}")
            if finding.verdict is Verdict.eligible:
                primary = name
                break
            if finding.verdict is Verdict.need_info:
                decided = False
                blocking.append(finding)
                break
        if decided:
            self.trace.append(f"结论：{'可能符合' + _name(primary) if primary else '暂不符合以上四类'}。")

        findings: List[Finding] = list(tekun) + list(layers.values())
        findings += self.individual_dibao(primary)
        if primary == "dibao":
            findings += self.priority_allowance()

        eligible_layers = [primary] if primary else []
        eligible_layers += ["tekun" for f in tekun if f.verdict is Verdict.eligible and "tekun" not in eligible_layers]
        specialised = self.specialised(eligible_layers or ["none"])
        temporary = self.temporary()
        for item in temporary:
            self.trace.append(f"临时救助：{item.name}。{item.note}金额：{item.amount.describe()}。")

        ranges = self.standard_ranges(primary, decided)
        if ranges is not None:
            self.trace.append(ranges.text)

        undecided = [f for f in findings if f.verdict is Verdict.need_info]
        missing: List[str] = []
        for f in blocking + undecided:
            for name in f.missing:
                if name not in missing:
                    missing.append(name)
        next_question = self._next_question(blocking, undecided)
        return ScreeningResult(
            region=region.code,
            region_name=region.name,
            date=self.on,
            decided=decided,
            primary=primary,
            findings=findings,
            missing=missing,
            next_question=next_question,
            specialised_assistance=specialised,
            temporary_assistance=temporary,
            parameters=sorted(self.used.values(), key=lambda p: p.name),
            trace=self.trace,
            standard=self.standard_value,
            standard_ranges=ranges,
        )

    def standard_ranges(self, primary: Optional[str], decided: bool) -> Optional[StandardRanges]:
        """Where the 低保标准 used is not this place's current published value (a floor, an average, an
        old value), the values of the real standard S at which the verdict changes: with per-capita
        income I and edge multiplier m, 低保 if S > I, 边缘 if I/m < S ≤ I, neither if S ≤ I/m. A floor
        F rules out S < F. None when the value is exact, or income, area or assets already settle it."""
        used = self.standard_value
        pc, _ = self.per_capita()
        if used is None or pc is None or used.exact(self.on) or self.h.assets_within_limit is False:
            return None
        if primary == "tekun":
            return None
        m = self.param("near_dibao_multiplier").value
        floor = used.value if used.basis == "floor" else None
        # Ranges outside what any place has published are not shown: a family with 4000 per person is
        # not told "if the standard is above 4000 …", nor one with 250 "if it is below 167 …".
        lowest, ceiling = self.book.span(used.name)
        pc, edge = _money(pc), _money(pc / m)
        possible: List[StandardRange] = []
        for layer, low, high in (("dibao", pc, None), ("near_dibao", edge, pc), (None, None, edge)):
            if floor is not None and high is not None and high < floor:
                continue  # the standard is at least the floor: this range cannot be
            if ceiling is not None and low is not None and low >= ceiling:
                continue
            if lowest is not None and high is not None and high < lowest:
                continue
            if floor is not None and (low is None or low < floor):
                low, low_included = floor, True
            else:
                low_included = False
            possible.append(StandardRange(layer, low, high, low_included))
        if len(possible) < 2:
            return None  # every standard it could be gives the same verdict
        return StandardRanges(used, pc, m, possible, self.h.assets_within_limit is None)

    def _next_question(self, blocking: List[Finding], undecided: List[Finding]):
        """The one input that settles the most: first those blocking the primary result, then the rest."""
        for group in (blocking, undecided):
            candidates = [f.missing[0] for f in group if f.missing]
            if candidates:

                def score(name: str) -> int:
                    return sum(name in f.missing for f in undecided)

                best = max(candidates, key=lambda name: (score(name), -candidates.index(name)))
                return question_for(best, self.h.size)
        return None


_VERDICT_WORDS = {Verdict.eligible: "可能符合", Verdict.not_eligible: "不符合", Verdict.need_info: "信息不足"}


def _name(category: Optional[str]) -> str:
    return CATEGORY_NAMES[category] if category else ""


def stated_standard(name: str, value: Decimal, on: dt.date) -> ParameterValue:
    """A 低保标准 the resident (or the operator) says is their place's: used as exact for this screening."""
    return ParameterValue(name, value, on, "居民告知的当地标准", False, "", "当地", origin="stated")


def screen(household: Household, on: Optional[dt.date] = None, book: Optional[RegionBook] = None) -> ScreeningResult:
    """Pre-screen a household on a date (default today) with the regions in knowledge/regions/."""
    return _Screening(household, book or default_book(), on or dt.date.today()).run()
