"""Demo recipients: units of Shaoguan (韶关) that received masks in the demo ledger.

Idempotent by name, so that a later, larger demo register can add to it.
"""

import sqlalchemy as sa

from extensions import db

from .models import Recipient, RecipientCategory

C = RecipientCategory

# (name, category, district, contact, headcount or beds)
DEMO_RECIPIENTS = [
    ("粤北人民医院", C.HOSPITAL, "武江区", "设备科 刘敏 138-0000-0101", 2600),
    ("韶关市第一人民医院", C.HOSPITAL, "浈江区", "总务科 黄卫东 138-0000-0102", 1200),
    ("韶关市中医院", C.HOSPITAL, "浈江区", "设备科 邓丽 138-0000-0103", 800),
    ("韶关市妇幼保健院", C.HOSPITAL, "武江区", "院办 朱晓燕 138-0000-0104", 450),
    ("曲江区人民医院发热门诊", C.FEVER_CLINIC, "曲江区", "门诊部 曾志强 138-0000-0105", 40),
    ("乐昌市人民医院发热门诊", C.FEVER_CLINIC, "乐昌市", "门诊部 谭敏 138-0000-0106", 30),
    ("韶关市疾病预防控制中心", C.CDC, "武江区", "应急办 罗建华 138-0000-0107", 180),
    ("韶关市自来水有限公司", C.WATER, "浈江区", "安全部 何志明 138-0000-0201", 650),
    ("广东电网韶关供电局", C.POWER, "浈江区", "综合部 冯涛 138-0000-0202", 2100),
    ("韶关港华燃气有限公司", C.GAS, "武江区", "安全部 钟伟 138-0000-0203", 320),
    ("浈江区环境卫生管理站", C.SANITATION, "浈江区", "站长 廖国平 138-0000-0204", 900),
    ("韶关市公共交通集团有限公司", C.TRANSPORT, "武江区", "安全科 温海 138-0000-0205", 1500),
    ("武江区新华街道社区工作站", C.COMMUNITY, "武江区", "站长 陈慧 138-0000-0206", 260),
    (
        "博雅生物制药（广东）有限公司",
        C.REOPENING_ENTERPRISE,
        "武江区",
        "行政部 张丽铃 138-0000-0207",
        231,
    ),
    ("大参林韶关风采路店", C.PHARMACY, "浈江区", "店长 李婷 138-0000-0301", 12),
    ("老百姓大药房韶关解放路店", C.PHARMACY, "浈江区", "店长 王军 138-0000-0302", 10),
    ("南雄市国大药房雄州店", C.PHARMACY, "南雄市", "店长 叶青 138-0000-0303", 8),
    ("天和百货东堤超市", C.SUPERMARKET, "浈江区", "店长 周洁 138-0000-0304", 60),
]


def seed_recipients() -> list[str]:
    """Create the demo recipients that are missing; returns what was created."""
    existing = set(db.session.scalars(sa.select(Recipient.name)))
    created = []
    for name, category, district, contact, size in DEMO_RECIPIENTS:
        if name in existing:
            continue
        db.session.add(
            Recipient(
                name=name,
                category=category,
                district=district,
                contact=contact,
                headcount_or_beds=size,
            )
        )
        created.append(name)
    db.session.flush()
    return created


def recipient(name: str) -> Recipient:
    return db.session.scalars(sa.select(Recipient).where(Recipient.name == name)).one()
