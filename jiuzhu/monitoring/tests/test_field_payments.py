"""A person under a 临时编号 and the money (issue 17 leftovers, INT-24, FND-4): his 急难型临时救助
reaches the month's roster as an exception (例外) "临时编号人员，待核实身份后发放" that blocks
payment and is never written to a bank file — a bank file's ID column takes real ID numbers
only; once ``match_identity`` has merged him into the real person, the next roster pays the
real person normally."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.utils import timezone

from jiuzhu.core.errors import DomainError
from jiuzhu.monitoring.field import match_identity, submit_field_report
from jiuzhu.payments import actions
from jiuzhu.payments.models import EXCEPTION_LABELS, RosterLine, add_months, month_start
from jiuzhu.payments.tests.conftest import new_account, set_account
from jiuzhu.registry.models import Person

BEILUO = "370405101201"  # 北洛村
HOMELESS = {
    "place": "北洛村桥洞",
    "situation": "中年男子在桥洞露宿，无身份证件",
    "name": "王某",
    "gender": "M",
    "approx_age": 50,
    "description": "短发，右眉有痣",
    "urgency": "urgent",
}
REASON = "临时编号人员，待核实身份后发放"


def _this_month() -> Any:
    return month_start(timezone.localdate())


def _temporary_aid(person: Person, amount_fen: int = 80000) -> Any:
    """An approved 急难型临时救助 of ``amount_fen`` for ``person`` (the decision written directly,
    as payments' ``approved_case`` does: the walk to approval is the applications app's)."""
    from jiuzhu.applications.models import Application, Intake

    h = person.household
    assert h is not None
    intake = Intake.objects.create(
        receipt_number=f"SLT-LS-{person.pk}", household=h, applicant=person, channel="window", area_code=h.area_id
    )
    return Application.objects.create(
        number=f"SQT-LS-{person.pk}",
        intake=intake,
        household=h,
        applicant=person,
        program="temporary",
        temporary_kind="emergency",
        channel="window",
        state="approved",
        area_code=h.area_id,
        county_code=h.county_code,
        urban=False,
        facts={},
        trace={},
        due_on=timezone.localdate(),
        decision="approved",
        decided_at=timezone.now(),
        amount_fen=amount_fen,
    )


@pytest.fixture
def stranger(world: Any) -> tuple[Any, Person, Any]:
    """The 流浪 man reported without an ID, with a bank card (a 一卡通 opened for him) and an
    approved 急难型临时救助 of 800 元."""
    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    temp = report.temp_person
    assert temp is not None
    set_account(temp, new_account())
    return report, temp, _temporary_aid(temp)


def _lock(roster: Any, county: Any, admin: Any) -> Any:
    for line in roster.lines.exclude(exceptions=[]):
        actions.resolve_line(line, by=county, decision="hold", note="待核实")
    assert actions.check_roster(roster, by=county)["status"] == "checked"
    actions.request_lock(roster, by=county)
    return actions.confirm_lock(roster, by=admin)


def test_an_unidentified_payee_is_a_blocking_exception_on_the_roster(
    county: Any, stranger: tuple[Any, Person, Any]
) -> None:
    """The line is listed with the Chinese reason; it cannot be confirmed for payment, only held."""
    _, temp, app = stranger
    roster = actions.generate_roster(by=county, area_code="370405", month=_this_month())
    line = RosterLine.objects.get(roster=roster, application=app)
    assert line.payee_id == temp.pk and line.amount_fen == 80000
    assert line.exceptions == ["unidentified"] and line.exception_labels == [REASON]
    assert EXCEPTION_LABELS["unidentified"] == REASON
    assert roster.summary["exceptions"] == {"unidentified": 1}
    with pytest.raises(DomainError) as e:
        actions.resolve_line(line, by=county, decision="pay", note="核实无误")
    assert e.value.code == "blocking_exception" and REASON in e.value.message
    # a check after the fact (核查) keeps it: the registry still knows him only by the temporary number
    assert actions.check_roster(roster, by=county)["unresolved"] == 1
    line.refresh_from_db()
    assert line.exceptions == ["unidentified"]


def test_the_bank_file_never_carries_a_temporary_number(
    county: Any, admin: Any, approved_case: Any, stranger: tuple[Any, Person, Any]
) -> None:
    """Held on the roster, the line stays out of the bank file; and even a line put back to
    pending by hand after the lock is left out: the file's ID column gets real IDs only."""
    _, temp, app = stranger
    other = approved_case(start_month=_this_month())
    roster = _lock(actions.generate_roster(by=county, area_code="370405", month=_this_month()), county, admin)
    line = RosterLine.objects.get(roster=roster, application=app)
    assert line.status == "held"
    RosterLine.objects.filter(pk=line.pk).update(status="pending", exceptions=[])  # bypassing the check
    batch, content, _ = actions.export_bank_file(roster, by=county)
    text = content.decode("gb18030")
    assert "LS-" not in text and str(temp.temp_number) not in text and temp.name not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and batch.line_count == 1
    assert batch.lines.get().line.application_id == other.pk
    line.refresh_from_db()
    assert line.status == "pending"  # not sent: still owed once his identity is known


def test_once_matched_the_next_roster_pays_the_real_person(
    world: Any, county: Any, admin: Any, new_id: Any, stranger: tuple[Any, Person, Any]
) -> None:
    from jiuzhu.accounts.system import system_user
    from jiuzhu.registry.actions import create_household

    report, _, app = stranger
    this = _this_month()
    roster = _lock(actions.generate_roster(by=county, area_code="370405", month=this), county, admin)
    assert RosterLine.objects.get(roster=roster, application=app).status == "held"
    number = new_id(age=50)
    home = create_household(
        by=system_user(),
        area_code=BEILUO,
        address="北洛村9号",
        members=[{"name": "王建国", "id_number": number, "relation": "self"}],
    )
    real = home.members.get()
    set_account(real, new_account())
    match_identity(report, number, by=world.user("tez_zhangshanzi"))

    nxt = actions.generate_roster(by=county, area_code="370405", month=add_months(this, 1))
    line = RosterLine.objects.get(roster=nxt, application=app)
    assert line.payee_id == real.pk and line.exceptions == [] and line.amount_fen == 80000
    nxt = _lock(nxt, county, admin)
    _, content, _ = actions.export_bank_file(nxt, by=county)
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"))))
    assert [r[2:4] for r in rows[1:]] == [["王建国", number]] and rows[1][5] == "800.00"
    assert "LS-" not in content.decode("gb18030")
