"""Small valid files and codes for the procurement tests."""

import io

from PIL import Image

from procurement.validators import uscc_check_char


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(out, format="JPEG")
    return out.getvalue()


PNG_BYTES = _png()
JPEG_BYTES = _jpeg()
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# A Windows executable's first bytes ("MZ" header), as a renamed .exe would start.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def valid_uscc(prefix: str) -> str:
    """An 18-character code with the right check character: prefix padded to 17 with digits."""
    body = (prefix + "0123456789ABCDEFGH")[:17]
    body = "".join(c if c in "0123456789ABCDEFGHJKLMNPQRTUWXY" else "1" for c in body)
    return body + uscc_check_char(body)


MAKER = "稳健医疗用品股份有限公司"


def passing_certificates(maker: str = MAKER, uscc: str | None = None) -> list[dict]:
    """Keyword arguments for `create_certificate` that make a domestic surgical batch pass."""
    from datetime import date

    uscc = uscc or valid_uscc("914403006188812")
    return [
        dict(
            kind="registration_certificate",
            number="粤械注准20202140096",
            holder=maker,
            product_name="医用外科口罩",
            models="平面耳挂式",
            issuer="广东省药品监督管理局",
            valid_from=date(2020, 1, 30),
            valid_until=date(2025, 1, 29),
        ),
        dict(
            kind="production_licence",
            number="粤食药监械生产许20152365号",
            holder=maker,
            issuer="广东省药品监督管理局",
            valid_from=date(2015, 6, 1),
            valid_until=date(2025, 5, 31),
            scope="Ⅱ类：14-14 医用口罩",
        ),
        dict(kind="business_licence", number=uscc, holder=maker, issuer="深圳市市场监督管理局"),
        dict(
            kind="test_report",
            number="GZJY2020-0311",
            holder=maker,
            issuer="广州医疗器械质量监督检验中心",
            valid_from=date(2020, 1, 20),
            lab_accreditation="190012340118",
            covers="平面耳挂式",
            measured={
                "bacterial_filtration": "98.6",
                "particle_filtration": "56",
                "pressure_difference": "38.2",
                "synthetic_blood": True,
                "blood_pressure": "16.0",
                "afterflame": "0",
                "bacteria_count": "20",
                "fungi_count": "0",
                "pathogens": True,
            },
        ),
    ]
