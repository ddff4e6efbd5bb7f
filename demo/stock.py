"""Demo stock for `flask seed-demo`: makers, lots and forty days of movements in Shaoguan.

Everything goes through the services a person uses, in the order it happened: each lot is
ordered, received into quarantine with its papers and released by an inspector who ran the
checklist (`demo.supply`); then issued, held, counted and written off. So the chain verifies,
the stock page shows every status, the inspector has a recall and expiring lots waiting, and the
trace pages have something to trace. Dates are relative to today, so the
demo never ages: a lot "expiring in 18 days" stays so whenever the demo is seeded.
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from accounts.services import find_user
from catalog import services as catalog
from catalog.models import Lot, LotOrigin
from core.clock import at_local, local_now
from extensions import db
from ledger import services
from ledger.models import Bucket, LedgerEntry
from ledger.services import Document

from . import supply
from .procurement import ensure_grade, open_desk
from .recipients import recipient, seed_recipients
from .supply import Batch, Order

MEDICAL = LotOrigin.DOMESTIC_MEDICAL
NON_MEDICAL = LotOrigin.DOMESTIC_NON_MEDICAL
DONATION = LotOrigin.DONATION

# Grades beyond the five masks that the migration puts in.
EXTRA_GRADES = [
    ("medical_gloves", "GB 10213", "一次性使用医用橡胶检查手套",
     "Disposable medical examination gloves", "副", "pairs"),
    ("disinfectant_84", "GB/T 36758", "84 消毒液", "84 disinfectant", "瓶", "bottles"),
]  # fmt: skip

# key: (grade, maker, model, pieces per box,
#       lot number pattern, pieces, origin, produced N days ago, shelf life in days)
# fmt: off
LOTS = {
    "wj-surgical": ("surgical", "稳健医疗用品股份有限公司", "平面耳挂式 17.5×9.5cm", 50,
                    "WJ-S{d:%y%m%d}-A", 200_000, MEDICAL, 55, 730),
    "zd-surgical": ("surgical", "振德医疗用品股份有限公司", "ZD-WK 耳挂型", 50,
                    "ZD{d:%Y%m%d}08", 150_000, MEDICAL, 35, 730),
    "zd-protective": ("medical_protective", "振德医疗用品股份有限公司", "ZD-FH 折叠式", 20,
                      "ZDFH{d:%y%m%d}1", 30_000, MEDICAL, 50, 730),
    "3m-9132": ("medical_protective", "3M中国有限公司", "9132", 30,
                "B{d:%Y%m%d}-SH", 20_000, MEDICAL, 60, 1825),
    "3m-9501": ("kn95", "3M中国有限公司", "9501+", 50,
                "C{d:%Y%m%d}-SH", 50_000, NON_MEDICAL, 45, 1825),
    "byd-kn95": ("kn95", "比亚迪精密制造有限公司", "BYD-KN95 折叠式", 20,
                 "BYD{d:%y%m%d}KN", 100_000, NON_MEDICAL, 30, 1095),
    "byd-daily": ("daily_protective", "比亚迪精密制造有限公司", "成人款 平面型", 50,
                  "BYD{d:%y%m%d}RC", 300_000, NON_MEDICAL, 28, 1095),
    "ds-protective": ("medical_protective", "上海大胜卫生用品制造有限公司", "DTC3X-1", 20,
                      "DS{d:%Y%m%d}03", 10_000, MEDICAL, 42, 1095),
    "mlk-disposable": ("disposable_medical", "广州美丽康保健用品有限公司", "MLK-YC 平面耳挂", 50,
                       "MLK{d:%y%m%d}Y", 120_000, MEDICAL, 6, 730),
    "mlk-surgical": ("surgical", "广州美丽康保健用品有限公司", "MLK-WK 耳挂式", 50,
                     "MLK{d:%y%m%d}W", 50_000, MEDICAL, 20, 730),
    "hw-donation": ("kn95", "霍尼韦尔（中国）有限公司", "H910 Plus", 50,
                    "HW{d:%y%m%d}-910", 8_000, DONATION, 90, 1825),
    "wj-expiring": ("disposable_medical", "稳健医疗用品股份有限公司", "一次性使用 平面耳挂", 50,
                    "WJ-D{d:%y%m%d}-C", 40_000, MEDICAL, 712, 730),
    "zd-expired": ("disposable_medical", "振德医疗用品股份有限公司", "ZD-YC 平面型", 50,
                   "ZD{d:%Y%m%d}02", 20_000, MEDICAL, 735, 730),
    "old-daily": ("daily_protective", "广州美丽康保健用品有限公司", "MLK-RC 平面型", 50,
                  "MLK{d:%y%m%d}R", 6_000, NON_MEDICAL, 1120, 1095),
    "lb-gloves": ("medical_gloves", "蓝帆医疗股份有限公司", "丁腈检查手套 M 号", 100,
                  "LF{d:%Y%m%d}M", 50_000, MEDICAL, 40, 1095),
    "wl-84": ("disinfectant_84", "威莱（广州）日用品有限公司", "84 消毒液 1 L", 12,
              "WL{d:%y%m%d}84", 2_400, NON_MEDICAL, 30, 365),
}
# fmt: on

# Where each lot came from: the order it was delivered against.
ORDERS = {
    "wj-surgical": Order("稳健医疗用品股份有限公司", "purchase", "SG-CG-2020-001", "0.9500"),
    "zd-surgical": Order("振德医疗用品股份有限公司", "purchase", "SG-CG-2020-007", "1.0000"),
    "zd-protective": Order("振德医疗用品股份有限公司", "purchase", "SG-CG-2020-002", "8.8000"),
    "3m-9132": Order("广州康仁医疗器械贸易有限公司", "purchase", "SG-CG-2020-003", "9.0000"),
    "3m-9501": Order("广州康仁医疗器械贸易有限公司", "purchase", "SG-CG-2020-005", "4.5000"),
    "byd-kn95": Order("比亚迪精密制造有限公司", "purchase", "SG-CG-2020-008", "4.2000"),
    "byd-daily": Order("比亚迪精密制造有限公司", "purchase", "SG-CG-2020-009", "0.6000"),
    "ds-protective": Order("广州康仁医疗器械贸易有限公司", "purchase", "SG-CG-2020-004", "8.9000"),
    "mlk-disposable": Order("广州美丽康保健用品有限公司", "purchase", "SG-CG-2020-012", "0.5500"),
    "mlk-surgical": Order("广州美丽康保健用品有限公司", "purchase", "SG-CG-2020-010", "0.9800"),
    "hw-donation": Order("韶关市总商会", "donation", "SGZSH-JZ-2020-01"),
    "wj-expiring": Order("广东省应急管理厅", "transfer", "粤应急物资调拨〔2020〕8 号"),
    "zd-expired": Order("广东省应急管理厅", "transfer", "粤应急物资调拨〔2020〕9 号"),
    "old-daily": Order("广东省应急管理厅", "transfer", "粤应急物资调拨〔2020〕3 号"),
    "lb-gloves": Order("广州康仁医疗器械贸易有限公司", "purchase", "SG-CG-2020-006", "0.6000"),
    "wl-84": Order("威莱（广州）日用品有限公司", "purchase", "SG-CG-2020-013", "8.5000"),
}

# Grades with no rules in the checklist: the inspector checks the papers by hand and writes
# down why the batch may go out (the checklist records it as an override).
BY_HAND_GRADES = {code for code, *_ in EXTRA_GRADES}
BY_HAND = "该品种不在口罩核查规则内：已人工核对注册证、营业执照与检验报告，货证相符，同意放行"


def seed() -> list[str]:
    """Create the demo stock if the ledger is empty; returns what was created."""
    new_recipients = seed_recipients()
    created = [f"{len(new_recipients)} recipients"] if new_recipients else []
    for code, standard, zh, en, unit_zh, unit_en in EXTRA_GRADES:
        if catalog.find_grade(code) is None:
            catalog.create_grade(code, standard, zh, en, unit_zh, unit_en)
            created.append(f"grade {code}")
    if db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) or db.session.scalar(
        sa.select(sa.func.count()).select_from(Lot)
    ):
        return created
    story = _Story()
    story.run()
    created.extend(story.created)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
    created.append(f"{len(story.lots)} lots and {entries} ledger entries")
    return created


class _Story:
    """Forty days of a city's mask supply, told through the services."""

    def __init__(self) -> None:
        self.desk, self.created = open_desk()
        self.today = self.desk.today
        self.inspector = self.desk.inspector
        self.allocator = find_user("allocator")
        self.lots: dict[str, Lot] = {}

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        """A local time some days ago, never later than now."""
        day = self.today - timedelta(days=days_ago)
        return min(at_local(day, hour, minute), local_now() - timedelta(minutes=1))

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    # The movements ---------------------------------------------------------------------------

    def receive(self, key: str, days_ago: int) -> Lot:
        """The lot arrives against its order, into quarantine, with its papers."""
        grade, maker, model, per_box, number, pieces, origin, produced, shelf = LOTS[key]
        ensure_grade(grade)
        production = self.day(produced)
        batch = Batch(
            grade, maker, model, per_box, number.format(d=production), pieces, origin,
            production, production + timedelta(days=shelf),
        )  # fmt: skip
        lot = supply.receive(self.desk, ORDERS[key], batch, days_ago)
        self.lots[key] = lot
        return lot

    def release(self, key: str, days_ago: int, note: str = "") -> None:
        """The inspector checks the papers against the checklist and releases the lot."""
        override = BY_HAND if LOTS[key][0] in BY_HAND_GRADES else ""
        supply.release(self.desk, self.lots[key], self.at(days_ago, 15), note, override)

    def issue(self, key: str, to: str, pieces: int, days_ago: int, round_ref: str) -> None:
        services.issue(
            self.lots[key],
            recipient(to),
            pieces,
            self.allocator,
            document=Document("demo_issue", None, round_ref),
            occurred_at=self.at(days_ago, 10, 30),
        )

    def run(self) -> None:
        # Week 1: the first deliveries (and an old lot of daily masks found in the reserve).
        self.receive("old-daily", 40)
        self.release("old-daily", 40, "省储备调拨，外观检查合格")
        self.receive("hw-donation", 39)
        self.release("hw-donation", 38, "捐赠物资：外包装完好，货证相符")
        self.receive("3m-9132", 38)
        self.release("3m-9132", 37)
        self.receive("wj-surgical", 37)
        self.release("wj-surgical", 36)
        self.receive("zd-protective", 36)
        self.release("zd-protective", 35)
        self.receive("wj-expiring", 36)
        self.release("wj-expiring", 35, "临近有效期，优先调配")
        self.receive("zd-expired", 36)
        self.release("zd-expired", 35, "临近有效期，优先调配")

        first = "第 1 轮调配"
        for to, pieces in [
            ("粤北人民医院", 6_000),
            ("韶关市第一人民医院", 3_000),
            ("韶关市疾病预防控制中心", 1_500),
            ("曲江区人民医院发热门诊", 800),
        ]:
            self.issue("3m-9132", to, pieces, 34, first)
        for to, pieces in [
            ("粤北人民医院", 40_000),
            ("韶关市第一人民医院", 25_000),
            ("韶关市中医院", 15_000),
            ("韶关市妇幼保健院", 8_000),
            ("乐昌市人民医院发热门诊", 4_000),
        ]:
            self.issue("wj-surgical", to, pieces, 34, first)
        self.issue("zd-protective", "粤北人民医院", 5_000, 34, first)
        self.issue("zd-protective", "韶关市中医院", 2_000, 34, first)
        for to, pieces in [
            ("广东电网韶关供电局", 3_000),
            ("韶关市自来水有限公司", 1_000),
            ("武江区新华街道社区工作站", 1_500),
        ]:
            self.issue("hw-donation", to, pieces, 33, first)
        self.issue("old-daily", "浈江区环境卫生管理站", 2_000, 33, first)
        self.issue("wj-expiring", "韶关市公共交通集团有限公司", 6_000, 33, first)
        self.issue("zd-expired", "浈江区环境卫生管理站", 8_000, 33, first)
        self.issue("zd-expired", "天和百货东堤超市", 9_000, 33, first)

        # Week 2: more makers, gloves; a hold after a maker's recall notice.
        self.receive("ds-protective", 32)
        self.release("ds-protective", 31)
        self.receive("3m-9501", 30)
        self.release("3m-9501", 29)
        self.receive("lb-gloves", 30)
        self.release("lb-gloves", 29)
        self.receive("zd-surgical", 28)
        self.release("zd-surgical", 27)
        services.hold(
            self.lots["zd-protective"],
            self.inspector,
            "抽检发现检测报告过滤效率数值与型号不对应，暂停调配，待供应商补充报告",
            occurred_at=self.at(29, 10),
        )
        services.unhold(
            self.lots["zd-protective"],
            self.inspector,
            "供应商已补充 GB 19083 检测报告，核对无误，恢复可用",
            occurred_at=self.at(28, 15),
        )
        second = "第 2 轮调配"
        self.issue("ds-protective", "粤北人民医院", 2_000, 27, second)
        self.issue("ds-protective", "曲江区人民医院发热门诊", 1_000, 27, second)
        self.issue("ds-protective", "韶关市疾病预防控制中心", 600, 27, second)
        for to, pieces in [
            ("韶关市自来水有限公司", 4_000),
            ("广东电网韶关供电局", 10_000),
            ("韶关港华燃气有限公司", 3_000),
            ("韶关市公共交通集团有限公司", 8_000),
            ("博雅生物制药（广东）有限公司", 2_300),
        ]:
            self.issue("3m-9501", to, pieces, 26, second)
        for to, pieces in [
            ("粤北人民医院", 10_000),
            ("韶关市第一人民医院", 6_000),
            ("韶关市疾病预防控制中心", 2_000),
        ]:
            self.issue("lb-gloves", to, pieces, 26, second)
        for to, pieces in [
            ("韶关市中医院", 20_000),
            ("韶关市妇幼保健院", 10_000),
            ("乐昌市人民医院发热门诊", 5_000),
        ]:
            self.issue("zd-surgical", to, pieces, 26, second)
        # A wrong recipient, corrected by a reversal and the right issue.
        wrong = services.issue(
            self.lots["zd-surgical"],
            recipient("韶关市第一人民医院"),
            5_000,
            self.allocator,
            document=Document("demo_issue", None, second),
            occurred_at=self.at(26, 11),
        )
        services.reverse(
            wrong,
            self.allocator,
            "误录需求单位：应为曲江区人民医院发热门诊，冲正后重新出库",
            occurred_at=self.at(26, 11, 20),
        )
        self.issue("zd-surgical", "曲江区人民医院发热门诊", 5_000, 26, second)
        services.hold(
            self.lots["ds-protective"],
            self.inspector,
            "厂家召回通知：该批号部分产品鼻夹脱落，暂停调配，待厂家复检",
            occurred_at=self.at(24, 16),
        )

        # Week 3: retail round; a stock count; a rejected lot.
        self.receive("byd-kn95", 22)
        self.release("byd-kn95", 21)
        self.receive("byd-daily", 21)
        self.release("byd-daily", 20)
        self.receive("wl-84", 20)
        self.release("wl-84", 19)
        third = "第 3 轮调配"
        for to, pieces in [
            ("大参林韶关风采路店", 30_000),
            ("老百姓大药房韶关解放路店", 30_000),
            ("南雄市国大药房雄州店", 15_000),
            ("天和百货东堤超市", 20_000),
        ]:
            self.issue("byd-daily", to, pieces, 18, third)
        for to, pieces in [
            ("浈江区环境卫生管理站", 10_000),
            ("武江区新华街道社区工作站", 6_000),
            ("韶关市公共交通集团有限公司", 12_000),
        ]:
            self.issue("byd-kn95", to, pieces, 18, third)
        for to, pieces in [
            ("浈江区环境卫生管理站", 600),
            ("武江区新华街道社区工作站", 400),
            ("韶关市中医院", 300),
        ]:
            self.issue("wl-84", to, pieces, 17, third)
        services.adjust(
            self.lots["wj-surgical"],
            Bucket.AVAILABLE,
            -100,
            self.inspector,
            "月度盘点：2 盒外包装受潮破损，账实差 100 只",
            occurred_at=self.at(15, 17),
        )
        self.receive("mlk-surgical", 14)
        supply.reject(
            self.desk,
            self.lots["mlk-surgical"],
            "注册证为“械备”备案凭证，不能作为医用外科口罩的注册证；退回供应商",
            self.at(12, 16),
        )
        # The lot that expired last week, its remainder written off; the reserve lot too.
        services.write_off(
            self.lots["old-daily"],
            4_000,
            self.inspector,
            f"已过有效期（{self.lots['old-daily'].expiry_date.isoformat()}），按规定报废",
            occurred_at=self.at(10, 16),
        )

        # This week: a new lot waiting for inspection.
        self.receive("mlk-disposable", 2)
