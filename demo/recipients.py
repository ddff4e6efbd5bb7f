"""Demo recipients: units of Shaoguan (韶关) that received masks in the demo ledger.

Idempotent by name, so that a later, larger demo register can add to it.
"""

import sqlalchemy as sa

from extensions import db
from recipients.models import Recipient, RecipientCategory

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

# The rest of the city's register, generated from short tables so that it stays readable.
COUNTIES = ["乐昌市", "南雄市", "仁化县", "始兴县", "翁源县", "新丰县", "乳源瑶族自治县"]
_MORE_MEDICAL = [
    ("韶关市第二人民医院", C.HOSPITAL, "浈江区", 600),
    ("韶关市第三人民医院", C.HOSPITAL, "武江区", 500),
    ("粤北第二人民医院", C.HOSPITAL, "曲江区", 900),
    ("韶关学院医学院附属医院", C.HOSPITAL, "浈江区", 700),
    ("韶关市铁路医院", C.HOSPITAL, "武江区", 300),
    ("曲江区人民医院", C.HOSPITAL, "曲江区", 650),
    *[(f"{c}人民医院", C.HOSPITAL, c, 400 + 60 * i) for i, c in enumerate(COUNTIES)],
    *[(f"{c}人民医院发热门诊", C.FEVER_CLINIC, c, 20 + 2 * i) for i, c in enumerate(COUNTIES[1:])],
    ("韶关市第一人民医院发热门诊", C.FEVER_CLINIC, "浈江区", 50),
    *[
        (f"{d}疾病预防控制中心", C.CDC, d, 60 + 5 * i)
        for i, d in enumerate(["浈江区", "武江区", "曲江区", "乐昌市", "南雄市"])
    ],
]
_MORE_CITY = [
    ("韶关市水务投资集团有限公司", C.WATER, "浈江区", 480),
    ("乐昌市自来水有限公司", C.WATER, "乐昌市", 120),
    ("南雄市自来水公司", C.WATER, "南雄市", 110),
    ("广东电网韶关曲江供电局", C.POWER, "曲江区", 520),
    ("广东电网韶关乐昌供电局", C.POWER, "乐昌市", 380),
    ("韶关市天然气有限公司", C.GAS, "浈江区", 150),
    ("武江区环境卫生管理站", C.SANITATION, "武江区", 760),
    ("曲江区环境卫生管理所", C.SANITATION, "曲江区", 540),
    ("韶关市长途汽车客运站", C.TRANSPORT, "浈江区", 300),
    ("韶关市出租汽车行业协会", C.TRANSPORT, "浈江区", 1100),
    ("浈江区东河街道社区工作站", C.COMMUNITY, "浈江区", 180),
    ("浈江区风采街道社区工作站", C.COMMUNITY, "浈江区", 210),
    ("武江区惠民街道社区工作站", C.COMMUNITY, "武江区", 190),
    ("曲江区马坝镇社区工作站", C.COMMUNITY, "曲江区", 230),
    ("宝武集团广东韶关钢铁有限公司", C.REOPENING_ENTERPRISE, "曲江区", 3200),
    ("乳源东阳光药业有限公司", C.REOPENING_ENTERPRISE, "乳源瑶族自治县", 1400),
    ("广东韶能集团股份有限公司", C.REOPENING_ENTERPRISE, "武江区", 900),
    ("韶关市中机重型机械有限公司", C.REOPENING_ENTERPRISE, "浈江区", 420),
]
_STREETS = ["风度路", "解放路", "东堤路", "工业路", "惠民路", "沿江路", "新华路", "青年路",
            "建设路", "五里亭", "西河", "十里亭", "马坝", "帽子峰", "百旺"]  # fmt: skip
_CHAINS = [
    ("大参林", 20),
    ("老百姓大药房", 12),
    ("国大药房", 10),
    ("爱心大药房", 8),
    ("乡亲大药房", 5),
]
_SUPERMARKETS = ["华润万家韶关中山店", "华润万家韶关五里亭店", "百佳超市韶关百年东街店",
                 "天和百货韶关东堤店", "沃尔玛韶关武江店"]  # fmt: skip
_DISTRICTS = ["浈江区", "武江区", "曲江区", *COUNTIES]


def _more_recipients():
    for name, category, district, size in _MORE_MEDICAL + _MORE_CITY:
        yield name, category, district, "", size
    number = 0
    for chain, count in _CHAINS:
        for i in range(count):
            district = _DISTRICTS[(number + i) % len(_DISTRICTS)]
            place = district[:-1] if district.endswith(("区", "市", "县")) else district[:2]
            street = _STREETS[(number * 3 + i) % len(_STREETS)]
            yield f"{chain}{place}{street}店", C.PHARMACY, district, "", 6 + (number + i) % 9
            number += 1
    for name in _SUPERMARKETS:
        yield name, C.SUPERMARKET, "浈江区", "", 80


def seed_recipients() -> list[str]:
    """Create the demo recipients that are missing; returns what was created."""
    existing = set(db.session.scalars(sa.select(Recipient.name)))
    created = []
    for index, (name, category, district, contact, size) in enumerate(
        [*DEMO_RECIPIENTS, *_more_recipients()]
    ):
        if name in existing:
            continue
        existing.add(name)
        contact = contact or f"联系人 138-0000-{1000 + index:04d}"
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
