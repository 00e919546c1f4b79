"""我的待办 (issue 14 item 17, WF-8, SUP-6): each role's home page and `GET /api/v1/me/work`
list what waits for that user — their step only — nearest deadline first."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from jiuzhu.applications import actions
from jiuzhu.applications.tests.conftest import investigate
from jiuzhu.payments.tests.conftest import approved_case
from jiuzhu.web.work import work_for

pytestmark = pytest.mark.django_db
__all__ = ["approved_case"]  # a fixture


def titles(user):
    return [(w.kind, w.title.split(" · ")[-1], w.step) for w in work_for(user)]


def in_beiluo(new_id):
    """A household of 北洛村, the village of the demo 协理员 tez_beiluo."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.registry.actions import create_household

    members = [
        {"name": "北洛甲", "id_number": new_id(age=50, gender="M", area="370405"), "relation": "self"},
        {"name": "北洛乙", "id_number": new_id(age=15, gender="F", area="370405"), "relation": "child"},
    ]
    return create_household(by=SystemActor(), area_code="370405101201", address="北洛村8号", members=members)


def test_each_role_sees_its_own_step(world, signed_intake, new_id):
    accepted = signed_intake().applications.get()
    investigating = signed_intake(household=in_beiluo(new_id)).applications.get()
    investigate(world, investigating)
    clerk, approver, village, verifier = (
        world.user(u) for u in ("tez_zhangshanzi", "tez_zhangshanzi_sp", "tez_beiluo", "tez_hecha")
    )

    clerk_work = titles(clerk)
    assert ("application", accepted.number, "开始入户调查与核对") in clerk_work
    assert any(n == investigating.number and "录入入户调查" in s for _, n, s in clerk_work)
    # The village assistant's visits: the case under investigation in its village, not the new one.
    village_work = titles(village)
    assert [n for _, n, _ in village_work] == [investigating.number]
    assert village_work[0][2] == "录入入户调查"
    # The verification centre: the 核对 request started by the investigation.
    assert [k for k, _, _ in titles(verifier)] == ["verification"]
    # Nothing waits for the county officer or another town's clerk.
    assert titles(world.user("tez_county")) == []
    assert titles(world.user("tez_jiantouji")) == []
    assert approver is not None


def test_the_approver_sees_cases_to_decide_and_the_clerk_does_not(world, signed_intake):
    from jiuzhu.verification.actions import run_verification

    app = signed_intake().applications.get()
    investigate(world, app)
    run_verification(by=world.user("tez_hecha"), household=app.household, program=app.program, application=app)
    actions.submit_review(app, by=world.user("tez_zhangshanzi"))
    approver_work = titles(world.user("tez_zhangshanzi_sp"))
    assert [n for _, n, _ in approver_work] == [app.number]
    assert "批准" in approver_work[0][2]
    assert app.number not in [n for _, n, _ in titles(world.user("tez_zhangshanzi"))]
    assert titles(world.user("tez_hecha")) == []  # the request is answered


def test_nearest_deadline_first_and_overdue_marked(world, signed_intake):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
        old = signed_intake().applications.get()
    new = signed_intake().applications.get()
    work = [w for w in work_for(world.user("tez_zhangshanzi")) if w.kind == "application"]
    assert [w.title.split(" · ")[-1] for w in work] == [old.number, new.number]
    assert work[0].overdue and not work[1].overdue
    assert work[0].due_on <= work[1].due_on


def test_the_home_page_and_the_full_list_show_the_work(client_of, signed_intake):
    app = signed_intake().applications.get()
    home = client_of("tez_zhangshanzi").get("/").content.decode()
    assert 'data-testid="home-work"' in home and app.number in home and "开始入户调查与核对" in home
    full = client_of("tez_zhangshanzi").get("/work/")
    assert full.status_code == 200 and app.number in full.content.decode()
    empty = client_of("tez_county").get("/").content.decode()
    assert "暂无待您办理的事项" in empty


def test_the_api_lists_my_work_and_refuses_strangers(api_of, client, signed_intake):
    app = signed_intake().applications.get()
    r = api_of("tez_zhangshanzi").get("/api/v1/me/work")
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == 1 and data["overdue"] == 0
    item = data["items"][0]
    assert item["kind"] == "application" and app.number in item["title"]
    assert item["url"] == app.get_absolute_url() and item["step"] == "开始入户调查与核对"
    assert client.get("/api/v1/me/work").status_code == 401


def test_a_department_sees_its_referrals(world, api_of, signed_intake):
    from jiuzhu.referrals.models import Referral

    signed_intake()
    user = world.user("tez_yibao")
    mine = Referral.objects.visible_to(user).open().count()
    assert len([w for w in work_for(user) if w.kind == "referral"]) == mine


