"""Certificates and their scans. Plain values in, flush, never commit.

A scan is checked by its content (PDF by its header, JPEG and PNG by their signature and then by
Pillow), limited in size (`SCAN_MAX_BYTES`), and stored once under `instance/uploads/` named by
its SHA-256. It is written to disk only after everything else about the certificate has been
checked, so a refused certificate leaves no file behind. Scans are served only through a guarded
view, never from `static/`.
"""

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts.models import User
from catalog.models import Lot
from core.errors import ServiceError
from core.text import clean
from extensions import db

from .models import Certificate, CertificateKind, StoredFile, Supplier
from .quality.vocabulary import LEVEL_MEASURES, PASS_FAIL_MEASURES, ForeignClass, Measure
from .validators import notified_body_problem

# Papers that can carry a foreign standard and class.
FOREIGN_CLASS_KINDS = frozenset(
    {
        CertificateKind.NIOSH_APPROVAL,
        CertificateKind.CE_CERTIFICATE,
        CertificateKind.FDA_AUTHORISATION,
        CertificateKind.TEST_REPORT,
    }
)

DEFAULT_SCAN_MAX_BYTES = 10 * 1024 * 1024
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scan_path(stored: StoredFile) -> Path:
    return upload_dir() / stored.sha256


def max_scan_bytes() -> int:
    return int(current_app.config.get("SCAN_MAX_BYTES", DEFAULT_SCAN_MAX_BYTES))


