"""Lead intake: the one place where a detected emergency or a hotline call becomes a lead draft.

Chat (actions/emergency.py, whatever the input channel: web, WeChat) and the hotline
(bot/hotline/service.py, from what bot/hotline/assist.py heard) call `draft_lead`; nothing else builds
a `LeadDraft` (the API's JSON body aside). The rules it applies, once:

- cause, kind and severity: the already-detected emergency's (bot/conversation/emergency.py decides, the
  intake does not re-detect); none detected → cause `other`, severity by origin (see `UNDETECTED`).
- region: an unknown place is NEVER a reason to refuse an emergency lead. No region known, or something
  that is not an administrative code (a place name, a typo) → filed with region `000000`, and an admin
  routes it (the place, if any, stays in `place`/the description). Chat and the hotline used to differ
  (chat filed `000000`, the hotline refused): this is the one rule now.
- consent and contact: contact details are kept only with consent (a contact without it is refused by
  the draft's validation: chat and the operator page ask for details only after consent); consent is
  recorded only when some detail is kept (an empty contact is none). Free text (description, place)
  is masked.
- idempotency key: `<origin>:<conversation>[:<message>]` — `chat:<sender>:<message id>`,
  `hotline:<call id>`: a retried or replayed turn or click never files twice.
- channel name: the input channel as the lead's source (`wechat`, `hotline`, else `web`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

from bot.leads.draft import LeadDraft
from bot.leads.model import Cause, Handling, Severity, SourceChannel
from bot.privacy import mask_pii

REGION_CODE = re.compile(r"[0-9]{2,12}")  # as LeadDraft.region accepts (after NFKC); not \d: any script's digits
UNKNOWN_REGION = "000000"  # no region known: the lead waits for an admin to route it
CHAT = "chat"  # a resident's conversation with the assistant, whatever its input channel
HOTLINE = "hotline"  # a 12345 operator's call
# Nothing detected: in chat the resident still reported an emergency (the classifier said so), so it is
# urgent; on the hotline the operator files a lead for a call where nothing urgent was heard.
UNDETECTED = {CHAT: (Cause.other, Severity.urgent), HOTLINE: (Cause.other, Severity.normal)}
NO_DESCRIPTION = {CHAT: "（居民在对话中报告紧急情况）", HOTLINE: "热线来电"}
DESCRIPTION_LIMIT = 2000


@dataclass(frozen=True)
class Detected:
    """An emergency already detected: bot.conversation.emergency.Emergency, or one a call's state
    kept (bot/hotline/assist.py), or anything else with these three attributes."""

    kind: str
    cause: Cause
    severity: Severity


def source_channel(input_channel: Optional[str]) -> SourceChannel:
    """The lead's source for an input channel's name (Rasa's, or `hotline`): anything else is the web."""
    try:
        return SourceChannel(input_channel or SourceChannel.web.value)
    except ValueError:
        return SourceChannel.web


def lead_region(code: Any) -> str:
    """The region a lead is filed with: the administrative code given, else `UNKNOWN_REGION`."""
    code = unicodedata.normalize("NFKC", code.strip()) if isinstance(code, str) else ""
    return code if REGION_CODE.fullmatch(code) else UNKNOWN_REGION


def _contact(contact: Any) -> Any:
    """Empty fields dropped; nothing left is no contact. Anything but a mapping is left for the draft's
    validation to refuse precisely."""
    if not isinstance(contact, dict):
        return contact
    kept = {k: v for k, v in contact.items() if v not in (None, "")}
    return kept or None


def idempotency_key(origin: str, conversation_id: str, message_id: Optional[str] = None) -> str:
    """`<origin>:<conversation>[:<message>]`: the key a filing (and a later addition to it) is known by."""
    return ":".join(str(part) for part in (origin, conversation_id, message_id) if part is not None)


def draft_lead(
    origin: str,
    conversation_id: str,
    *,
    message_id: Optional[str] = None,
    input_channel: Optional[str] = None,
    emergency: Optional[Detected] = None,
    cause: Optional[str] = None,
    severity: Optional[str] = None,
    description: Optional[str] = None,
    region: Optional[str] = None,
    place: Optional[str] = None,
    contact: Any = None,
    consent: Any = False,
    screening: Optional[dict] = None,
    suggested_handling: Optional[Handling] = None,
) -> LeadDraft:
    """The lead draft for an emergency (or a call) reported in `origin` (`CHAT` or `HOTLINE`).

    `emergency` is what detection found (kind, cause, severity) or None; `cause` and `severity`, when
    given, are a person's correction of it (the operator's form). Raises pydantic's ValidationError
    for bad input (a region that is not a code, a phone that is not one)."""
    if origin not in UNDETECTED:
        raise ValueError(f"origin must be one of {sorted(UNDETECTED)}, got {origin!r}")
    default_cause, default_severity = (emergency.cause, emergency.severity) if emergency else UNDETECTED[origin]
    kept = _contact(contact)
    text = mask_pii((description or "").strip())[:DESCRIPTION_LIMIT]
    filed_region = lead_region(region)
    if filed_region == UNKNOWN_REGION and not place and isinstance(region, str) and region.strip():
        place = region.strip()[:200]  # a place name where a code was expected: kept for the admin
    key = idempotency_key(origin, conversation_id, message_id)
    return LeadDraft(
        idempotency_key=key,
        source_channel=source_channel(HOTLINE if origin == HOTLINE else input_channel),
        conversation_id=conversation_id,
        cause=cause or default_cause,
        kind=emergency.kind if emergency else None,
        severity=severity or default_severity,
        description=text or NO_DESCRIPTION[origin],
        region=filed_region,
        place=mask_pii(place) if place else None,
        contact=kept,
        # As given (the draft validates it), but only for details actually kept.
        consent=consent if kept is not None else False,
        screening=screening,
        suggested_handling=suggested_handling,
    )
