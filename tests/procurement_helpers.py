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
