"""Demo cases (救助申请) of 台儿庄区: what a county's lists hold on an ordinary day.

Every case is driven through the real actions (intake, 入户调查, 一键核对, 审核, 公示, 异议,
民主评议, 不予批准, 撤回, 先行救助, 补办登记), as the demo users of 张山子镇 and 涧头集镇 would,
so that notices, deadlines, audit rows and ledger entries are the real ones. The demo does not
move the clock (``time_machine`` is a test dependency only): every step happens on the day
the demo is loaded, and dates the actions take (调查日期, 异议收到日期, 评议日期) are that day.
See docs/decisions.md, "Demo cases without a clock".

Idempotent: each case carries its key in the intake's remarks (``演示案件：<key>``); a key
already present is skipped, so a second ``load_demo`` adds nothing.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.applications import walk
from jiuzhu.applications.models import Application, Intake
from jiuzhu.registry.models import Household

MARK = "演示案件："  # the intake remark that names a demo case
CLERK, APPROVER, JT_CLERK, VERIFIER = "tez_zhangshanzi", "tez_zhangshanzi_sp", "tez_jiantouji", "tez_hecha"
ZHANGSHANZI, JIANTOUJI = "370405101", "370405103"  # 张山子镇, 涧头集镇 (area code prefixes)
BEILUO = "370405101201"  # 北洛村


def _png(width: int) -> bytes:
    """A tiny real PNG: the signature pad's drawing of the demo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class DemoCase:
    key: str  # stable name of the case in the demo
    town: str  # area code prefix of the town
    program: str  # dibao (城市/农村 by the household's 户籍), tekun, temporary
    stage: str  # the last step the story reaches (see STORIES)
    temporary_kind: str = ""
    emergency_event: str = ""
    urban: bool | None = None  # pick an urban (城市低保) or rural household; None: either


# The day's cases: spread over both towns and the programs, one or more in every stage.
CASES: tuple[DemoCase, ...] = (
    DemoCase("zsz-accepted-1", ZHANGSHANZI, "dibao", "accepted", urban=False),
    DemoCase("zsz-accepted-2", ZHANGSHANZI, "tekun", "accepted"),
    DemoCase("jtj-accepted-1", JIANTOUJI, "dibao", "accepted", urban=False),
    DemoCase("jtj-accepted-2", JIANTOUJI, "temporary", "accepted", temporary_kind="illness"),
    DemoCase("zsz-returned", ZHANGSHANZI, "dibao", "returned"),
    DemoCase("jtj-returned", JIANTOUJI, "tekun", "returned"),
    DemoCase("zsz-investigating-1", ZHANGSHANZI, "dibao", "investigating", urban=True),
    DemoCase("zsz-investigating-2", ZHANGSHANZI, "dibao", "investigated"),
    DemoCase("jtj-investigating", JIANTOUJI, "dibao", "investigating"),
    DemoCase("zsz-reviewing-1", ZHANGSHANZI, "dibao", "reviewing", urban=False),
    DemoCase("jtj-reviewing", JIANTOUJI, "dibao", "reviewing"),
    DemoCase("zsz-publicizing-1", ZHANGSHANZI, "dibao", "publicizing", urban=False),
    DemoCase("zsz-publicizing-2", ZHANGSHANZI, "tekun", "publicizing"),
    DemoCase("zsz-deliberating", ZHANGSHANZI, "dibao", "deliberating"),
    DemoCase("zsz-rejected", ZHANGSHANZI, "dibao", "rejected"),
    DemoCase("jtj-withdrawn", JIANTOUJI, "dibao", "withdrawn"),
    DemoCase("zsz-advance", ZHANGSHANZI, "temporary", "advance_paid", "emergency", "fire"),
    DemoCase("jtj-advance-registered", JIANTOUJI, "temporary", "registered", "emergency", "traffic_accident"),
)


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=[CLERK, APPROVER, JT_CLERK, VERIFIER])}


def _candidates(case: DemoCase, taken: set[int]) -> list[Household]:
    """Demo households of the town, without an open or decided case, in a stable order."""
    qs = Household.objects.filter(area__code__startswith=case.town, area__is_demo=True).exclude(pk__in=taken)
    qs = qs.exclude(pk__in=Application.objects.values("household_id"))
    # 北洛村's families are the 政策找人 demo's (monitoring.demo_discovery picks them by id)
    qs = qs.exclude(area_id=BEILUO)
    if case.urban is not None:
        qs = qs.filter(urban_rural="urban" if case.urban else "rural")
    return list(qs.order_by("pk")[:200])


def _eligible(household: Household, program: str) -> bool:
    from jiuzhu.programs.engine import evaluate_household
    from jiuzhu.programs.facts import default_facts
    from jiuzhu.verification import report as report_content
    from jiuzhu.verification.verified import with_verified

    if program == "temporary":
        return True
    # as the decision will see it: the declaration corrected by what the departments know
    verified = report_content.build(household, program)["content"].get("verified")
    facts = with_verified(default_facts(household), verified)
    result = evaluate_household(household.area_id, timezone.localdate(), [program], facts)
    return bool(result[program]["eligible"])


