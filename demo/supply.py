"""Demo batches that arrive and are released the way a person does it: an order (purchase,
donation or transfer) with its line, the batch received against it into quarantine, the maker's
papers recorded with their scans and attached, and an inspector who runs the checklist and
releases (or rejects) it. The stock story and the second delivery of the rounds use this, so no
demo lot is available without papers and an inspection record."""

from dataclasses import dataclass
from datetime import date, datetime

from catalog.models import Lot, LotOrigin
from procurement import inspection
from procurement.models import Inspection

from .procurement import Desk, maker_uscc

# Registrations and production licences of the makers, per grade they make (numbers of the
# 2020 form; the surgical masks of 美丽康 come with a filing 备案 receipt instead, which the
# checklist fails: the demo's rejected batch).
# fmt: off
REGISTRATIONS = {
    ("稳健医疗用品股份有限公司", "surgical"): "粤械注准20202140096",
    ("稳健医疗用品股份有限公司", "disposable_medical"): "粤械注准20202140097",
    ("振德医疗用品股份有限公司", "surgical"): "浙械注准20162140212",
    ("振德医疗用品股份有限公司", "medical_protective"): "浙械注准20172140321",
    ("振德医疗用品股份有限公司", "disposable_medical"): "浙械注准20162140213",
    ("3M中国有限公司", "medical_protective"): "沪械注准20162140456",
    ("上海大胜卫生用品制造有限公司", "medical_protective"): "沪械注准20172140089",
    ("广州美丽康保健用品有限公司", "disposable_medical"): "粤械注准20192140255",
    ("广州美丽康保健用品有限公司", "surgical"): "粤穗械备20200012号",
    ("蓝帆医疗股份有限公司", "medical_gloves"): "鲁械注准20172140010",
}
LICENCES = {
    "稳健医疗用品股份有限公司": "粤食药监械生产许20152365号",
    "振德医疗用品股份有限公司": "浙食药监械生产许20150017号",
    "3M中国有限公司": "沪食药监械生产许20100022号",
    "上海大胜卫生用品制造有限公司": "沪食药监械生产许20060031号",
    "广州美丽康保健用品有限公司": "粤食药监械生产许20180044号",
    "蓝帆医疗股份有限公司": "鲁食药监械生产许20100005号",
}
# fmt: on

# What a good test report measures, by grade (within the limits of its standard).
MEASURED = {
    "surgical": {
        "bacterial_filtration": "98.6",
        "particle_filtration": "52.4",
        "pressure_difference": "36.5",
        "synthetic_blood": True,
        "blood_pressure": "16.0",
        "afterflame": "0",
        "bacteria_count": "12",
        "fungi_count": "0",
        "pathogens": True,
        "eo_residue": "2.1",
    },
    "medical_protective": {
        "particle_filtration": "96.8",
        "inhalation_resistance": "210",
        "synthetic_blood": True,
        "blood_pressure": "10.7",
        "surface_moisture": "4",
        "fit_factor": "186",
        "bacteria_count": "20",
        "fungi_count": "8",
        "pathogens": True,
    },
    "disposable_medical": {
        "bacterial_filtration": "97.2",
        "pressure_difference": "38.0",
        "bacteria_count": "30",
        "fungi_count": "6",
        "pathogens": True,
    },
    "kn95": {
        "particle_filtration": "96.5",
        "inhalation_resistance": "180",
        "exhalation_resistance": "120",
    },
    "daily_protective": {
        "filtration_level": "III",
        "protection_level": "C",
        "protection_effect": "78",
        "bacteria_count": "46",
        "fungi_count": "12",
        "particle_filtration": "92.5",
        "oil_filtration": "85.0",
        "inhalation_resistance": "120",
        "exhalation_resistance": "95",
    },
}
# Goods a medical products administration registers (the masks' rules, and gloves).
REGISTERED = {"surgical", "medical_protective", "disposable_medical", "medical_gloves"}
LAB_CMA = "190012340118"  # the labs' accreditation (CMA) number, as on a report's cover
LABS = {
    True: ("广州医疗器械质量监督检验中心", "GZJY"),
    False: ("广东产品质量监督检验研究院", "GDZJ"),
}


