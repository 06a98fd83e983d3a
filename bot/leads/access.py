"""The one region guard (for the queue and the calls alike). A staff member sees and acts on what lies in their own region (an
administrative code: everything whose code starts with theirs); an admin sees everywhere. Every staff
route reaches the data through a service that asks here — leads, calls, the operator's pages, exports,
merges, filing — and tests/test_access_matrix.py checks every route of the app against it.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import true
from sqlalchemy.sql import ColumnElement

from bot.leads.model import Forbidden, Staff, StaffRole


def may_see(staff: Staff, region: Optional[str]) -> bool:
    """Something without a region (a call from before regions were kept) is for admins only."""
    return staff.role is StaffRole.admin or (region is not None and region.startswith(staff.region))


def confine(staff: Staff, region: Optional[str], what: str = "record") -> None:
    if not may_see(staff, region):
        # The record's own region is not named: a refusal must not tell an outsider where it lies.
        raise Forbidden(f"staff {staff.id} ({staff.region}) may not act on {what} outside their region")


def visible(column, staff: Staff) -> ColumnElement:
    """The same rule as a WHERE clause, for lists and exports."""
    return true() if staff.role is StaffRole.admin else column.startswith(staff.region, autoescape=True)
