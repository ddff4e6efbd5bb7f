"""Resident identity card numbers (居民身份证号码, GB 11643-1999), and what Baogong keeps of one.

A number is 18 characters: a 6-digit address code (its first two digits a province), the birth
date (8 digits), a 3-digit sequence and a check character over the first 17 (ISO 7064 MOD 11-2:
weights 2^(17-i) mod 11, the remainder mapped through "10X98765432"). Baogong never stores the
number: only `keyed_hash` of it, an HMAC-SHA256 under a key kept in the instance folder, so
that a copy of the database does not give the numbers back (a plain hash of an 18-character
number with a known structure can be reversed by trying them all).

Pure: no Flask, no database.
"""

import hashlib
import hmac
import unicodedata
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# The first two digits: provinces, autonomous regions and municipalities (GB/T 2260), Taiwan,
# Hong Kong and Macao (71, 81, 82: the numbers on residence permits).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
OLDEST = date(1900, 1, 1)


class InvalidIdNumber(ValueError):
    """Why a number is not a valid one: `code` is one of length, characters, province,
    birth_date, check_character."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise(text: str) -> str:
    """The number as typed, without spaces, full-width digits made ASCII, x (and the
    multiplication sign, which people type for it) made X."""
    text = unicodedata.normalize("NFKC", text or "").replace(" ", "").strip().upper()
    return text.replace("×", "X")


def check_character(first17: str) -> str:
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def validate(text: str, today: date) -> str:
    """The normalised number, or InvalidIdNumber saying what is wrong with it."""
    number = normalise(text)
    if len(number) != 18:
        raise InvalidIdNumber("length")
    if not (number[:17].isascii() and number[:17].isdigit() and number[17] in "0123456789X"):
        raise InvalidIdNumber("characters")
    if int(number[:2]) not in PROVINCE_CODES:
        raise InvalidIdNumber("province")
    try:
        born = birth_date(number)
    except ValueError:
        raise InvalidIdNumber("birth_date") from None
    if not OLDEST <= born <= today:
        raise InvalidIdNumber("birth_date")
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber("check_character")
    return number


def keyed_hash(number: str, key: bytes) -> str:
    """HMAC-SHA256 of the normalised number under `key`, as hex: what is stored. (Whatever was
    typed can be hashed: the booking pages' rate limits key on it before it is validated.)"""
    return hmac.new(key, normalise(number).encode("utf-8"), hashlib.sha256).hexdigest()
