"""Pure validators for the numbers printed on suppliers' papers (no Flask, no database).

What lives here:

* Every problem these validators report is a `core.text.Message` (Simplified Chinese and
  English), so a form can show it in the page's language and the quality checklist can keep both.
* Unified social credit codes (统一社会信用代码, GB 32100-2015): `check_uscc`, `uscc_problem`,
  `uscc_error`.
* Medical device registration numbers in the 2014 format (`粤械注准20202140096`):
  `parse_registration_number` -> `RegistrationNumber`, raising `NumberFormatError`.
* Medical device production licence numbers (`粤食药监械生产许20152365号`):
  `parse_production_licence` -> `ProductionLicenceNumber`, raising `NumberFormatError`.
* NIOSH approval numbers (`TC-84A-0006`), CE notified-body numbers (four digits) and Chinese
  customs declaration numbers (18 digits): `niosh_problem`, `notified_body_problem`,
  `customs_declaration_problem`.

Sources relied on (public copies; the standards themselves were not available to read):

* GB 32100-2015 check digit: the standard's worked example (91350100M000100Y4Z is wrong, its
  check character should be 3) as reproduced on yc00.com / wddqw.com / renrendoc.com; weights
  W_i = 3^(i-1) mod 31, C18 = 31 - (sum mod 31), 31 read as 0.
* Registration number layout ×1械注×2××××3×4××5××××6 (2014 《医疗器械注册管理办法》): 国 for
  domestic Class III and all imports, the province's abbreviation for domestic Class II; 准
  domestic, 进 imported, 许 Hong Kong/Macao/Taiwan; year of first registration; class; the
  last two digits of the catalogue category; a four-digit serial (anytesting.com, 2023-08-29,
  and a copy of the regulation's text on wendadaohang.com).
* Customs declaration number: 18 digits, 1-4 the customs office, 5-8 the year, 9th "1" import /
  "0" export, then 9 serial digits (1bjqnw.com, baidu zhidao answer of 2018-08-13).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.text import Message

__all__ = [
    "PROVINCE_ABBREVIATIONS",
    "USCC_CHARSET",
    "NumberFormatError",
    "ProductionLicenceNumber",
    "RegistrationNumber",
    "check_uscc",
    "customs_declaration_problem",
    "niosh_problem",
    "normalise_code",
    "notified_body_problem",
    "parse_production_licence",
    "parse_registration_number",
    "uscc_check_char",
    "uscc_error",
    "uscc_problem",
]


class NumberFormatError(ValueError):
    """A certificate or licence number that does not have the required form."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.en)
        self.message = message


# The 31 provincial-level abbreviations used on registration certificates and licences.
PROVINCE_ABBREVIATIONS = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
# Registrations may also be approved by the Xinjiang Production and Construction Corps (兵团),
# which has provincial standing: 兵械注准… numbers sit beside the provinces' in NMPA's register.
REGISTRATION_AUTHORITIES = PROVINCE_ABBREVIATIONS | {"兵"}
NATIONAL = "国"


