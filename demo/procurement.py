"""Demo procurement for `flask seed-demo`: suppliers, agreed prices, purchases, donations and a
transfer, batches received against them with their certificates (and small generated scans),
and the inspectors' decisions — batches in every state of the quality gate.

Everything goes through the services in the order it happened. Dates are relative to today so
that certificates stay valid and the demo never ages. Idempotent: nothing is added once a
supplier exists.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from accounts.services import find_user
from catalog import services as catalog
from catalog.models import MASK_GRADES, Grade
from core.clock import at_local, local_now, local_today
from extensions import db
from procurement import certificates as certs
from procurement import inspection, services
from procurement.models import AgreedPrice, Purchase, Supplier
from procurement.quality import GRADE_PRODUCT_NAMES
from procurement.validators import uscc_check_char


def uscc(first17: str) -> str:
    """A unified social credit code with its GB 32100-2015 check character."""
    return first17 + uscc_check_char(first17)


# name, kind, first 17 characters of the code, contact, phone, address
# fmt: off
SUPPLIERS = [
    ("稳健医疗用品股份有限公司", "maker", "91440300618881264", "陈经理", "0755-28066858",
     "深圳市龙华区布龙路 660 号"),
    ("振德医疗用品股份有限公司", "maker", "91330600146154453", "俞经理", "0575-88751963",
     "浙江省绍兴市越城区皋埠镇"),
    ("广州康仁医疗器械贸易有限公司", "distributor", "91440101MA59A7K1X", "黄小姐", "020-83361122",
     "广州市越秀区中山二路 18 号"),
    ("东莞市佳康防护用品有限公司", "maker", "91441900MA54B2C3Y", "刘先生", "0769-22883344",
     "东莞市长安镇振安中路"),
    ("深圳环球医疗进出口有限公司", "importer", "91440300MA5G1H2J3", "Lisa 林", "0755-83991100",
     "深圳市福田区福华三路 88 号"),
    ("韶关市总商会", "donor", "51440200MJ0000123", "何秘书长", "0751-8888123",
     "韶关市浈江区解放路 1 号"),
    ("广东省应急管理厅", "authority", "11440000MB2C39401", "物资保障处", "020-83135000",
     "广州市越秀区东风中路"),
    ("比亚迪精密制造有限公司", "maker", "91440300788312455", "孙经理", "0755-89888888",
     "深圳市坪山区比亚迪路 3009 号"),
    ("广州美丽康保健用品有限公司", "maker", "91440111304512345", "梁小姐", "020-36061234",
     "广州市白云区太和镇"),
    ("威莱（广州）日用品有限公司", "maker", "91440101759412348", "蔡先生", "020-82221234",
     "广州市黄埔区开发大道"),
]
# fmt: on

# Makers whose papers come through a distributor (first 17 characters of their code).
MAKER_CODES = {
    "3M中国有限公司": "91310000607365127",
    "上海大胜卫生用品制造有限公司": "91310114631234567",
    "霍尼韦尔（中国）有限公司": "91310000607376542",
    "蓝帆医疗股份有限公司": "91370300726237415",
}

# The medical products administrations that issue registrations and production licences.
PROVINCES = {
    "粤": "广东省药品监督管理局",
    "浙": "浙江省药品监督管理局",
    "沪": "上海市药品监督管理局",
    "鲁": "山东省药品监督管理局",
}


def maker_uscc(maker: str) -> str:
    for name, _, code, *_ in SUPPLIERS:
        if name == maker:
            return uscc(code)
    return uscc(MAKER_CODES.get(maker, "91440300MA5F00001"))


# Agreed prices (协议价) per piece, as a city set them in February 2020.
AGREED = {
    "surgical": "1.0000",
    "disposable_medical": "0.6000",
    "kn95": "4.5000",
    "medical_protective": "9.0000",
}


def _png(label: str) -> bytes:
    """A small scan-like PNG: a white page with a border, lines and the number in ASCII."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (420, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 411, 291), outline=(180, 30, 30), width=4)
    draw.ellipse((330, 200, 400, 270), outline=(200, 30, 30), width=3)
    for y in range(70, 200, 22):
        draw.line((30, y, 380, y), fill=(190, 190, 190), width=2)
    draw.text((30, 30), label.encode("ascii", "replace").decode(), fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _pdf(label: str) -> bytes:
    """A minimal one-page PDF with the number on it."""
    text = label.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def ensure_grade(code: str) -> Grade:
    """A grade by code; a mask grade is put back if it is missing (the migration adds them)."""
    grade = catalog.find_grade(code)
    if grade is None:
        for mask_code, standard, zh, en in MASK_GRADES:
            if mask_code == code:
                grade = catalog.create_grade(code, standard, zh, en)
    if grade is None:
        raise LookupError(f"no grade {code}")
    return grade


@dataclass
class Desk:
    """The procurement desk of the demo: records what arrives through the services, on days
    counted back from `today`."""

    today: date
    procurement: object
    inspector: object
    suppliers: dict[str, Supplier] = field(default_factory=dict)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int, hour: int) -> datetime:
        return min(at_local(self.day(days_ago), hour), local_now() - timedelta(minutes=1))

    def purchase(self, supplier, source, contract, days_ago, lines):
        grade_ids = {code: ensure_grade(code).id for code, *_ in lines}
        return services.create_purchase(
            source,
            self.suppliers[supplier].id,
            self.day(days_ago),
            [
                services.LineInput(
                    grade_ids[code], qty, Decimal(price) if price else None, description=spec
                )
                for code, qty, price, spec in lines
            ],
            contract_number=contract,
            actor=self.procurement,
        )

    def receive(self, line, lot_number, maker, model, pieces, per_box, origin, days_ago, **kw):
        # The demo's masks are unvalved; made in China unless imported (3M's US plants).
        kw.setdefault("exhalation_valve", False)
        kw.setdefault("made_in", "US" if origin == "imported" else "CN")
        produced = kw.pop("production_date", None) or self.day(days_ago + 12)
        expiry = kw.pop("expiry_date", None) or produced + timedelta(days=730)
        return services.receive_batch(
            line,
            lot_number=lot_number,
            maker=maker,
            model=model,
            pieces=pieces,
            pieces_per_box=per_box,
            origin=origin,
            received_on=self.day(days_ago),
            production_date=produced,
            expiry_date=expiry,
            actor=self.procurement,
            **kw,
        )

    def certificate(self, lots, kind, number, holder, issuer, *, scan="png", supplier=None, **kw):
        label = f"{kind} {number}"
        data = _pdf(label) if scan == "pdf" else _png(label)
        return certs.create_certificate(
            kind,
            number,
            holder=holder,
            issuer=issuer,
            supplier_id=self.suppliers[supplier].id if supplier else None,
            scan=certs.check_scan(data, f"{kind}.{scan}"),
            lots=lots,
            actor=self.procurement,
            **kw,
        )

    def domestic_papers(self, lots, maker, supplier, registration, licence, report, measured):
        code = self.suppliers[maker].uscc if maker in self.suppliers else maker_uscc(maker)
        province = PROVINCES[registration[0]]
        lot = lots[0]
        self.certificate(
            lots, "registration_certificate", registration, maker, province, scan="pdf",
            supplier=supplier, valid_from=self.day(420), valid_until=self.day(-1400),
            product_name=GRADE_PRODUCT_NAMES.get(lot.grade.code, lot.grade.name_zh),
            models=lot.product.model,
        )  # fmt: skip
        self.certificate(
            lots, "production_licence", licence, maker, province, supplier=supplier,
            valid_from=self.day(900), valid_until=self.day(-900), scope="Ⅱ类：14-14 医用口罩",
        )  # fmt: skip
        self.certificate(lots, "business_licence", code, maker, "市场监督管理局", supplier=supplier)
        self.certificate(
            lots, "test_report", report, maker, "广州医疗器械质量监督检验中心", scan="pdf",
            supplier=supplier, valid_from=self.day(60), measured=measured,
            lab_accreditation="190012340118", covers=lot.product.model,
        )  # fmt: skip


