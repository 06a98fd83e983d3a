"""What a filer sends to open a lead (validated; contact details only with consent)."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field, constr, root_validator

from bot.leads.model import Cause, Handling, Severity, SourceChannel


class Contact(BaseModel):
    name: Optional[constr(strip_whitespace=True, max_length=100)] = None
    phone: Optional[constr(strip_whitespace=True, max_length=32, regex=r"^[+0-9 ()\-]{5,32}$")] = None
    address: Optional[constr(strip_whitespace=True, max_length=300)] = None
    # Used only to match the household; never stored.
    id_number: Optional[constr(strip_whitespace=True, regex=r"^\d{15}$|^\d{17}[\dXx]$")] = None

    class Config:
        extra = "forbid"

    def is_empty(self) -> bool:
        return not any((self.name, self.phone, self.address, self.id_number))


class LeadDraft(BaseModel):
    idempotency_key: constr(strip_whitespace=True, min_length=1, max_length=200) = Field(
        ..., description="the filer's own id for this filing (e.g. the channel's message id): retries reuse it"
    )
    source_channel: SourceChannel
    conversation_id: Optional[constr(max_length=255)] = None
    cause: Cause
    severity: Severity
    description: constr(strip_whitespace=True, min_length=1, max_length=2000)
    region: constr(regex=r"^\d{2,12}$") = Field(..., description="administrative code, as precise as known")
    place: Optional[constr(strip_whitespace=True, max_length=200)] = None
    contact: Optional[Contact] = None
    consent: bool = Field(False, description="the person agreed that their contact details are kept for this lead")
    screening: Optional[dict] = None
    suggested_handling: Optional[Handling] = None

    class Config:
        extra = "forbid"

    @root_validator(skip_on_failure=True)
    def _contact_needs_consent(cls, values):
        contact = values.get("contact")
        if contact is not None and not contact.is_empty() and not values.get("consent"):
            raise ValueError("contact details are kept only with the person's consent (consent: true)")
        return values
