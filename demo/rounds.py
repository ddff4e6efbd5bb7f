"""Demo rounds: requests of the demo units, round 1 run, approved and issued (with a second
delivery of stock that came after it), round 2 open for a first allocation of your own."""

from datetime import timedelta

import sqlalchemy as sa

from allocation import plans, services
from allocation.models import PlanStatus
from catalog import services as catalog
from catalog.models import Grade, Lot, LotOrigin
from core.clock import local_now, local_today
from extensions import db
from recipients.models import Recipient, RecipientCategory

from . import supply
from .procurement import open_desk
from .supply import REGISTERED, Batch, Order

C = RecipientCategory

# Two rounds of requests, more than the stock can cover ---------------------------------------


def round_name(today, number: int) -> str:
    """The demo's round names carry the year the demo is seeded in, as a real campaign's do."""
    return f"{today:%Y} 年第 {number} 轮口罩调配"


C_MEDICAL = {C.HOSPITAL, C.FEVER_CLINIC, C.CDC}
C_CITY = {C.WATER, C.POWER, C.GAS, C.SANITATION, C.TRANSPORT, C.COMMUNITY,
          C.REOPENING_ENTERPRISE}  # fmt: skip


def _round100(value: float) -> int:
    return max(100, int(round(value / 100.0)) * 100)


def demo_requests(unit: Recipient, scale: float) -> list[tuple[str, int, int]]:
    """(grade code, quantity, minimum) a unit asks for in a round, from its size."""
    size = unit.headcount_or_beds or 10
    c = unit.category
    if c is C.HOSPITAL:
        return [
            ("medical_protective", _round100(size * 1.6 * scale), 0),
            ("surgical", _round100(size * 14 * scale), 0),
        ]
    if c is C.FEVER_CLINIC:
        return [
            ("medical_protective", _round100(size * 25 * scale), 200),
            ("surgical", _round100(size * 80 * scale), 0),
        ]
    if c is C.CDC:
        return [
            ("medical_protective", _round100(size * 6 * scale), 0),
            ("kn95", _round100(size * 12 * scale), 0),
        ]
    if c in C_CITY:
        return [
            ("kn95", _round100(size * 6 * scale), 0),
            ("disposable_medical", _round100(size * 8 * scale), 0),
        ]
    if c is C.SUPERMARKET:
        return [("daily_protective", _round100(size * 60 * scale), 0)]
    return [
        ("daily_protective", _round100(size * 400 * scale), 0),
        ("surgical", _round100(size * 250 * scale), 0),
    ]


def seed_rounds(allocator_id: int | None, approver_id: int | None) -> list[str]:
    """Round 1 with a plan drafted, approved and issued (and some receipts signed); round 2
    with its requests and no plan, for the newcomer to run. Idempotent by round name."""
    grades = {g.code: g for g in db.session.scalars(sa.select(Grade))}
    units = list(
        db.session.scalars(
            sa.select(Recipient).where(Recipient.active.is_(True)).order_by(Recipient.id)
        )
    )
    created = []
    today = local_today()
    for number, days_ago, scale in ((1, 6, 1.0), (2, 0, 0.8)):
        name = round_name(today, number)
        if services.find_round(name) is not None:
            continue
        found = services.create_round(
            name,
            today - timedelta(days=days_ago),
            allocator_id,
            "演示：需求超过可调配库存，按梯队公平配给",
        )
        items = [
            services.RequestInput(unit.id, grades[code].id, quantity, minimum)
            for unit in units
            for code, quantity, minimum in demo_requests(unit, scale)
            if code in grades
        ]
        services.add_requests(found, items, allocator_id)
        created.append(f"round {name} ({len(items)} requests)")
        if number == 2:
            created.extend(_second_delivery(today))
        if number == 1:
            plan = plans.create_plan(found, allocator_id)
            plans.submit(plan, allocator_id)
            plans.approve(plan, approver_id, "已核对梯队汇总与缺口，同意出库。")
            plans.issue(plan, allocator_id)
            signed = {row.recipient.name: row for row in plans.recipient_rows(plan.current_run)}
            for unit_name, who, short in (
                ("粤北人民医院", "刘敏", 0),
                ("韶关市疾病预防控制中心", "罗建华", 0),
                ("广东电网韶关供电局", "冯涛", 50),
            ):
                row = signed.get(unit_name)
                if row is None or not row.allocated:
                    continue
                plans.record_delivery(
                    plan,
                    row.recipient.id,
                    who,
                    today - timedelta(days=days_ago - 1),
                    row.allocated - short,
                    "一箱外包装破损，少 50 只，已拍照留存" if short else "",
                    allocator_id,
                )
            assert plan.status is PlanStatus.ISSUED
            created.append(f"plan {plan.number} issued")
    db.session.flush()
    return created


# Arrived and released after round 1 was issued, for round 2 to share out: ordered, received
# with their papers and released by the inspector, as every demo lot is (`demo.supply`).
# (grade, maker, model, pieces per box, lot number, pieces, order[, days to expiry])
# fmt: off
SECOND_DELIVERY = [
    # A transfer from the province close to its expiry: FEFO hands it out first in round 2.
    ("disposable_medical", "稳健医疗用品股份有限公司", "一次性使用 平面耳挂", 50, "WJ-R2-YC-临期",
     10_000, Order("广东省应急管理厅", "transfer", "粤应急物资调拨〔2020〕21 号"), 20),
    ("surgical", "稳健医疗用品股份有限公司", "平面耳挂式 17.5×9.5cm", 50, "WJ-S-R2-0001", 160_000,
     Order("稳健医疗用品股份有限公司", "purchase", "SG-CG-2020-031", "0.9500")),
    ("kn95", "比亚迪精密制造有限公司", "BYD-KN95 折叠式", 20, "BYD-R2-KN-0001", 60_000,
     Order("比亚迪精密制造有限公司", "purchase", "SG-CG-2020-032", "4.2000")),
    ("medical_protective", "振德医疗用品股份有限公司", "ZD-FH 折叠式", 20, "ZDFH-R2-0001", 12_000,
     Order("振德医疗用品股份有限公司", "purchase", "SG-CG-2020-033", "8.8000")),
    ("disposable_medical", "广州美丽康保健用品有限公司", "MLK-YC 平面耳挂", 50, "MLK-R2-Y-0001",
     90_000, Order("广州美丽康保健用品有限公司", "purchase", "SG-CG-2020-034", "0.5500")),
    ("daily_protective", "比亚迪精密制造有限公司", "成人款 平面型", 50, "BYD-R2-RC-0001", 120_000,
     Order("比亚迪精密制造有限公司", "purchase", "SG-CG-2020-035", "0.6000")),
]
# fmt: on


def _second_delivery(today) -> list[str]:
    desk, _ = open_desk()
    created = []
    for grade, maker, model, per_box, number, pieces, order, *expiry in SECOND_DELIVERY:
        if db.session.scalar(sa.select(Lot.id).where(Lot.lot_number == number)):
            continue
        if catalog.find_grade(grade) is None:
            continue
        production = today - timedelta(days=700 if expiry else 10)
        batch = Batch(
            grade,
            maker,
            model,
            per_box,
            number,
            pieces,
            LotOrigin.DOMESTIC_MEDICAL if grade in REGISTERED else LotOrigin.DOMESTIC_NON_MEDICAL,
            production,
            today + timedelta(days=expiry[0] if expiry else 720),
        )
        lot = supply.receive(desk, order, batch, days_ago=0)
        supply.release(desk, lot, local_now())
        created.append(number)
    return [f"{len(created)} lots for round 2"] if created else []
