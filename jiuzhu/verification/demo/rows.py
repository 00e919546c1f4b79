"""The rows each demo department file holds, data type by data type."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from .people import TODAY, Resident, _date, _money, _months, _write_id


def _rows(code: str, people: list[Resident], rng: random.Random) -> Iterator[dict[str, str]]:
    """Realistic rows of one data type (keys are the schema's field keys)."""
    adults = [p for p in people if 18 <= p.age < 60]
    elderly = [p for p in people if p.age >= 60]
    banks = ["台儿庄农商银行", "中国农业银行台儿庄支行", "中国邮政储蓄银行台儿庄支行", "中国工商银行枣庄分行"]

    def base(p: Resident) -> dict[str, str]:
        return {"name": p.name, "id_number": _write_id(p, rng)}

    if code == "gongan.vehicle":
        for p in adults:
            if rng.random() < 0.08:
                kind = rng.choices(
                    ["小型轿车", "小型普通客车", "轻型货车", "普通二轮摩托车", "残疾人专用车"], [50, 20, 10, 15, 5]
                )[0]
                yield base(p) | {
                    "plate": f"鲁D{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}",
                    "vehicle_type": kind,
                    "registered_on": _date(
                        dt.date(rng.randint(2010, 2026), rng.randint(1, 10), rng.randint(1, 28)), rng
                    ),
                    "state": "正常" if rng.random() < 0.9 else "注销",
                }
    elif code == "gongan.hukou":
        for p in people:
            x = rng.random()
            if p.age >= 75 and x < 0.03:
                yield base(p) | {
                    "event": "死亡注销",
                    "event_on": _date(TODAY - dt.timedelta(days=rng.randint(5, 200)), rng),
                    "place": "",
                }
            elif x < 0.015:
                yield base(p) | {
                    "event": "迁出",
                    "event_on": _date(TODAY - dt.timedelta(days=rng.randint(5, 300)), rng),
                    "place": "枣庄市市中区",
                }
    elif code == "renshe.employment":
        for p in adults:
            if p.employment == "employed" or rng.random() < 0.05:
                yield base(p) | {
                    "employer": rng.choice(
                        ["枣庄某纺织有限公司", "台儿庄古城旅游公司", "某建筑劳务公司", "某物流有限公司"]
                    ),
                    "job_type": rng.choice(["劳动合同", "劳务派遣", "灵活就业"]),
                    "started_on": _date(dt.date(rng.randint(2018, 2026), rng.randint(1, 10), 1), rng),
                    "wage": _money(rng.randint(2200, 5200) * 100, rng),
                    "state": "在岗",
                }
    elif code == "renshe.contribution":
        for p in adults:
            if rng.random() < 0.07:
                base_fen = rng.randint(3500, 6000) * 100
                for month in _months(12):
                    yield base(p) | {
                        "insurance": "企业职工基本养老保险",
                        "month": month.strftime("%Y-%m"),
                        "base": _money(base_fen, rng),
                        "employer": "枣庄某纺织有限公司",
                    }
    elif code == "renshe.pension":
        for p in elderly:
            kind = "城镇职工基本养老金" if rng.random() < 0.1 else "城乡居民基础养老金"
            amount = rng.randint(2400, 3800) * 100 if kind == "城镇职工基本养老金" else 16300
            for month in _months(6):
                yield base(p) | {"benefit": kind, "month": month.strftime("%Y%m"), "amount": _money(amount, rng)}
    elif code == "renshe.unemployment":
        for p in adults:
            if p.employment == "unemployed":
                yield base(p) | {
                    "registered_on": _date(dt.date(2026, rng.randint(1, 9), 1), rng),
                    "benefit": "1530.00",
                    "state": "失业",
                }
    elif code == "caizheng.payroll":
        for p in adults:
            if rng.random() < 0.01:
                wage = rng.randint(4500, 7500) * 100
                for month in _months(12):
                    yield base(p) | {
                        "employer": "某镇人民政府",
                        "month": f"{month.year}年{month.month}月",
                        "amount": _money(wage, rng),
                    }
    elif code == "ziran.property":
        for p in people:
            if p.age >= 25 and rng.random() < 0.25:
                for k in range(1 if rng.random() < 0.9 else 2):
                    yield base(p) | {
                        "cert": f"鲁(2024)台儿庄区不动产权第{rng.randint(1000000, 9999999)}号",
                        "location": f"台儿庄区某小区{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元",
                        "usage": rng.choice(["住宅", "住宅", "宅基地", "商业"]) if k == 0 else "住宅",
                        "area": str(rng.randint(45, 140)),
                        "registered_on": _date(dt.date(rng.randint(2005, 2026), rng.randint(1, 12), 1), rng),
                        "state": "现势",
                    }
    elif code == "shichang.individual_business":
        for p in adults:
            if rng.random() < 0.03:
                yield base(p) | {
                    "shop": f"台儿庄区{p.name[0]}记{rng.choice(['百货店', '小吃部', '五金店', '修理部'])}",
                    "credit_code": f"92370405MA{rng.randint(10**7, 10**8 - 1)}",
                    "scope": "零售",
                    "founded_on": _date(dt.date(rng.randint(2012, 2026), rng.randint(1, 12), 1), rng),
                    "state": "存续",
                }
    elif code == "shenpi.enterprise":
        for p in adults:
            if rng.random() < 0.01:
                yield base(p) | {
                    "company": f"枣庄{p.name[0]}氏商贸有限公司",
                    "credit_code": f"91370405MA{rng.randint(10**7, 10**8 - 1)}",
                    "company_type": rng.choice(["有限责任公司", "农民专业合作社"]),
                    "role": "法定代表人",
                    "founded_on": _date(dt.date(rng.randint(2012, 2026), rng.randint(1, 12), 1), rng),
                    "state": "存续",
                }
    elif code == "renhang.deposit":
        for p in people:
            if p.age >= 16 and rng.random() < 0.45:
                fen = rng.choice([rng.randint(0, 800000), rng.randint(0, 3000000), rng.randint(5000000, 30000000)])
                yield base(p) | {
                    "bank": rng.choice(banks),
                    "last4": f"{rng.randint(0, 9999):04d}",
                    "deposit_type": rng.choice(["活期", "活期", "定期"]),
                    "balance": _money(fen, rng),
                    "as_of": _date(dt.date(2026, 10, 31), rng),
                }
    elif code == "renhang.account":
        for p in people:
            if p.age >= 16 and rng.random() < 0.6:
                yield base(p) | {
                    "bank": rng.choice(banks),
                    "account_type": "个人银行结算账户",
                    "last4": f"{rng.randint(0, 9999):04d}",
                    "opened_on": _date(dt.date(rng.randint(2005, 2026), rng.randint(1, 12), 1), rng),
                    "state": "正常",
                }
    elif code == "yibao.expense":
        for p in people:
            if p.health in ("serious", "chronic") and rng.random() < 0.8:
                for _ in range(rng.randint(1, 5)):
                    total = rng.randint(3000, 80000) * 100
                    own = total * rng.randint(20, 45) // 100
                    yield base(p) | {
                        "hospital": rng.choice(["台儿庄区人民医院", "枣庄市立医院", "山东省立医院"]),
                        "settled_on": _date(TODAY - dt.timedelta(days=rng.randint(1, 360)), rng),
                        "total": _money(total, rng),
                        "reimbursed": _money(total - own, rng),
                        "own": _money(own, rng),
                    }
    elif code == "yibao.insurance":
        for p in people:
            yield base(p) | {
                "insurance": "职工基本医疗保险" if p.employment == "employed" else "城乡居民基本医疗保险",
                "employer": "",
                "state": "参保缴费",
                "as_of": _date(dt.date(2026, 10, 31), rng),
            }
    elif code == "canlian.disability":
        grades = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
        labels = {
            "vision": "视力",
            "hearing": "听力",
            "speech": "言语",
            "physical": "肢体",
            "intellectual": "智力",
            "mental": "精神",
            "multiple": "多重",
        }
        for p in people:
            if p.disability:
                yield base(p) | {
                    "cert": p.id_number + f"{p.disability[1]}{rng.randint(1, 7)}",
                    "category": labels.get(p.disability[0], "肢体"),
                    "grade": grades.get(p.disability[1], "二级"),
                    "issued_on": _date(dt.date(rng.randint(2012, 2025), rng.randint(1, 12), 1), rng),
                    "state": "有效",
                }
    elif code == "jiaoti.student":
        stages = {
            "primary": "小学",
            "junior": "初中",
            "senior": "高中",
            "vocational": "中职",
            "college": "高等教育",
            "university": "高等教育",
        }
        for p in people:
            if p.school in stages:
                yield base(p) | {
                    "school": f"台儿庄区{stages[p.school]}学校",
                    "stage": stages[p.school],
                    "grade": f"{rng.randint(1, 3)}年级",
                    "state": "在读",
                }
    elif code == "minzheng.funeral":
        for p in people:
            if p.age >= 80 and rng.random() < 0.01:
                d = TODAY - dt.timedelta(days=rng.randint(5, 120))
                yield base(p) | {
                    "died_on": _date(d, rng),
                    "cremated_on": _date(d + dt.timedelta(days=3), rng),
                    "home": "台儿庄区殡仪馆",
                }
    elif code == "gongjijin.fund":
        for p in adults:
            if rng.random() < 0.03:
                for month in _months(6):
                    yield base(p) | {
                        "business": "缴存",
                        "employer": "某物流有限公司",
                        "month": month.strftime("%Y-%m"),
                        "amount": _money(rng.randint(300, 900) * 100, rng),
                    }
