"""What a filer sends to open a lead (validated; contact details only with consent).

Every stored field passes `bot.inputs` (no control characters, lone surrogates, NaN, deep JSON; codes as
ASCII digits), so what is filed can always be read back, listed and exported.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Optional

from pydantic import BaseModel, Field, root_validator, validator

from bot.inputs import InputRefused, clean_code, clean_json, clean_text
from bot.leads.model import Cause, Handling, Severity, SourceChannel

_KIND = re.compile(r"[a-z][a-z_]{0,31}")
_PHONE = re.compile(r"[+0-9 ()\-]{5,32}")


class Contact(BaseModel):
    name: Optional[str] = Field(None, max_length=100)
    phone: Optional[str] = Field(None, max_length=32)
    address: Optional[str] = Field(None, max_length=300)
    # Used only to match the household; never stored.
    id_number: Optional[str] = None

    class Config:
        extra = "forbid"

    @validator("name", "address", pre=True)
    def _text(cls, value, field):
        return None if value is None else clean_text(value, max_length=field.field_info.max_length)

    @validator("phone", pre=True)
    def _phone(cls, value):
        if value is None:
            return None
        # Kept as written (spaces, brackets, +86), with full-width digits made ASCII: one household, one key.
        phone = unicodedata.normalize("NFKC", clean_text(value, max_length=32))
        if not _PHONE.fullmatch(phone):
            raise InputRefused("phone may hold only 5-32 of 0-9, +, space, brackets, -", "电话号码格式不正确")
        return phone

    @validator("id_number", pre=True)
    def _id_number(cls, value):
        if value is None:
            return None
        number = clean_code(
            clean_text(value, strip=False).replace(" ", ""), min_digits=15, max_digits=18, last_may_be_x=True
        )
        if len(number) not in (15, 18) or (len(number) == 15 and not number.isdigit()):
            raise InputRefused("ID number must be 15 digits or 17 digits and a check character", "身份证号格式不正确")
        return number

    def is_empty(self) -> bool:
        return not any((self.name, self.phone, self.address, self.id_number))


class LeadDraft(BaseModel):
    idempotency_key: str = Field(
        ...,
        max_length=200,
        description="the filer's own id for this filing (e.g. the channel's message id): retries reuse it",
    )
    source_channel: SourceChannel
    conversation_id: Optional[str] = Field(None, max_length=255)
    cause: Cause
    kind: Optional[str] = Field(
        None,
        max_length=32,
        description="the emergency's kind as detected (knowledge/rules/emergency.yaml: self_harm, violence, fire, …)",
    )
    severity: Severity
    description: str = Field(..., max_length=2000)
    region: str = Field(..., description="administrative code, as precise as known")
    place: Optional[str] = Field(None, max_length=200)
    contact: Optional[Contact] = None
    consent: bool = Field(False, description="the person agreed that their contact details are kept for this lead")
    screening: Optional[dict] = None
    suggested_handling: Optional[Handling] = None

    class Config:
        extra = "forbid"

    @validator("idempotency_key", "description", "conversation_id", "place", pre=True)
    def _text(cls, value, field):
        if value is None and not field.required:
            return None
        text = clean_text(value, max_length=field.field_info.max_length)
        if not text and field.required:
            raise InputRefused("must not be empty", "不能为空")
        return text

    @validator("kind", pre=True)
    def _kind(cls, value):
        if value is None:
            return None
        if not isinstance(value, str) or not _KIND.fullmatch(value):
            raise InputRefused("kind must be 1-32 of a-z and _, starting with a letter", "紧急情况类型不正确")
        return value

    @validator("region", pre=True)
    def _region(cls, value):
        return clean_code(value, min_digits=2, max_digits=12)

    @validator("screening", pre=True)
    def _screening(cls, value):
        return None if value is None else clean_json(value)

    @root_validator(skip_on_failure=True)
    def _contact_needs_consent(cls, values):
        contact = values.get("contact")
        if contact is not None and not contact.is_empty() and not values.get("consent"):
            raise ValueError("contact details are kept only with the person's consent (consent: true)")
        return values

    def fingerprint(self) -> str:
        """A hash of the canonical draft: a retry under the same key must send the same filing."""
        # Without a kind the hash is the one drafts had before kinds were kept: a retry across the upgrade
        # is still the same filing.
        fields = json.loads(self.json(exclude={"kind"} if self.kind is None else None))
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