def _household_for(case: DemoCase, taken: set[int]) -> Household | None:
    """The first household of the town the story can be told with: eligible where the
    story reaches a decision, not eligible for the 不予批准 one."""
    needs = {"publicizing": True, "deliberating": True, "rejected": False}.get(case.stage)
    used = Counter(Household.objects.filter(pk__in=taken).values_list("area_id", flat=True))
    # villages with fewer demo cases first, so that the cases spread over the town
    for household in sorted(_candidates(case, taken), key=lambda h: (used[h.area_id], h.pk)):
        if not household.members.filter(relation="self", death_date__isnull=True).exists():
            continue
        if needs is not None and _eligible(household, case.program) != needs:
            continue
        if case.program == "tekun" and household.member_count != 1:
            continue  # 特困: the demo's single old people
        return household
    return None


def _intake(case: DemoCase, household: Household, clerk: User) -> Application:
    from jiuzhu.applications.actions import IntakeRequest, SignatureIn, intake

    members = list(household.members.filter(death_date__isnull=True).order_by("pk"))
    today = timezone.localdate()
    adults = [p for p in members if p.age_on(today) >= 18]
    head = next(p for p in members if p.relation == "self")
    signed = adults if case.stage != "returned" else adults[:1]  # 退回补正: a spouse's 授权书 is missing
    documents = []
    if case.temporary_kind == "emergency":
        documents = ["急难事由说明"]
    req = IntakeRequest(
        household=household,
        applicant=head,
        programs=[case.program],
        temporary_kind=case.temporary_kind,
        emergency_event=case.emergency_event,
        documents_provided=documents,
        authorizations=[SignatureIn(p.pk, _png(4 + i)) for i, p in enumerate(signed)],
        commitment=SignatureIn(head.pk, _png(9)),
        remarks=f"{MARK}{case.key}",
    )
    record = intake(req, by=clerk)
    app: Application = record.applications.get()
    return app


DEMO_VISIT = walk.Visit(
    housing="自有砖瓦房两间，年久失修",
    living_conditions="家庭收入低，生活困难（演示数据）",
    labour="户主务农，收入不稳定",
    health="家庭成员身体状况见核对报告",
)


def _tell(case: DemoCase, app: Application, users: dict[str, User]) -> None:
    """Drive the case from 已受理 to the stage of its story."""
    from jiuzhu.applications import actions

    clerk = users[CLERK if case.town == ZHANGSHANZI else JT_CLERK]
    approver, verifier = users[APPROVER], users[VERIFIER]
    today = timezone.localdate()
    stage = case.stage
    if stage == "accepted":
        return
    if stage == "returned":
        # 一次性告知: the proof of 丧失劳动能力; the adult's 授权书 the intake found unsigned stays listed
        items = ["医疗诊断证明（近6个月内，证明丧失劳动能力）"]
        actions.return_for_documents(app, by=clerk, items=items, note="请一次补齐后到镇便民服务中心社会救助窗口")
        return
    if stage == "withdrawn":
        actions.withdraw(app, by=clerk, reason="申请人外出务工，收入已改善，本人申请撤回")
        return
    if stage == "advance_paid" or stage == "registered":
        result = actions.evaluate(app)
        event = {"fire": "火灾", "traffic_accident": "交通事故"}.get(case.emergency_event, "急难")
        amount = min(100_000, result["monthly_amount_fen"])
        actions.advance_pay(app, by=clerk, amount_fen=amount, note=f"{event}后24小时内先行救助")
        if stage == "registered":
            actions.register_formally(app, by=clerk, note="补齐材料，补办登记")
        return
    app = walk.investigate(app, by=clerk, visit=DEMO_VISIT)
    if stage == "investigating":
        return
    app = walk.verify(app, by=verifier)
    if stage == "investigated":
        return
    actions.submit_review(app, by=clerk)
    if stage == "reviewing":
        return
    if stage == "rejected":
        app.refresh_from_db()
        failed = [r["code"] for r in actions.evaluate(app)["reasons"] if not r["passed"]]
        actions.reject(app, by=approver, reason_codes=failed[:2], note="" if failed else "经入户调查，不符合条件")
        return
    actions.approve(app, by=approver, note="经审核符合条件")
    if stage == "deliberating":
        actions.object_(
            app,
            by=clerk,
            raised_by="同村村民（匿名）",
            content="反映申请人家中有一辆小型货车，收入情况与申报不符",
            received_on=today,
            contact="",
        )


def load_demo_cases() -> int:
    """Create the demo cases not yet present; returns how many were created."""
    if not Household.objects.filter(area__code__startswith="370405", area__is_demo=True).exists():
        return 0
    done = {
        r.removeprefix(MARK)
        for r in Intake.objects.filter(remarks__startswith=MARK, area_code__startswith="370405").values_list(
            "remarks", flat=True
        )
    }
    users = _users()
    taken: set[int] = set()
    created = 0
    for case in CASES:
        if case.key in done:
            continue
        household = _household_for(case, taken)
        if household is None:
            continue
        taken.add(household.pk)
        with transaction.atomic():
            app = _intake(case, household, users[CLERK if case.town == ZHANGSHANZI else JT_CLERK])
            _tell(case, app, users)
        created += 1
    return created
