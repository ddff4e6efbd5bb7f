"""The pure number validators: unified social credit codes, registration and licence numbers,
NIOSH approvals, notified bodies and customs declarations."""

import pytest

from procurement.validators import (
    Message,
    NumberFormatError,
    check_uscc,
    customs_declaration_problem,
    niosh_problem,
    notified_body_problem,
    parse_production_licence,
    parse_registration_number,
    uscc_check_char,
    uscc_error,
    uscc_problem,
)

# Real, published unified social credit codes (the check character is the one GB 32100-2015
# gives; where each was found is noted).
REAL_USCC = [
    # 华为技术有限公司 — Chinese Wikipedia's infobox for 华为 (机构代码).
    "914403001922038216",
    # 深圳市腾讯计算机系统有限公司 — business-licence report on check-china.com.
    "91440300708461136T",
    # 北京百度网讯科技有限公司 — public company-register records (organisation code 802100433).
    "91110000802100433B",
    # The worked example in GB 32100-2015 with its check character corrected to 3.
    "91350100M000100Y43",
]


class TestUnifiedSocialCreditCode:
    @pytest.mark.parametrize("code", REAL_USCC)
    def test_real_codes_are_valid(self, code):
        assert check_uscc(code)
        assert uscc_problem(code) is None
        assert uscc_error(code) is None

    def test_standard_worked_example_is_rejected(self):
        # GB 32100-2015's own example of a wrong code: 91350100M000100Y4Z (Z is not even in the
        # character set; the check character should be 3).
        problem = uscc_problem("91350100M000100Y4Z")
        assert problem is not None
        assert "Z" in problem.zh and "Z" in problem.en
        problem = uscc_problem("91350100M000100Y44")
        assert "应为 3" in problem.zh
        assert "should be 3" in problem.en

    def test_check_char_computation(self):
        assert uscc_check_char("91440300192203821") == "6"
        assert uscc_check_char("91440300708461136") == "T"
        with pytest.raises(ValueError):
            uscc_check_char("9144030019220382")  # 16 characters

    @pytest.mark.parametrize("code", REAL_USCC)
    def test_every_single_character_change_is_caught(self, code):
        # The weights are non-zero modulo 31, so any one changed character changes the sum.
        for position in range(17):
            replacement = "7" if code[position] != "7" else "8"
            changed = code[:position] + replacement + code[position + 1 :]
            assert not check_uscc(changed), changed

    def test_wrong_check_digit(self):
        assert not check_uscc("914403001922038217")
        assert "校验位" in uscc_error("914403001922038217", "zh")
        assert "check character" in uscc_error("914403001922038217", "en")

    def test_tolerates_full_width_spaces_and_lower_case(self):
        assert check_uscc("９１４４０３００１９２２０３８２１６")
        assert check_uscc(" 9144 0300 7084 6113 6t ")

    @pytest.mark.parametrize(
        ("code", "zh_part", "en_part"),
        [
            ("", "请填写", "Enter"),
            (None, "请填写", "Enter"),
            ("91440300708461136", "18 位", "18 characters"),
            ("9144030070846113600", "18 位", "18 characters"),
            ("440301103448669", "15 位的旧工商注册号", "old 15-digit"),
            ("91440300708461I36T", "I", "I"),
            ("9144030070846113OT", "O", "O"),
            ("91A40300708461136T", "行政区划码", "area code"),
        ],
    )
    def test_bad_codes_say_what_is_wrong(self, code, zh_part, en_part):
        problem = uscc_problem(code)
        assert isinstance(problem, Message)
        assert zh_part in problem.zh
        assert en_part in problem.en
        assert not check_uscc(code)

    def test_uscc_error_language(self):
        assert uscc_error("123", "en_GB").startswith("A unified social credit code")
        assert uscc_error("123", "zh_Hans_CN").startswith("统一社会信用代码")
        assert uscc_error("123") == uscc_problem("123").zh