def sniff(data: bytes) -> str | None:
    """The content type of a scan from its bytes (PDF, JPEG or PNG), None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF if b"%%EOF" in data[-2048:] else None
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
        return {"JPEG": JPEG, "PNG": PNG}.get(kind)
    return None


@dataclass(frozen=True)
class CheckedScan:
    """A scan that passed the checks, not yet written."""

    data: bytes
    content_type: str
    sha256: str
    original_name: str


def check_scan(data: bytes, original_name: str = "") -> CheckedScan:
    """Refuse anything that is not a PDF, JPEG or PNG within the size limit."""
    limit = max_scan_bytes()
    if len(data) > limit:
        raise ServiceError(
            _l(
                "The file is %(size)s MB; scans may be at most %(limit)s MB. Scan at a lower "
                "resolution or split the document.",
                size=f"{len(data) / 1024 / 1024:.1f}",
                limit=f"{limit / 1024 / 1024:.0f}",
            ),
            "scan",
        )
    if not data:
        raise ServiceError(_l("The file is empty."), "scan")
    content_type = sniff(data)
    if content_type is None:
        raise ServiceError(
            _l(
                "This file is not a PDF, JPEG or PNG (its content was checked, not its name). "
                "Upload the scan as a PDF, JPEG or PNG."
            ),
            "scan",
        )
    return CheckedScan(
        data, content_type, hashlib.sha256(data).hexdigest(), Path(original_name).name[:200]
    )


def store_scan(scan: CheckedScan, actor: User | None = None) -> StoredFile:
    """Write the scan under instance/uploads/<sha256> (once) and record it."""
    stored = db.session.scalar(sa.select(StoredFile).where(StoredFile.sha256 == scan.sha256))
    target = upload_dir() / scan.sha256
    if not target.exists():
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(scan.data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    if stored is None:
        stored = StoredFile(
            sha256=scan.sha256,
            content_type=scan.content_type,
            size=len(scan.data),
            original_name=scan.original_name,
            created_by_id=actor.id if actor else None,
        )
        db.session.add(stored)
        db.session.flush()
    return stored


def parse_measured(values: dict[str, object]) -> dict[str, object]:
    """A test report's measured values as stored: numbers as strings (exact), pass/fail results
    (synthetic blood, pathogens) as bools, declared levels as their letters; empty values left
    out. ServiceError names the measure that is not a number (or not a level)."""
    result: dict[str, object] = {}
    for key, value in values.items():
        measure = Measure(key)
        if value is None or value == "":
            continue
        if measure in PASS_FAIL_MEASURES:
            result[key] = bool(value)
            continue
        if measure in LEVEL_MEASURES:
            level = str(value).strip().upper()
            if level not in LEVEL_MEASURES[measure]:
                raise ServiceError(_l("Choose one of the levels of the standard."), key)
            result[key] = level
            continue
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            raise ServiceError(_l("Give a number (for example 98.5)."), key)
        result[key] = str(number)
    return result


def create_certificate(
    kind: CertificateKind | str,
    number: str,
    *,
    issuer: str = "",
    holder: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
    notified_body: str | None = None,
    measured: dict[str, object] | None = None,
    product_name: str = "",
    models: str = "",
    foreign_class: str | None = None,
    lab_accreditation: str | None = None,
    covers: str = "",
    scope: str = "",
    supplier_id: int | None = None,
    scan: CheckedScan | None = None,
    lots: list[Lot] = (),
    actor: User | None = None,
) -> Certificate:
    """Record a certificate (and store its scan), attached to `lots`. Whether its number and
    validity hold up is the checklist's business; here only what makes no sense is refused."""
    try:
        kind = CertificateKind(kind)
    except ValueError:
        raise ServiceError(_l("Choose the kind of certificate."), "kind") from None
    number = clean(number)
    if not number:
        raise ServiceError(_l("This field is required."), "number")
    if valid_from and valid_until and valid_until < valid_from:
        raise ServiceError(_l("The end of validity comes before its start."), "valid_until")
    notified_body = clean(notified_body) or None
    if notified_body and notified_body_problem(notified_body) is not None:
        raise ServiceError(
            _l("A notified body's number has four digits, e.g. 0123."), "notified_body"
        )
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    measured = parse_measured(measured or {}) if kind is CertificateKind.TEST_REPORT else {}
    if foreign_class:
        try:
            foreign_class = ForeignClass(foreign_class).value
        except ValueError:
            raise ServiceError(_l("Choose the standard and class."), "foreign_class") from None
    if kind not in FOREIGN_CLASS_KINDS:
        foreign_class = None
    registration = kind is CertificateKind.REGISTRATION_CERTIFICATE
    report = kind is CertificateKind.TEST_REPORT
    product_name = clean(product_name)[:200] if registration else ""
    models = clean(models)[:500] if registration else ""
    certificate = Certificate(
        kind=kind,
        number=number,
        issuer=clean(issuer),
        holder=clean(holder),
        valid_from=valid_from,
        valid_until=valid_until,
        notified_body=notified_body,
        measured=measured,
        product_name=product_name,
        models=models,
        foreign_class=foreign_class or None,
        lab_accreditation=(clean(lab_accreditation)[:40] or None) if report else None,
        covers=clean(covers)[:200] if report else "",
        scope=clean(scope)[:500] if kind is CertificateKind.PRODUCTION_LICENCE else "",
        supplier=supplier,
        created_by_id=actor.id if actor else None,
    )
    for lot in lots:
        certificate.lots.append(lot)
    db.session.add(certificate)
    db.session.flush()
    if scan is not None:  # last: nothing refused after the file is written
        certificate.scan = store_scan(scan, actor)
        db.session.flush()
    return certificate


def attach_certificate(certificate: Certificate, lot: Lot) -> None:
    """One certificate covers many batches: attach an existing one to another lot."""
    if lot in certificate.lots:
        raise ServiceError(_l("This certificate is already attached to the batch."), "certificate")
    certificate.lots.append(lot)
    db.session.flush()


def certificates_for_supplier_or_maker(lot: Lot) -> list[Certificate]:
    """Certificates that could cover this batch too: the supplier's, or those held by its maker."""
    supplier_id = lot.purchase_line.purchase.supplier_id if lot.purchase_line else None
    conditions = [Certificate.holder == lot.product.maker]
    if supplier_id:
        conditions.append(Certificate.supplier_id == supplier_id)
    attached = {c.id for c in lot.certificates}
    found = db.session.scalars(
        sa.select(Certificate).where(sa.or_(*conditions)).order_by(Certificate.id.desc()).limit(50)
    )
    return [c for c in found if c.id not in attached]
