"""Chinese first, English second: Accept-Language, the header switch, dates and numbers."""

from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

from accounts.models import Role


def test_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "登录保供系统" in html


def test_english_from_accept_language(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(
        as_text=True
    )
    assert 'lang="en"' in html
    assert "Sign in to Baogong" in html


def test_chinese_variant_in_accept_language(client):
    html = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert "登录保供系统" in html


def test_header_switch_overrides_browser(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.location == "/login"
    assert "Sign in to Baogong" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "zh", "next": "/login"})
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "登录保供系统" in html


def test_switch_ignores_unknown_language_and_foreign_next(client):
    response = client.post("/language", data={"lang": "fr", "next": "https://evil.example/"})
    assert response.location == "/"
    assert "登录保供系统" in client.get("/login").get_data(as_text=True)


def test_signed_in_pages_follow_the_switch(signed_in):
    client = signed_in(Role.ADMIN)
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get("/admin/users").get_data(as_text=True)
    assert "New user" in html and "Administrator" in html
    client.post("/language", data={"lang": "zh", "next": "/"})
    html = client.get("/admin/users").get_data(as_text=True)
    assert "新建用户" in html and "管理员" in html


@pytest.mark.parametrize(
    ("language", "expected_date", "expected_number"),
    [("zh", "2026年3月1日", "1,234,567"), ("en", "Mar 1, 2026", "1,234,567")],
)
def test_dates_and_numbers_follow_locale(app, language, expected_date, expected_number):
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)  # 09:30 in Beijing
    with app.test_request_context(headers={"Accept-Language": language}):
        text = render_template_string("{{ d|datetime }} | {{ n|number }}", d=moment, n=1234567)
    assert expected_date in text
    assert "9:30" in text  # shown in the city's time zone
    assert expected_number in text


CATALOGUE = "translations/zh/LC_MESSAGES/messages.po"


def read_catalogue():
    with open(CATALOGUE, "rb") as handle:
        return read_po(handle)


def test_every_message_is_translated():
    catalogue = read_catalogue()
    entries = [message for message in catalogue if message.id]
    untranslated = [
        m.id for m in entries if not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """Every translatable string in the code is in the catalogue (run `make extract-messages`)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open("babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        ".",
        method_map,
        options_map,
        keywords=keywords,
        directory_filter=lambda path: (
            not any(
                part.startswith(".") or part in {"tests", "migrations", "bench"}
                for part in path.split("/")
            )
        ),
    ):
        found.add(message if isinstance(message, str) else message[0])
    catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalogue() if m.id}
    assert sorted(found - catalogue) == []
