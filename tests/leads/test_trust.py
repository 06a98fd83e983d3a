"""Issue 12, the queue's own guarantees against a hostile filer, on real SQLite and PostgreSQL: keys
belong to their filer, filing stays in the filer's region, state changes never overwrite each other,
codes are ASCII digits whatever the width typed, and free text without consent keeps no full number."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from bot.leads import (
    ClaimConflict,
    Forbidden,
    IdempotencyConflict,
    LeadDraft,
    LeadService,
    LeadState,
    StaffRole,
    StaffService,
    TransitionRefused,
)

SECRET = b"trust-secret"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
ID_NUMBER, PHONE = "110101199003074518", "13912345678"
RACE_ROUNDS = 40


@pytest.fixture
def service(sessions):
    return LeadService(sessions, SECRET, clock=lambda: NOW)


@pytest.fixture
def people(sessions):
    make = StaffService(sessions).create
    return {
        "town": make("李干事", "前进街道", "220104001", StaffRole.township_staff)[0],
        "town_b": make("孙干事", "前进街道", "220104001", StaffRole.township_staff)[0],
        "county": make("王科长", "朝阳区民政局", "220104", StaffRole.county_supervisor)[0],
        "shandong": make("赵干事", "兰山区某街道", "371302001", StaffRole.township_staff)[0],
        "admin": make("管理员", "省民政厅", "22", StaffRole.admin)[0],
    }


def draft(key="k-1", region="220104001", severity="normal", contact=None, consent=None, **extra):
    return LeadDraft(
        idempotency_key=key,
        source_channel=extra.pop("source_channel", "staff"),
        cause="illness",
        severity=severity,
        description=extra.pop("description", "家人突发重病，住院费用负担不起"),
        region=region,
        contact=contact,
        consent=bool(contact) if consent is None else consent,
        **extra,
    )


# --- 1. idempotency keys are the filer's own ------------------------------------------------------------
def test_another_filers_key_returns_their_own_new_lead_not_the_first(service, people):
    first = service.file(draft(key="wx-1", contact={"name": "刘女士", "phone": PHONE}), people["town"])
    replay = service.file(draft(key="wx-1", region="371302001"), people["shandong"])
    assert replay.created and replay.lead.id != first.lead.id
    assert replay.lead.contact_phone is None and replay.lead.region == "371302001"


def test_a_squatted_key_does_not_swallow_the_channels_emergency(service, people):
    squatter = service.file(draft(key="hotline:call-9", description="占位"), people["town"])
    emergency = service.file(draft(key="hotline:call-9", severity="life_threatening", source_channel="hotline"))
    assert emergency.created and emergency.lead.id != squatter.lead.id
    queue = service.list(people["county"], states=[LeadState.new])
    assert emergency.lead.id in [lead.id for lead in queue]


def test_a_replay_must_repeat_the_filing(service, people):
    first = service.file(draft(key="r"), people["town"])
    again = service.file(draft(key="r"), people["town"])
    assert not again.created and again.lead.id == first.lead.id
    with pytest.raises(IdempotencyConflict) as refused:
        service.file(draft(key="r", severity="urgent"), people["town"])
    assert refused.value.message_zh


# --- 2. filing stays inside the filer's region ------------------------------------------------------------
def test_a_township_files_only_inside_its_region(service, people):
    with pytest.raises(Forbidden):
        service.file(draft(region="220104001"), people["shandong"])
    with pytest.raises(Forbidden):
        service.file(draft(region="220104"), people["town"])  # the county is wider than the township
    assert service.file(draft(key="a", region="371302001"), people["admin"]).created
    assert service.list(people["county"]) == []


def test_household_matching_never_crosses_into_an_unseen_region(service, people):
    jilin = service.file(draft(key="j", contact={"phone": PHONE}), people["town"]).lead
    probe = service.file(
        draft(key="p", region="371302001", severity="life_threatening", contact={"phone": PHONE}), people["shandong"]
    )
    assert probe.created and probe.merged_into is None and probe.lead.state is LeadState.new
    lead, events = service.get(jilin.id, people["town"])
    assert lead.severity.value == "normal" and [e.kind for e in events] == ["filed"]
    # Inside the filer's region the household is still one chain.
    again = service.file(draft(key="q", contact={"phone": PHONE}), people["county"])
    assert again.merged_into == jilin.id


# --- 4. every state change is conditional --------------------------------------------------------------
def _race(first, second):
    """Run both at the same moment; each returns True when it won, False when refused."""
    barrier = threading.Barrier(2)

    def run(action):
        barrier.wait()
        try:
            action()
            return True
        except (ClaimConflict, TransitionRefused):
            return False

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(run, [first, second]))


def _history_is_a_chain(events) -> bool:
    states = [e.to_state for e in events if e.kind != "linked"]
    froms = [e.from_state for e in events if e.kind != "linked"][1:]
    return froms == states[:-1]


def test_claim_and_merge_at_once_one_wins_and_history_is_true(service, people):
    town, county = people["town"], people["county"]
    target = service.file(draft(key="target")).lead
    for n in range(RACE_ROUNDS):
        lead = service.file(draft(key=f"race-{n}")).lead
        claimed, merged = _race(
            lambda i=lead.id: service.claim(i, town), lambda i=lead.id: service.merge(i, target.id, county)
        )
        final, events = service.get(lead.id, county)
        # Both may win one after the other (claimed, then merged); never one over the other's head.
        assert claimed or merged, f"round {n}"
        assert final.state is (LeadState.merged if merged else LeadState.claimed), f"round {n}"
        assert _history_is_a_chain(events), [(e.kind, e.from_state, e.to_state) for e in events]
        kinds = [e.kind for e in events]
        assert ("claimed" in kinds) == claimed and ("merged" in kinds) == merged, f"round {n}: {kinds}"


def test_merge_into_a_lead_closed_at_the_same_moment_is_refused(service, people):
    town, county = people["town"], people["county"]
    for n in range(RACE_ROUNDS // 2):
        target = service.file(draft(key=f"t-{n}")).lead
        lead = service.file(draft(key=f"l-{n}")).lead
        closed, merged = _race(
            lambda t=target.id: service.transition(t, town, LeadState.closed),
            lambda i=lead.id, t=target.id: service.merge(i, t, county),
        )
        assert closed
        assert not merged or service.get(target.id, county)[0].state is LeadState.closed
        final = service.get(lead.id, county)[0]
        # A merge that went through went into a lead that was open at that moment, and closing came after.
        assert final.state is (LeadState.merged if merged else LeadState.new)


def test_two_transitions_at_once_one_wins(service, people):
    town, town_b = people["town"], people["town_b"]
    for n in range(RACE_ROUNDS // 2):
        lead = service.file(draft(key=f"m-{n}")).lead
        service.claim(lead.id, town)
        won = _race(
            lambda i=lead.id: service.transition(i, town, LeadState.visiting),
            lambda i=lead.id: service.transition(i, town_b, LeadState.new),
        )
        assert sum(won) == 1, f"round {n}: {won}"
        assert _history_is_a_chain(service.get(lead.id, town)[1])


# --- 6. codes are ASCII digits ---------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["220104\n", "２２０１０４\n", "٢٢٠١٠٤", "22 0104", "220104001x"])
def test_codes_that_only_look_like_digits_are_refused(region):
    with pytest.raises(ValidationError):
        draft(region=region)


def test_full_width_codes_are_stored_as_ascii(service, people):
    filed = service.file(draft(region="２２０１０４００１"), people["town"])
    assert filed.lead.region == "220104001"
    assert [lead.id for lead in service.list(people["town"])] == [filed.lead.id]


@pytest.mark.parametrize("written", ["１１０１０１１９９００３０７４５１８", "110101 19900307 4518"])
def test_one_household_one_open_lead_whatever_the_digits_width(service, people, written):
    first = service.file(draft(key="ascii", contact={"id_number": ID_NUMBER}))
    second = service.file(draft(key="wide", contact={"id_number": written}))
    assert second.merged_into == first.lead.id
    assert len(service.list(people["county"], states=[LeadState.new])) == 1


def test_id_numbers_with_a_trailing_newline_are_refused():
    with pytest.raises(ValidationError):
        draft(contact={"id_number": ID_NUMBER + "\n"})


# --- 8. free text keeps no full number without consent -----------------------------------------------------
def test_without_consent_free_text_is_masked_everywhere(service, people, sessions):
    town = people["town"]
    said = f"身份证{ID_NUMBER}，电话139.1234.5678，也可打一三九一二三四五六七八"
    lead = service.file(
        draft(key="nc", description=said, place=said, screening={"note": said, "members": [{"said": said}]})
    ).lead
    service.claim(lead.id, town)
    service.transition(lead.id, town, LeadState.visiting, note=said)
    service.refer(lead.id, town, "医保", note=said)
    service.transition(lead.id, town, LeadState.resolved, note=said, outcome=said)
    with sessions() as session:
        stored = repr(session.execute(text("SELECT * FROM leads")).all())
        stored += repr(session.execute(text("SELECT * FROM lead_events")).all())
    for secret in ("19900307", "1234", "一二三四", "99003074"):
        assert secret not in stored, secret


def test_with_consent_the_persons_words_are_kept(service):
    said = f"电话{PHONE}"
    lead = service.file(draft(key="c", description=said, contact={"phone": PHONE})).lead
    assert lead.description == said and lead.contact_phone == PHONE