class TestRegistrationNumber:
    @pytest.mark.parametrize(
        ("text", "authority", "form", "year", "device_class", "category", "serial"),
        [
            ("粤械注准20202140096", "粤", "准", 2020, 2, "14", "0096"),
            ("鄂械注准20162640123", "鄂", "准", 2016, 2, "64", "0123"),
            ("国械注进20193140123", "国", "进", 2019, 3, "14", "0123"),
            ("国械注许20172140007", "国", "许", 2017, 2, "14", "0007"),
            ("苏械注准20202140937号", "苏", "准", 2020, 2, "14", "0937"),
            (" 湘械注准 2020 2 14 0068 ", "湘", "准", 2020, 2, "14", "0068"),
            ("浙械注准２０２０２１４０２５６", "浙", "准", 2020, 2, "14", "0256"),
        ],
    )
    def test_valid_numbers_parse(self, text, authority, form, year, device_class, category, serial):
        reg = parse_registration_number(text)
        assert (reg.authority, reg.form, reg.year) == (authority, form, year)
        assert (reg.device_class, reg.category, reg.serial) == (device_class, category, serial)
        assert reg.text == f"{authority}械注{form}{year}{device_class}{category}{serial}"

    def test_properties(self):
        assert parse_registration_number("国械注进20193140123").is_national
        assert not parse_registration_number("粤械注准20202140096").is_national
        assert parse_registration_number("粤械注准20202140096").is_domestic
        assert not parse_registration_number("国械注进20193140123").is_domestic

    @pytest.mark.parametrize(
        ("text", "zh_part", "en_part"),
        [
            ("粤穗械备20200123号", "械备", "Class I filing (械备)"),
            ("浙杭械备20200001号", "第一类", "Class I filing"),
            ("粤食药监械(准)字2013第2640001号", "2014 年以前的旧格式", "before 2014"),
            ("粤食药监械（准）字2013第2640001号", "旧格式", "before 2014"),
            ("国食药监械(进)字2012第3641234号", "旧格式", "before 2014"),
            ("粤食药监械生产许20152365号", "生产许可", "production licence"),
            ("穗械注准20202140096", "“穗”不是省级简称", "neither a province"),
            ("广东械注准20202140096", "“广东”不是省级简称", "neither a province"),
            ("械注准20202140096", "不是省级简称", "neither a province"),
            ("粤械注准2020214009", "11 位数字", "11 digits"),
            ("粤械注准202021400966", "11 位数字", "11 digits"),
            ("粤械注准2020214009A", "11 位数字", "11 digits"),
            ("粤械注册20202140096", "格式不正确", "expected the form"),
            ("TC-84A-0006", "格式不正确", "expected the form"),
            ("", "请填写", "Enter"),
        ],
    )
    def test_invalid_numbers_are_rejected_with_a_reason(self, text, zh_part, en_part):
        with pytest.raises(NumberFormatError) as caught:
            parse_registration_number(text)
        assert zh_part in caught.value.message.zh
        assert en_part in caught.value.message.en
        assert str(caught.value) == caught.value.message.en


class TestProductionLicence:
    @pytest.mark.parametrize(
        ("text", "province", "year", "serial", "normalised"),
        [
            ("粤食药监械生产许20152365号", "粤", 2015, "2365", "粤食药监械生产许20152365号"),
            ("苏药监械生产许20200093号", "苏", 2020, "0093", "苏药监械生产许20200093号"),
            ("鄂食药监械生产许20160031", "鄂", 2016, "0031", "鄂食药监械生产许20160031号"),
        ],
    )
    def test_valid(self, text, province, year, serial, normalised):
        lic = parse_production_licence(text)
        assert (lic.province, lic.year, lic.serial, lic.text) == (
            province,
            year,
            serial,
            normalised,
        )

    @pytest.mark.parametrize(
        ("text", "zh_part", "en_part"),
        [
            ("粤穗食药监械生产备20150012号", "生产备", "Class I production filing"),
            ("粤械注准20202140096", "注册证编号", "registration certificate number"),
            ("国药监械生产许20200093号", "不是省级简称", "not a province"),
            ("粤食药监械生产许2015236号", "格式不正确", "expected the form"),
            ("粤卫消证字(2020)第0012号", "格式不正确", "expected the form"),
            ("", "请填写", "Enter"),
        ],
    )
    def test_invalid(self, text, zh_part, en_part):
        with pytest.raises(NumberFormatError) as caught:
            parse_production_licence(text)
        assert zh_part in caught.value.message.zh
        assert en_part in caught.value.message.en


class TestNiosh:
    @pytest.mark.parametrize("text", ["TC-84A-0006", "tc-84a-0007", "TC–84A–9372", " TC-84A-1234 "])
    def test_valid(self, text):
        assert niosh_problem(text) is None

    @pytest.mark.parametrize(
        ("text", "en_part"),
        [
            ("TC-84A-006", "4 digits"),
            ("TC-84A-00061", "4 digits"),
            ("TC-23C-1234", "not in the TC-84A series"),
            ("84A-0006", "expected the form"),
            ("N95", "expected the form"),
            ("", "Enter"),
        ],
    )
    def test_invalid(self, text, en_part):
        problem = niosh_problem(text)
        assert problem is not None
        assert en_part in problem.en
        assert problem.zh


class TestNotifiedBody:
    @pytest.mark.parametrize("text", ["0086", "2163", "0123", "NB 2797", "０１９４"])
    def test_four_digits(self, text):
        assert notified_body_problem(text) is None

    @pytest.mark.parametrize("text", ["86", "02163", "CE2163", "BSI", "", None])
    def test_not_four_digits(self, text):
        problem = notified_body_problem(text)
        assert problem is not None
        assert problem.zh and problem.en


class TestCustomsDeclaration:
    def test_import_declaration(self):
        assert customs_declaration_problem("531620201000456789") is None
        assert customs_declaration_problem("5316 2020 1 000456789") is None

    @pytest.mark.parametrize(
        ("text", "en_part"),
        [
            ("531620200000456789", "export declaration"),
            ("531620205000456789", "import flag"),
            ("53162020100045678", "18 digits"),
            ("5316202010004567X9", "18 digits"),
            ("", "Enter"),
        ],
    )
    def test_invalid(self, text, en_part):
        problem = customs_declaration_problem(text)
        assert problem is not None
        assert en_part in problem.en


def test_message_language_choice():
    message = Message("中文", "English")
    assert message.in_lang("en") == "English"
    assert message.in_lang("en_US") == "English"
    assert message.in_lang("zh") == "中文"
    assert message.in_lang(None) == "中文"
    assert str(message) == "中文"
