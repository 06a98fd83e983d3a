"""The emergency's kind on a lead: kept from detection, named in Chinese, filterable, carried by a merge."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from bot.conversation.emergency import detect
from bot.knowledge import rules
from bot.leads import LeadDraft, LeadService, StaffRole, StaffService, intake
from bot.leads.model import KIND_GROUP_NAMES, KIND_GROUPS, kind_group, kind_name

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def service(sessions):
    return LeadService(sessions, b"kinds", clock=lambda: NOW)


@pytest.fixture
def county(sessions):
    return StaffService(sessions).create("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[0]


def test_every_kind_of_the_rules_has_a_group_and_every_group_a_chinese_name():
    named = set(rules.emergency_rules().kinds) | {"other"}
    assert named <= set(KIND_GROUPS), f"kinds without a group: {sorted(named - set(KIND_GROUPS))}"
    assert set(KIND_GROUPS.values()) == set(KIND_GROUP_NAMES)
    assert len(KIND_GROUP_NAMES) <= 12  # a short list staff can read in a filter
    assert kind_name("self_harm") == "自伤风险" and kind_name("fire_trapped") == kind_name("fire") == "火灾"
    assert kind_group("a_kind_added_later") == "other" and kind_name(None) == ""


def test_a_self_harm_lead_keeps_its_kind_beside_cause_other(service, county):
    found = detect("我真的不想活了")
    assert found is not None and found.kind == "self_harm"
    draft = intake.draft_lead(intake.CHAT, "u-1", message_id="m-1", emergency=found, region="220104001")
    filed = service.file(draft)
    lead, _ = service.get(filed.lead_id, county)
    assert (lead.cause.value, lead.kind, lead.severity.value) == ("other", "self_harm", "life_threatening")


def test_the_list_filters_by_group_and_other_takes_unknown_kinds(service, county):
    for key, kind in [("a", "self_harm"), ("b", "fire_trapped"), ("c", "fire"), ("d", "plea"), ("e", "new_kind")]:
        service.file(_draft(key, kind=kind))
    service.file(_draft("f"))  # no emergency kind: staff filed it

    def kinds(group):
        return sorted(lead.kind for lead in service.list(county, kind=group))

    assert kinds("fire") == ["fire", "fire_trapped"]
    assert kinds("self_harm") == ["self_harm"]
    assert kinds("other") == ["new_kind", "plea"]
    assert len(service.list(county)) == 6


def test_a_more_severe_report_merged_into_the_household_gives_it_its_kind(service, county):
    contact = {"phone": "13912345678"}
    first = service.file(_draft("h1", severity="normal", contact=contact, consent=True))
    assert first.lead.kind is None
    second = service.file(_draft("h2", kind="violence", severity="life_threatening", contact=contact, consent=True))
    assert second.merged_into == first.lead.id
    lead, _ = service.get(first.lead.id, county)
    assert (lead.kind, lead.severity.value) == ("violence", "life_threatening")


@pytest.mark.parametrize("bad", ["Self_Harm", "自伤", "a" * 40, 3, "x-y"])
def test_a_kind_that_is_not_a_name_is_refused(bad):
    with pytest.raises(ValidationError):
        _draft("k", kind=bad)


def test_a_draft_without_a_kind_hashes_as_before_kinds_were_kept():
    """A retry that crosses the upgrade (its first filing hashed without the field) is the same filing."""
    draft = _draft("old")
    before = {k: v for k, v in json.loads(draft.json()).items() if k != "kind"}
    canonical = json.dumps(before, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert draft.fingerprint() == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert _draft("old", kind="fire").fingerprint() != draft.fingerprint()


def _draft(key, severity="urgent", **extra):
    return LeadDraft(
        idempotency_key=key,
        source_channel="wechat",
        cause="other",
        severity=severity,
        description="居民报告紧急情况",
        region="220104001",
        **extra,
    )
