"""动态监测 when a standard changes: households that agreed are re-screened on a date, and each that may
now qualify for a layer that gives more (边缘 → 低保, none → 边缘) becomes one lead for its township,
"标准调整后可能符合". Never twice for the same change (the lead's idempotency key is the household and
the standard), never for a household that did not agree (only they are kept)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from pydantic import ValidationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import sessionmaker

from bot.db import utcnow
from bot.eligibility import Household, ScreeningError, screen
from bot.eligibility.inputs import Area
from bot.eligibility.parameters import ParameterValue, RegionBook
from bot.eligibility.result import CATEGORY_NAMES, ScreeningResult
from bot.leads import LeadDraft, LeadService
from bot.leads.model import Cause, Severity, SourceChannel
from bot.leads.tables import leads as leads_table
from bot.standards.tables import monitored_households

log = logging.getLogger(__name__)

LEAD_KIND = "standard_change"
LEAD_TITLE = "标准调整后可能符合"
# What a layer gives, least to most: moving up is "newly may qualify".
RANK = {"none": 0, "rigid_expense": 1, "near_dibao": 2, "dibao": 3, "tekun": 4}
# What a screening uses: the household as the engine takes it, without the emergency of the moment.
KEPT_FIELDS = set(Household.__fields__) - {"emergency"}


def fingerprint(used: Optional[ParameterValue]) -> Optional[str]:
    if used is None:
        return None
    return f"{used.name}@{used.region}:{used.since.isoformat()}={used.value.normalize():f}/{used.origin}"


def _layer(result: ScreeningResult) -> str:
    return result.primary or "none"


@dataclass
class RescreenReport:
    households: int = 0
    unchanged: int = 0  # the standard in force is the one they were last screened on
    rescreened: int = 0
    newly_qualifying: int = 0
    filed: int = 0  # leads created by this run (a retry of a half-done run files none again)

    def __str__(self) -> str:
        return (
            f"households {self.households}, standard unchanged {self.unchanged}, re-screened {self.rescreened}, "
            f"newly may qualify {self.newly_qualifying}, leads filed {self.filed}"
        )


class Rescreener:
    def __init__(self, sessions: sessionmaker, leads: LeadService, book: Callable[[], RegionBook]) -> None:
        self.sessions, self.leads, self.book = sessions, leads, book

    # --- consent -------------------------------------------------------------------------------------
    def enroll(self, conversation_id: str, channel: str, household: dict, on: Optional[dt.date] = None) -> int:
        """The resident agreed at the result: keep the screening's facts (one row per conversation; agreeing
        again replaces them) with the verdict and standard they were given."""
        on = on or dt.date.today()
        kept = {k: v for k, v in household.items() if k in KEPT_FIELDS}
        result = screen(Household(**kept), on, self.book())
        values = dict(
            channel=channel[:32],
            region=kept["region"],
            household=kept,
            primary_layer=_layer(result),
            standard=fingerprint(result.standard),
            consented_at=utcnow(),
            screened_on=on,
            withdrawn_at=None,
        )
        with self.sessions.begin() as session:
            found = session.execute(
                select(monitored_households.c.id).where(monitored_households.c.conversation_id == conversation_id)
            ).scalar()
            if found is not None:
                session.execute(update(monitored_households).where(monitored_households.c.id == found).values(**values))
                return found
            return session.execute(
                monitored_households.insert().values(conversation_id=conversation_id, **values)
            ).inserted_primary_key[0]

    def withdraw(self, conversation_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(monitored_households)
                .where(monitored_households.c.conversation_id == conversation_id)
                .values(withdrawn_at=utcnow())
            )

    # --- the run -------------------------------------------------------------------------------------
    def enroll_leads(self, on: dt.date) -> int:
        """Leads whose resident agreed to be contacted and whose screening carries the household's facts
        (the hotline's, when the caller consented) are monitored too, once each (as `lead:<id>`)."""
        with self.sessions() as session:
            found = session.execute(
                select(leads_table.c.id, leads_table.c.source_channel, leads_table.c.screening).where(
                    leads_table.c.consent_at.is_not(None), leads_table.c.screening.is_not(None)
                )
            ).all()
            known = set(
                session.execute(
                    select(monitored_households.c.conversation_id).where(
                        monitored_households.c.conversation_id.like("lead:%")
                    )
                ).scalars()
            )
        added = 0
        for lead_id, channel, screening in found:
            household = screening.get("household") if isinstance(screening, dict) else None
            if f"lead:{lead_id}" in known or not isinstance(household, dict) or not household.get("region"):
                continue
            try:
                self.enroll(f"lead:{lead_id}", getattr(channel, "value", str(channel)), household, on)
                added += 1
            except (ValidationError, ScreeningError, KeyError):
                log.warning("lead %s: its household cannot be screened, not monitored", lead_id)
        return added

    def run(self, on: Optional[dt.date] = None, batch: int = 2000) -> RescreenReport:
        on = on or dt.date.today()
        self.enroll_leads(on)
        book = self.book()
        report = RescreenReport()
        last_id = 0
        while True:
            with self.sessions() as session:
                rows = session.execute(
                    select(monitored_households)
                    .where(monitored_households.c.id > last_id, monitored_households.c.withdrawn_at.is_(None))
                    .order_by(monitored_households.c.id)
                    .limit(batch)
                ).all()
            if not rows:
                return report
            last_id = rows[-1].id
            updates: List[Dict] = []
            for row in rows:
                report.households += 1
                changed = self._one(row, book, on, report)
                if changed is not None:
                    updates.append(changed)
            if updates:
                with self.sessions.begin() as session:
                    session.execute(
                        update(monitored_households)
                        .where(monitored_households.c.id == bindparam("row_id"))
                        .values(
                            primary_layer=bindparam("new_primary"),
                            standard=bindparam("new_standard"),
                            screened_on=bindparam("new_screened_on"),
                        ),
                        updates,
                    )

    def _one(self, row, book: RegionBook, on: dt.date, report: RescreenReport) -> Optional[Dict]:
        household = row.household
        area = household.get("area")
        if household.get("local_standard") is None and area in (Area.urban.value, Area.rural.value):
            name = "dibao_standard_urban" if area == Area.urban.value else "dibao_standard_rural"
            try:
                if fingerprint(book.value(row.region, name, on)) == row.standard:
                    report.unchanged += 1  # the cheap check: most households, most days
                    return None
            except KeyError:
                pass
        try:
            result = screen(Household(**household), on, book)
        except (ValidationError, ScreeningError) as error:  # a household kept by an older version
            log.warning("monitored household %s cannot be re-screened: %s", row.id, error.__class__.__name__)
            return None
        report.rescreened += 1
        after = _layer(result)
        if RANK[after] > RANK.get(row.primary_layer, 0):
            report.newly_qualifying += 1
            if self._file(row, result, after):
                report.filed += 1
        return {
            "row_id": row.id,
            "new_primary": after,
            "new_standard": fingerprint(result.standard),
            "new_screened_on": on,
        }

    def _file(self, row, result: ScreeningResult, after: str) -> bool:
        used = result.standard
        before = CATEGORY_NAMES.get(row.primary_layer, "暂不符合") if row.primary_layer != "none" else "暂不符合"
        per_capita = next((line for line in result.trace if line.startswith("人均月收入")), "")
        description = (
            f"{LEAD_TITLE}：{used.in_words(result.date) if used else ''}重新测算，"
            f"由“{before}”变为可能符合“{CATEGORY_NAMES[after]}”。{per_capita}"
            f"依据：{used.source if used else ''}。居民曾同意标准调整时重新测算，请核实后联系（会话 {row.conversation_id}）。"
        )
        draft = LeadDraft(
            idempotency_key=f"rescreen:{row.id}:{fingerprint(used)}",
            source_channel=SourceChannel.monitoring,
            conversation_id=row.conversation_id,
            cause=Cause.other,
            kind=LEAD_KIND,
            severity=Severity.normal,
            description=description[:2000],
            region=row.region,
            screening={
                "before": row.primary_layer,
                "after": after,
                "standard": used.to_dict() if used else None,
                "household": row.household,
            },
        )
        return self.leads.file(draft).created
