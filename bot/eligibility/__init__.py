"""Eligibility pre-screen: rules as code over dated regional parameters (no Rasa, no I/O but
reading knowledge/)."""

from bot.eligibility.engine import ScreeningError, default_book, screen
from bot.eligibility.inputs import Household, Member
from bot.eligibility.parameters import ParameterError, RegionBook, load_regions
from bot.eligibility.result import ScreeningResult, Verdict

__all__ = [
    "Household",
    "Member",
    "ParameterError",
    "RegionBook",
    "ScreeningError",
    "ScreeningResult",
    "Verdict",
    "default_book",
    "load_regions",
    "screen",
]