def test_the_case_page_links_its_verification_report(world, client_of, signed_intake):
    from jiuzhu.verification.actions import run_verification

    app = signed_intake().applications.get()
    investigate(world, app)
    run_verification(by=world.user("tez_hecha"), household=app.household, program=app.program, application=app)
    report = app.verification_requests.get().report
    page = client_of("tez_zhangshanzi").get(app.get_absolute_url()).content.decode()
    assert 'data-testid="case-report-link"' in page and report.get_absolute_url() in page
    assert 'data-testid="case-referrals"' in page


def test_a_returned_case_comes_back_to_the_list_with_its_deadline_moved(world, signed_intake):
    """补正 (WF-8): a returned case waits for the family, not the window, so it is off the list;
    resubmitted five weeks later, it is back, and the days it waited do not make it overdue."""
    clerk = world.user("tez_zhangshanzi")
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
        app = signed_intake().applications.get()
        actions.return_for_documents(app, by=clerk, items=["医疗诊断证明"])
    assert [w for w in work_for(clerk) if w.kind == "application"] == []
    app.refresh_from_db()
    actions.resubmit(app, by=clerk)
    [item] = [w for w in work_for(clerk) if w.kind == "application"]
    assert item.title.endswith(app.number) and "开始入户调查" in item.step
    assert not item.overdue and item.due_on >= dt.date.today()


def test_a_complaint_waits_in_the_list_of_whoever_must_act_on_it(world, client_of):
    """SUP-4: a complaint from the public waits for the county to route it (转办); routed to a town
    it waits there to be answered, then closed; given to a named handler it waits for that person
    alone. Never for the village it concerns, never for a supervisor."""
    from jiuzhu.accounts.system import system_user
    from jiuzhu.complaints import actions as complaints
    from jiuzhu.complaints.tests.conftest import form_data

    county, clerk = world.user("tez_county"), world.user("tez_zhangshanzi")
    c = complaints.submit(form_data(), by=system_user("公众")).complaint
    number = c.tracking_number

    def waiting(username: str) -> list[tuple[str, str]]:
        return [(w.title.split(" · ")[-1], w.step) for w in work_for(world.user(username)) if w.kind == "complaint"]

    assert waiting("tez_county") == [(number, "转办或答复")]
    assert waiting("tez_zhangshanzi") == [] and waiting("tez_beiluo") == [] and waiting("tez_viewer") == []
    complaints.assign(c, by=county, town_code=c.town_code)
    assert waiting("tez_county") == [] and waiting("tez_zhangshanzi") == [(number, "办理并答复")]
    complaints.reply(c, by=clerk, text="经入户核实，已启动复核。")
    assert waiting("tez_zhangshanzi") == [(number, "办结")]
    complaints.close(c, by=clerk)
    assert waiting("tez_zhangshanzi") == [] and waiting("tez_county") == []

    named = complaints.submit(form_data(subject="低保户家有轿车"), by=system_user("公众")).complaint
    complaints.assign(named, by=county, town_code=named.town_code, handler_id=clerk.pk)
    assert waiting("tez_zhangshanzi") == [(named.tracking_number, "办理并答复")]
    assert waiting("tez_zhangshanzi_sp") == []  # the same town, but another was named
    page = client_of("tez_zhangshanzi").get("/work/").content.decode()
    assert named.tracking_number in page and "投诉举报" in page

    from jiuzhu.accounts.models import Department

    routed = complaints.submit(form_data(subject="医疗救助报销慢"), by=system_user("公众")).complaint
    yibao = Department.objects.get(pk=world.user("tez_yibao").department_id)
    complaints.assign(routed, by=county, department_id=yibao.pk)
    assert waiting("tez_yibao") == [(routed.tracking_number, "办理并答复")]
    assert routed.tracking_number not in [n for n, _ in waiting("tez_zhangshanzi")]


def test_what_waits_for_a_second_person_is_in_their_list_not_the_submitters(world, approved_case):
    """双人复核: a roster submitted for locking and a proposed change of a standard wait in the
    我的待办 of another person who may confirm them (the administrator), never the submitter's."""
    from jiuzhu.payments import actions as payments
    from jiuzhu.payments.tests.conftest import NOV
    from jiuzhu.programs.actions import confirm_change
    from jiuzhu.programs.tests.test_impact import propose

    county, admin = world.user("tez_county"), world.user("tez_admin")

    def waiting(user):
        return [(w.kind, w.title, w.step) for w in work_for(user) if w.kind in ("roster", "setting")]

    approved_case()
    roster = payments.generate_roster(by=county, area_code="370405", month=NOV)
    payments.check_roster(roster, by=county)
    payments.request_lock(roster, by=county)
    change = propose(world)  # by tez_county
    assert waiting(county) == []
    assert sorted(waiting(admin)) == [
        ("roster", "2026年11月花名册 · 台儿庄区", "复核锁定（双人复核）"),
        ("setting", "农村最低生活保障标准（每人每月）调整为900.00元 · 2027年1月1日起", "复核（双人复核）"),
    ]
    payments.confirm_lock(roster, by=admin)
    confirm_change(change, by=admin)
    assert waiting(admin) == []