SURGICAL_OK = {
    "bacterial_filtration": "98.6",
    "particle_filtration": "52.4",
    "pressure_difference": "36.5",
    "synthetic_blood": True,
    "blood_pressure": "16.0",
    "afterflame": "0",
    "bacteria_count": "15",
    "fungi_count": "0",
    "pathogens": True,
}
PROTECTIVE_OK = {
    "particle_filtration": "96.8",
    "inhalation_resistance": "210",
    "synthetic_blood": True,
    "blood_pressure": "10.7",
    "surface_moisture": "4",
    "fit_factor": "152",
    "bacteria_count": "18",
    "fungi_count": "6",
    "pathogens": True,
}


def open_desk() -> tuple[Desk, list[str]]:
    """The demo's procurement desk, with its suppliers and the agreed prices in place (created
    the first time); returns it and what was created."""
    desk = Desk(
        today=local_today(),
        procurement=find_user("procurement"),
        inspector=find_user("inspector"),
    )
    created = []
    for name, kind, code, person, phone, address in SUPPLIERS:
        supplier = services.find_supplier(name)
        if supplier is None:
            supplier = services.create_supplier(
                name, kind, uscc(code), person, phone, address, actor=desk.procurement
            )
            created.append(name)
        desk.suppliers[name] = supplier
    if created and not db.session.scalar(sa.select(sa.func.count(AgreedPrice.id))):
        admin = find_user("admin")
        for code, price in AGREED.items():
            services.set_agreed_price(
                ensure_grade(code),
                Decimal(price),
                desk.day(60),
                "市疫情防控指挥部物资保障组通知（2020）第 3 号",
                admin,
            )
    return desk, [f"{len(created)} suppliers"] if created else []


