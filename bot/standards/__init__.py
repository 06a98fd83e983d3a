"""Published 低保 standards kept current by staff (issue #19): a county supervisor or admin enters a new
value for their region; it is validated, kept as history beside knowledge/regions/ (the reviewed seed)
and takes effect on its date in every process (`LiveBook`). Households that consented are re-screened
when a standard changes (`bot.standards.rescreen`)."""

from bot.standards.live import LiveBook
from bot.standards.service import StandardEntry, StandardRefused, StandardsService

__all__ = ["LiveBook", "StandardEntry", "StandardRefused", "StandardsService"]