def normalise_code(text: str | None) -> str:
    """Fold full-width characters to half-width, drop all whitespace, upper-case Latin letters."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split()).upper()


# --------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)
# --------------------------------------------------------------------------------------------

# The code's 31 characters: digits and capitals without I, O, S, V, Z. A character's value is
# its index here.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, ...


def uscc_check_char(first17: str) -> str:
    """The check character (18th) for the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError("need the first 17 characters of a unified social credit code")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_problem(code: str | None) -> Message | None:
    """What is wrong with a unified social credit code, or None when it is valid.

    Full-width characters, spaces and lower-case letters are tolerated (they are folded first);
    everything else must be exact: 18 characters from the code's character set, digits in
    positions 3-8 (the registering authority's area code), and the GB 32100-2015 check character.
    """
    value = normalise_code(code)
    if not value:
        return Message("请填写统一社会信用代码", "Enter the unified social credit code")
    if len(value) == 15 and value.isdigit():
        return Message(
            "这是 15 位的旧工商注册号，不是统一社会信用代码；请填写营业执照上的 18 位代码",
            "This is an old 15-digit business registration number, not a unified social credit "
            "code: enter the 18-character code on the business licence",
        )
    if len(value) != 18:
        return Message(
            f"统一社会信用代码应为 18 位，现为 {len(value)} 位",
            f"A unified social credit code has 18 characters; this one has {len(value)}",
        )
    bad = [ch for ch in value if ch not in _USCC_VALUE]
    if bad:
        shown = "、".join(dict.fromkeys(bad))
        shown_en = ", ".join(dict.fromkeys(bad))
        return Message(
            f"统一社会信用代码中不能出现字符 {shown}（代码不使用 I、O、S、V、Z）",
            f"A unified social credit code cannot contain {shown_en} "
            "(the letters I, O, S, V and Z are never used)",
        )
    if not value[2:8].isdigit():
        return Message(
            "统一社会信用代码第 3 至 8 位应为登记机关行政区划码（数字）",
            "Characters 3 to 8 of a unified social credit code are the registering authority's "
            "area code and must be digits",
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return Message(
            f"统一社会信用代码校验位不正确：第 18 位应为 {expected}，现为 {value[17]}，"
            "请核对是否抄错",
            f"The check character of this unified social credit code is wrong: the 18th "
            f"character should be {expected}, not {value[17]}; check for a copying mistake",
        )
    return None


def check_uscc(code: str | None) -> bool:
    """True when `code` is a valid unified social credit code (GB 32100-2015 check character)."""
    return uscc_problem(code) is None


def uscc_error(code: str | None, lang: str | None = "zh") -> str | None:
    """`uscc_problem` as a plain string in one language ("zh" or "en"), None when valid."""
    problem = uscc_problem(code)
    return None if problem is None else problem.in_lang(lang)


# --------------------------------------------------------------------------------------------
# Medical device registration certificate numbers (2014 format)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationNumber:
    """A registration number in the 2014 format, e.g. 粤械注准20202140096.

    authority: the province's abbreviation (domestic Class II) or 国 (domestic Class III and
    imports); form: 准 domestic, 进 imported, 许 Hong Kong/Macao/Taiwan; year: year of first
    registration; device_class: 2 or 3; category: the two-digit catalogue category (14 for
    protective equipment in the 2017 catalogue, 64 for medical dressings in the 2002 one);
    serial: four digits.
    """

    text: str
    authority: str
    form: str
    year: int
    device_class: int
    category: str
    serial: str

    @property
    def is_national(self) -> bool:
        return self.authority == NATIONAL

    @property
    def is_domestic(self) -> bool:
        return self.form == "准"


_REGISTRATION_RE = re.compile(r"^(?P<authority>.*?)械注(?P<form>[准进许])(?P<digits>.*)$")


def parse_registration_number(text: str | None) -> RegistrationNumber:
    """Parse a medical device registration number; raise `NumberFormatError` when it is not one.

    Rejected with a specific message: Class I filings (械备), the pre-2014 formats
    (…食药监械(准)字…第…号), production licence numbers entered by mistake, unknown authority
    abbreviations, and a wrong number of digits (11 after 械注准/进/许).
    """
    value = normalise_code(text)
    if value.endswith("号"):
        value = value[:-1]
    if not value:
        raise NumberFormatError(
            Message("请填写医疗器械注册证编号", "Enter the registration certificate number")
        )
    if "械备" in value:
        raise NumberFormatError(
            Message(
                "医疗器械注册证编号格式不正确：械备类备案凭证是第一类医疗器械备案，"
                "不能用于医用口罩（第二类医疗器械）",
                "Registration number is not valid: a Class I filing (械备) cannot cover medical "
                "masks, which are Class II medical devices",
            )
        )
    if "生产许" in value or "生产备" in value:
        raise NumberFormatError(
            Message(
                "这是医疗器械生产许可（备案）编号，不是注册证编号，请分别登记",
                "This is a production licence (or filing) number, not a registration number: "
                "record it as a production licence",
            )
        )
    if "字" in value and ("药监械" in value or "药管械" in value):
        raise NumberFormatError(
            Message(
                "医疗器械注册证编号格式不正确：“×食药监械(准)字…第…号”是 2014 年以前的旧格式，"
                "不予认可，请提供现行注册证",
                "Registration number is not valid: “…食药监械(准)字…第…号” is the format used "
                "before 2014 and is not accepted; ask for the current certificate",
            )
        )
    match = _REGISTRATION_RE.match(value)
    if match is None:
        raise NumberFormatError(
            Message(
                "医疗器械注册证编号格式不正确，应为“粤械注准20202140096”这样的格式",
                "Registration number is not valid: expected the form 粤械注准20202140096",
            )
        )
    authority, form, digits = match["authority"], match["form"], match["digits"]
    if authority != NATIONAL and authority not in REGISTRATION_AUTHORITIES:
        shown = authority or "（空）"
        raise NumberFormatError(
            Message(
                f"医疗器械注册证编号格式不正确：“{shown}”不是省级简称或“国”",
                f"Registration number is not valid: “{authority or '(nothing)'}” is neither a "
                "province's abbreviation nor 国",
            )
        )
    if not digits.isdigit() or len(digits) != 11:
        raise NumberFormatError(
            Message(
                f"医疗器械注册证编号格式不正确：“械注{form}”之后应为 11 位数字"
                f"（年份 4 位、类别 1 位、分类编码 2 位、流水号 4 位），现为“{digits}”",
                f"Registration number is not valid: 械注{form} must be followed by 11 digits "
                f"(4 for the year, 1 for the class, 2 for the category, 4 for the serial), "
                f"not “{digits}”",
            )
        )
    return RegistrationNumber(
        text=f"{authority}械注{form}{digits}",
        authority=authority,
        form=form,
        year=int(digits[:4]),
        device_class=int(digits[4]),
        category=digits[5:7],
        serial=digits[7:],
    )


# --------------------------------------------------------------------------------------------
# Medical device production licence numbers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductionLicenceNumber:
    """A production licence number, e.g. 粤食药监械生产许20152365号 or 苏药监械生产许20200093号."""

    text: str
    province: str
    year: int
    serial: str


_PRODUCTION_RE = re.compile(
    r"^(?P<province>.*?)(?:食药监械|药监械)生产许(?P<year>\d{4})(?P<serial>\d{4})号?$"
)


def parse_production_licence(text: str | None) -> ProductionLicenceNumber:
    """Parse a medical device production licence number; raise `NumberFormatError` if it is not one.

    The province's abbreviation, 食药监械 (before the 2018 reorganisation) or 药监械 (after),
    生产许, a four-digit year and a four-digit serial, optionally ending in 号. A Class I
    production filing (…生产备…) is not a licence and cannot cover Class II medical masks.
    """
    value = normalise_code(text)
    if not value:
        raise NumberFormatError(
            Message("请填写医疗器械生产许可证编号", "Enter the production licence number")
        )
    if "生产备" in value:
        raise NumberFormatError(
            Message(
                "医疗器械生产许可证编号不正确：“生产备”是第一类医疗器械生产备案，"
                "不能用于医用口罩（第二类医疗器械）",
                "Production licence number is not valid: a Class I production filing (生产备) "
                "cannot cover medical masks, which are Class II medical devices",
            )
        )
    if "械注" in value:
        raise NumberFormatError(
            Message(
                "这是医疗器械注册证编号，不是生产许可证编号，请分别登记",
                "This is a registration certificate number, not a production licence number: "
                "record it as a registration certificate",
            )
        )
    match = _PRODUCTION_RE.match(value)
    if match is None:
        raise NumberFormatError(
            Message(
                "医疗器械生产许可证编号格式不正确，应为“粤食药监械生产许20152365号”"
                "或“苏药监械生产许20200093号”这样的格式",
                "Production licence number is not valid: expected the form "
                "粤食药监械生产许20152365号 or 苏药监械生产许20200093号",
            )
        )
    province = match["province"]
    if province not in PROVINCE_ABBREVIATIONS:
        raise NumberFormatError(
            Message(
                f"医疗器械生产许可证编号不正确：“{province or '（空）'}”不是省级简称"
                "（生产许可证由省级药监部门核发）",
                f"Production licence number is not valid: “{province or '(nothing)'}” is not a "
                "province's abbreviation (production licences are issued by provinces)",
            )
        )
    text_out = f"{province}{value[len(province) :].removesuffix('号')}号"
    return ProductionLicenceNumber(
        text=text_out, province=province, year=int(match["year"]), serial=match["serial"]
    )


# --------------------------------------------------------------------------------------------
# Foreign approvals and customs
# --------------------------------------------------------------------------------------------

_NIOSH_RE = re.compile(r"^TC-(?P<series>\d{2}[A-Z])-(?P<serial>\d+)$")


def niosh_problem(text: str | None) -> Message | None:
    """What is wrong with a NIOSH approval number, or None when it reads TC-84A-#### (4 digits).

    The TC-84A series is for particulate (filtering) respirators under 42 CFR Part 84; other
    series (TC-23C chemical cartridges, TC-14G gas masks, ...) do not cover masks like N95.
    """
    value = normalise_code(text).replace("–", "-").replace("—", "-")
    if not value:
        return Message("请填写 NIOSH 批准号", "Enter the NIOSH approval number")
    match = _NIOSH_RE.match(value)
    if match is None:
        return Message(
            f"NIOSH 批准号格式不正确：“{value}”，应为 TC-84A-0000 这样的格式",
            f"NIOSH approval number “{value}” is not valid: expected the form TC-84A-0000",
        )
    if match["series"] != "84A":
        return Message(
            f"NIOSH 批准号 {value} 不属于 TC-84A 颗粒物防护系列，不能证明口罩的防护等级",
            f"NIOSH approval {value} is not in the TC-84A series for particulate respirators, "
            "so it does not cover masks",
        )
    if len(match["serial"]) != 4:
        return Message(
            f"NIOSH 批准号格式不正确：“{value}”，TC-84A- 之后应为 4 位数字",
            f"NIOSH approval number “{value}” is not valid: TC-84A- must be followed by 4 digits",
        )
    return None


def notified_body_problem(text: str | None) -> Message | None:
    """What is wrong with an EU notified-body number, or None when it is exactly four digits."""
    value = normalise_code(text).removeprefix("NB")
    if not value:
        return Message(
            "CE 证书未注明公告机构编号", "The CE certificate names no notified-body number"
        )
    if not (len(value) == 4 and value.isdigit()):
        return Message(
            f"公告机构编号“{value}”不正确：应为 4 位数字（如 0086、0123、2163）",
            f"Notified-body number “{value}” is not valid: it must be exactly 4 digits "
            "(such as 0086, 0123, 2163)",
        )
    return None


def customs_declaration_problem(text: str | None) -> Message | None:
    """What is wrong with an import customs declaration number (报关单号), or None.

    18 digits: the customs office (4), the year (4), "1" for an import ("0" for an export), and a
    9-digit serial.
    """
    value = normalise_code(text)
    if not value:
        return Message("请填写报关单号", "Enter the customs declaration number")
    if not (len(value) == 18 and value.isdigit()):
        return Message(
            f"报关单号格式不正确：应为 18 位数字，现为“{value}”",
            f"Customs declaration number “{value}” is not valid: it must be 18 digits",
        )
    if value[8] == "0":
        return Message(
            f"报关单 {value} 第 9 位为 0，是出口报关单，不能证明进口",
            f"Customs declaration {value} has 0 as its 9th digit: it is an export declaration "
            "and does not show an import",
        )
    if value[8] != "1":
        return Message(
            f"报关单号 {value} 第 9 位应为进出口标志（1 为进口）",
            f"The 9th digit of customs declaration {value} must be the import flag 1",
        )
    return None