@dataclass(frozen=True)
class Order:
    """Where a batch comes from: the supplier, the kind of order, its number and unit price."""

    supplier: str
    source: str  # purchase, donation or transfer
    number: str
    unit_price: str | None = None


@dataclass(frozen=True)
class Batch:
    grade: str
    maker: str
    model: str
    per_box: int
    lot_number: str
    pieces: int
    origin: LotOrigin
    production: date
    expiry: date


def receive(desk: Desk, order: Order, batch: Batch, days_ago: int) -> Lot:
    """Order the batch (three days before it arrives), receive it into quarantine `days_ago`,
    and record the papers that came with it."""
    purchase = desk.purchase(
        order.supplier,
        order.source,
        order.number,
        days_ago + 3,
        [(batch.grade, batch.pieces, order.unit_price, batch.model)],
    )
    donated = None
    if batch.origin is LotOrigin.DONATION:  # what the donated goods are, for their papers
        donated = (
            LotOrigin.DOMESTIC_MEDICAL
            if batch.grade in REGISTERED
            else LotOrigin.DOMESTIC_NON_MEDICAL
        )
    lot = desk.receive(
        purchase.lines[0],
        batch.lot_number,
        batch.maker,
        batch.model,
        batch.pieces,
        batch.per_box,
        batch.origin,
        days_ago,
        production_date=batch.production,
        expiry_date=batch.expiry,
        donated_goods_origin=donated,
    )
    _papers(desk, lot, order, batch)
    return lot


def _papers(desk: Desk, lot: Lot, order: Order, batch: Batch) -> None:
    maker, supplier = batch.maker, order.supplier
    if order.source == "donation":
        desk.certificate(
            [lot], "donation_letter", f"{order.number} 捐赠函", supplier, supplier, scan="pdf",
            supplier=supplier,
        )  # fmt: skip
    registration = REGISTRATIONS.get((maker, batch.grade))
    medical = batch.grade in REGISTERED
    lab, prefix = LABS[medical]
    report = f"{prefix}{batch.production:%Y}-{lot.lot_number}"
    measured = MEASURED.get(batch.grade)
    if registration and medical:
        desk.domestic_papers(
            [lot], maker, supplier, registration, LICENCES[maker], report, measured or {}
        )
        return
    desk.certificate(
        [lot], "business_licence", maker_uscc(maker), maker, "市场监督管理局", supplier=supplier
    )
    desk.certificate(
        [lot], "conformity_certificate", f"HG-{lot.lot_number}", maker, maker, supplier=supplier
    )
    desk.certificate(
        [lot], "test_report", report, maker, lab, scan="pdf", supplier=supplier,
        valid_from=desk.day(60), measured=measured or {}, lab_accreditation=LAB_CMA,
        covers=batch.model,
    )  # fmt: skip


def release(
    desk: Desk, lot: Lot, occurred_at: datetime, note: str = "", override: str = ""
) -> Inspection:
    """The inspector runs the checklist and releases the batch, with `note` as a remark. Only
    where `override` gives the written reason may a failing checklist be released (grades the
    checklist has no rules for); any other demo batch that fails is a mistake in the demo."""
    # The inspector looked the numbers up in NMPA's registry and on the box (medical goods).
    inspection.record_confirmations(
        lot, lot.goods_match_order, lot.packaging_intact, desk.inspector, True, True
    )
    result = inspection.checklist(lot)
    if not result.passed and not override:
        failed = "; ".join(f"{r.code}: {r.message_en}" for r in result.failures)
        raise ValueError(f"demo batch {lot.lot_number} fails its checklist ({failed})")
    return inspection.release_batch(lot, desk.inspector, override or note, occurred_at=occurred_at)


def reject(desk: Desk, lot: Lot, reason: str, occurred_at: datetime) -> Inspection:
    return inspection.reject_batch(lot, desk.inspector, reason, occurred_at=occurred_at)
