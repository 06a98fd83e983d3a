"""The household key: one household, one assistance chain (一户一条救助链).

Leads are matched on a keyed hash (HMAC-SHA256) of the ID number, else the phone number, else the region
plus the normalised address — never on a name. The ID number itself is never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Optional

_NOT_DIGIT = re.compile(r"[^0-9]")  # not \D: that keeps full-width and other scripts' digits
_ADDRESS_NOISE = re.compile(r"[\s,，.。、;；:：#\-—()（）]")


def normalise_phone(phone: str) -> str:
    digits = _NOT_DIGIT.sub("", unicodedata.normalize("NFKC", phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def normalise_id_number(id_number: str) -> str:
    return re.sub(r"[^0-9X]", "", unicodedata.normalize("NFKC", id_number).upper())


def normalise_address(address: str) -> str:
    return _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", address)).lower()


def household_key(
    secret: bytes,
    *,
    id_number: Optional[str] = None,
    phone: Optional[str] = None,
    region: Optional[str] = None,
    address: Optional[str] = None,
) -> Optional[str]:
    if id_number and normalise_id_number(id_number):
        basis = "id:" + normalise_id_number(id_number)
    elif phone and normalise_phone(phone):
        basis = "phone:" + normalise_phone(phone)
    elif region and address and normalise_address(address):
        basis = f"address:{region}:{normalise_address(address)}"
    else:
        return None
    return hmac.new(secret, basis.encode("utf-8"), hashlib.sha256).hexdigest()