def seed() -> list[str]:
    """Create the demo procurement's purchases and batches unless its first contract is on file;
    returns what was created."""
    desk, created = open_desk()
    if db.session.scalar(sa.select(Purchase.id).where(Purchase.contract_number == FIRST_CONTRACT)):
        return created
    lots = _story(desk)
    return [*created, f"{len(lots)} batches with certificates"]


FIRST_CONTRACT = "SG-CG-2020-011"


def _story(demo: Desk) -> list:
    wj, zd, kr, jk, hq, sh, gd = (s[0] for s in SUPPLIERS[:7])
    lots = []

    # 1. 稳健 surgical masks: complete papers, released.
    p1 = demo.purchase(wj, "purchase", FIRST_CONTRACT, 30,
                       [("surgical", 200_000, "0.9500", "平面耳挂式 独立包装")])  # fmt: skip
    lot = demo.receive(p1.lines[0], "WJ-S2002-0311", wj, "平面耳挂式 17.5×9.5cm", 200_000, 50,
                       "domestic_medical", 27)  # fmt: skip
    demo.domestic_papers([lot], wj, wj, "粤械注准20202140096", "粤食药监械生产许20152365号",
                         "GZJY2020-0311", SURGICAL_OK)  # fmt: skip
    inspection.record_confirmations(lot, None, None, demo.inspector, True, True)
    inspection.release_batch(lot, demo.inspector, occurred_at=demo.at(26, 15))
    lots.append(lot)

    # 2. 振德 medical protective masks: complete papers, waiting for the inspector.
    p2 = demo.purchase(zd, "purchase", "SG-CG-2020-014", 12,
                       [("medical_protective", 20_000, "8.5000", "折叠式 头戴 无呼吸阀"),
                        ("surgical", 300_000, "1.0500", "耳挂型")])  # fmt: skip
    lot = demo.receive(p2.lines[0], "ZDFH-200301", zd, "ZD-FH 折叠式", 20_000, 20,
                       "domestic_medical", 2)  # fmt: skip
    demo.domestic_papers([lot], zd, zd, "浙械注准20172140321", "浙食药监械生产许20150017号",
                         "ZJJY2020-0877", PROTECTIVE_OK)  # fmt: skip
    lots.append(lot)
    # ... and a first part of the surgical line, whose papers are still missing.
    lot = demo.receive(p2.lines[1], "ZD20200305-08", zd, "ZD-WK 耳挂型", 120_000, 50,
                       "domestic_medical", 1)  # fmt: skip
    lots.append(lot)

    # 3. A distributor's KN95 at a price above the agreed price; the test report fails: rejected.
    p3 = demo.purchase(kr, "purchase", "SG-CG-2020-019", 20,
                       [("kn95", 50_000, "5.6000", "折叠式 耳挂")])  # fmt: skip
    lot = demo.receive(p3.lines[0], "JK-KN95-0228", jk, "JK-9501 折叠式", 50_000, 25,
                       "domestic_non_medical", 18)  # fmt: skip
    demo.certificate([lot], "business_licence", demo.suppliers[jk].uscc, jk, "东莞市市场监督管理局",
                     supplier=kr)  # fmt: skip
    demo.certificate([lot], "test_report", "DGJC-2020-0219", jk, "东莞市质量监督检测中心",
                     scan="pdf", supplier=kr, valid_from=demo.day(25),
                     lab_accreditation="191912340567", covers="JK-9501 折叠式",
                     measured={"particle_filtration": "88.3", "inhalation_resistance": "362",
                               "exhalation_resistance": "180"})  # fmt: skip
    inspection.reject_batch(
        lot,
        demo.inspector,
        "检测报告过滤效率 88.3%（GB 2626 要求 ≥95%），吸气阻力超标；已通知供应商退货。",
        occurred_at=demo.at(17, 10),
    )
    lots.append(lot)

    # 4. Donated KN95 from the chamber of commerce: the report lacks a value; released by override.
    p4 = demo.purchase(sh, "donation", "SGZSH-JZ-2020-02", 15,
                       [("kn95", 8_000, None, "H910 Plus 折叠式")])  # fmt: skip
    lot = demo.receive(p4.lines[0], "HW200226-910", "霍尼韦尔（中国）有限公司", "H910 Plus", 8_000,
                       50, "donation", 14, donated_goods_origin="domestic_non_medical")  # fmt: skip
    demo.certificate([lot], "donation_letter", "韶商函〔2020〕12 号", sh, sh, scan="pdf",
                     supplier=sh)  # fmt: skip
    demo.certificate([lot], "business_licence", uscc("91310000607376542"),
                     "霍尼韦尔（中国）有限公司", "上海市市场监督管理局", supplier=sh)  # fmt: skip
    demo.certificate([lot], "test_report", "SH-NIOM-2020-0416", "霍尼韦尔（中国）有限公司",
                     "上海市劳动防护用品检测中心", supplier=sh, valid_from=demo.day(40),
                     lab_accreditation="CNAS L0652", covers="H910 Plus",
                     measured={"particle_filtration": "97.1",
                               "inhalation_resistance": "160"})  # fmt: skip
    inspection.release_batch(
        lot,
        demo.inspector,
        "呼气阻力数值在报告第 3 页手写补充，已电话向检测中心核实合格；市指挥部同意先行放行。",
        occurred_at=demo.at(13, 16),
    )
    lots.append(lot)

    # 5. An importer's NIOSH N95 respirators: papers complete, the inspector still has to look.
    p5 = demo.purchase(hq, "purchase", "SG-CG-2020-021", 8,
                       [("medical_protective", 10_000, "9.8000", "3M 1860 医用 N95")])  # fmt: skip
    lot = demo.receive(p5.lines[0], "B20200215-1860", "3M Company", "1860", 10_000, 20,
                       "imported", 3)  # fmt: skip
    demo.certificate([lot], "niosh_approval", "TC-84A-0006", "3M Company", "NIOSH NPPTL",
                     supplier=hq, foreign_class="niosh_n95")  # fmt: skip
    demo.certificate([lot], "fda_authorisation", "K183514", "3M Company", "U.S. FDA", scan="pdf",
                     supplier=hq, foreign_class="surgical_n95")  # fmt: skip
    demo.certificate([lot], "customs_declaration", "531620201000123456", hq, "深圳海关",
                     scan="pdf", supplier=hq)  # fmt: skip
    lots.append(lot)

    # 6. A transfer from the province: received, papers not yet attached.
    p6 = demo.purchase(gd, "transfer", "粤应急物资调拨〔2020〕45 号", 5,
                       [("surgical", 100_000, None, "省级储备调拨")])  # fmt: skip
    lot = demo.receive(p6.lines[0], "MLK200302W", "广州美丽康保健用品有限公司", "MLK-WK 耳挂式",
                       100_000, 50, "domestic_medical", 1)  # fmt: skip
    lots.append(lot)

    # 7. An order still awaiting delivery.
    demo.purchase(wj, "purchase", "SG-CG-2020-025", 2,
                  [("surgical", 500_000, "0.9800", "平面耳挂式"),
                   ("disposable_medical", 300_000, "0.5500", "一次性使用 平面耳挂")])  # fmt: skip
    return lots
