"""The procedure as a table (WF-*, GOV-5): every row reachable, roles enforced, states guarded."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from jiuzhu.applications import actions, walk, workflow
from jiuzhu.applications.config import config_for, config_for_case
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.applications.tests.conftest import VISIT
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.applications.walk import Visit
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.holidays.calendar import current_calendar

pytestmark = pytest.mark.django_db


def use(preset, county="370405"):
    return use_preset(preset, county)


def test_every_row_has_a_known_state_and_role():
    states = {s for s, _ in Application._meta.get_field("state").choices}
    for t in workflow.TRANSITIONS:
        assert set(t.sources) <= states, t.name
        assert not t.target or t.target in states, t.name
        for spec in t.who:
            role, _, level = spec.partition("@")
            assert role in ("window", "approver", "village") and level in ("town", "county", "village", "{level}")


def test_the_devolved_preset_lets_the_town_approve(world, signed_intake):
    use("devolved")
    app = signed_intake().applications.get()
    app.state = "reviewing"
    names = {t.name for t in workflow.allowed(app, config_for("370405"), world.user("tez_zhangshanzi_sp"))}
    assert "approve" in names and "reject" in names
    assert "approve" not in {t.name for t in workflow.allowed(app, config_for("370405"), world.user("tez_county"))}


def test_the_national_preset_keeps_approval_at_the_county(world, signed_intake):
    use("national")
    app = signed_intake().applications.get()
    app.state = "reviewing"
    config = config_for("370405")
    assert {t.name for t in workflow.allowed(app, config, world.user("tez_zhangshanzi_sp"))} >= {"propose"}
    app.state = "decision_pending"
    assert "approve" in {t.name for t in workflow.allowed(app, config, world.user("tez_county"))}
    assert "approve" not in {t.name for t in workflow.allowed(app, config, world.user("tez_zhangshanzi_sp"))}


def test_a_clerk_may_not_approve(world, signed_intake):
    app = signed_intake().applications.get()
    Application.objects.filter(pk=app.pk).update(state="reviewing")
    with pytest.raises(Forbidden) as exc:
        actions.approve(app, by=world.user("tez_zhangshanzi"))
    assert "镇（街道）审批人员" in exc.value.message


def test_an_action_in_the_wrong_state_is_refused(world, signed_intake):
    app = signed_intake().applications.get()
    with pytest.raises(DomainError) as exc:
        actions.submit_review(app, by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "invalid_state" and "已受理" in exc.value.message


def test_a_user_without_the_right_hears_403_whatever_the_state(world, signed_intake, api_of):
    """Issue 14 item 18: rights before state — the read-only user and a clerk asking to
    approve a case that is not even reviewed get 403, not 409 invalid_state."""
    app = signed_intake().applications.get()
    assert app.state != "reviewing"
    for user in ("tez_viewer", "tez_zhangshanzi"):
        with pytest.raises(Forbidden):
            actions.approve(app, by=world.user(user))
    r = api_of("tez_zhangshanzi").post(
        f"/api/v1/applications/{app.id}/actions/approve", "{}", content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    with pytest.raises(DomainError) as exc:  # the approver, who has the right, hears the state
        actions.approve(app, by=world.user("tez_zhangshanzi_sp"))
    assert exc.value.code == "invalid_state"


def test_another_town_cannot_act(world, signed_intake):
    app = signed_intake().applications.get()
    with pytest.raises(Forbidden):
        actions.start_investigation(app, by=world.user("tez_jiantouji"))


def test_start_requires_every_adults_authorization(world, household_in):
    """VER: 先授权、后核对 — without the 授权书 the request is refused."""
    h = household_in("张山子镇")
    intake = actions.intake(
        actions.IntakeRequest(household=h, applicant=h.members.get(relation="self"), programs=["dibao"]),
        by=world.user("tez_zhangshanzi"),
    )
    app = intake.applications.get()
    with pytest.raises(DomainError) as exc:
        actions.start_investigation(app, by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "authorization_missing"
    app.refresh_from_db()
    assert app.state == "accepted"


def test_start_requests_verification_and_review_waits_for_the_report(world, signed_intake):
    app = signed_intake().applications.get()
    clerk = world.user("tez_zhangshanzi")
    actions.start_investigation(app, by=clerk)
    assert app.verification_requests.get().status == "pending"
    walk.record_visit(app, by=clerk, visit=VISIT)
    with pytest.raises(DomainError) as exc:
        actions.submit_review(app, by=clerk)
    assert exc.value.code == "verification_pending"


def test_the_home_visit_needs_two_investigators(world, signed_intake):
    app = signed_intake().applications.get()
    clerk = world.user("tez_zhangshanzi")
    actions.start_investigation(app, by=clerk)
    with pytest.raises(InvalidInput) as exc:
        walk.record_visit(
            app, by=clerk, visit=Visit(investigators="张三", housing="x", living_conditions="x", labour="x", health="x")
        )
    assert exc.value.code == "two_investigators"


def test_returned_days_do_not_count(world, signed_intake):
    app = signed_intake().applications.get()
    clerk = world.user("tez_zhangshanzi")
    actions.return_for_documents(app, by=clerk, items=["户口簿复印件", "残疾证"])
    app.refresh_from_db()
    assert app.state == "returned" and app.notices.filter(kind="checklist").count() == 1
    due = app.due_on
    visit_due = CaseDeadline.objects.get(application=app, step="investigation").due_on
    Application.objects.filter(pk=app.pk).update(paused_on=dt.date.today() - dt.timedelta(days=14))
    actions.resubmit(app, by=clerk)
    app.refresh_from_db()
    assert app.state == "accepted" and app.due_on > due
    assert CaseDeadline.objects.get(application=app, step="overall").due_on == app.due_on
    # the 入户调查与核对 step waited with the case: moved by the same working days
    paused = current_calendar().working_days_between(dt.date.today() - dt.timedelta(days=14), dt.date.today())
    moved = CaseDeadline.objects.get(application=app, step="investigation").due_on
    assert moved == current_calendar().add_working_days(visit_due, paused) and moved > visit_due
    # 延长办理时限 later: the special limit is counted without the days spent on 补正 as well
    actions.extend(app, by=world.user("tez_county"), reason="需补充调查赡养人情况")
    app.refresh_from_db()
    special = config_for_case(app).special_limit_days
    accepted = timezone.localdate(app.accepted_at)
    assert app.paused_working_days == paused > 0
    assert app.due_on == current_calendar().add_working_days(accepted, special + paused)
    assert CaseDeadline.objects.get(application=app, step="overall").due_on == app.due_on


def test_a_return_cannot_ask_for_what_the_county_gets_from_department_data(world, signed_intake):
    """一证申请 (INT-3, INT-16): the county's list says 残疾人证 and the 户口簿 come from 残联 and
    公安 data; a return asking for them is refused and writes nothing. A clerk who found the data
    missing says so in the item, and the return goes through."""
    app = signed_intake().applications.get()
    clerk = world.user("tez_zhangshanzi")
    for asked in ("残疾人证", "户口簿", "户口簿及家庭成员户籍信息"):
        with pytest.raises(InvalidInput) as exc:
            actions.return_for_documents(app, by=clerk, items=["医疗诊断证明", asked])
        assert exc.value.code == "from_department_data" and exc.value.field == "items[1]"
        assert "系统经" in exc.value.message and "部门数据无法获取" in exc.value.message
    app.refresh_from_db()
    assert app.state == "accepted" and not app.notices.filter(kind="checklist").exists()
    # the window sees, beside the return, what it need not ask for
    from jiuzhu.web.tests.visible import visible_text

    c = Client()
    c.force_login(clerk)
    page = c.get(app.get_absolute_url()).content.decode()
    hint = visible_text(page.split('data-testid="from-department-data"')[1].split("</p>")[0])
    assert "残疾人证（系统经残联数据获取）" in hint and "户口簿及家庭成员户籍信息" in hint
    actions.return_for_documents(app, by=clerk, items=["残疾人证（部门数据无法获取，请出示原件）"])
    app.refresh_from_db()
    assert app.state == "returned"


def test_a_refused_form_on_the_case_page_comes_back_as_typed(world, signed_intake):
    """Bad input loses nothing: a 退回补正 the county refuses comes back on the case page with
    the items and the note as the clerk typed them and the reason beside the form; nothing is
    written; a good return redirects."""
    from jiuzhu.web.tests.visible import visible_text

    app = signed_intake().applications.get()
    c = Client()
    c.force_login(world.user("tez_zhangshanzi"))
    url = f"/applications/{app.pk}/actions/return_for_documents/"
    typed = {"items": "医疗诊断证明\r\n残疾人证", "note": "近6个月内，加盖医院公章"}
    r = c.post(url, typed)
    assert r.status_code == 200
    page = r.content.decode()
    form = page.split(f'action="{url}"')[1].split("</form>")[0]
    error = visible_text(form.split('data-testid="action-error">')[1].split("</div>")[0])
    assert error.startswith("退回补正未办理：") and "残疾人证" in error and "部门数据无法获取" in error
    assert ">医疗诊断证明\r\n残疾人证</textarea>" in form and 'value="近6个月内，加盖医院公章"' in form
    assert page.count('data-testid="action-error"') == 1  # the refused form alone
    app.refresh_from_db()
    assert app.state == "accepted" and not app.notices.filter(kind="checklist").exists()

    r = c.post(url, {"items": "医疗诊断证明", "note": "近6个月内"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.state == "returned"


def test_an_adult_who_joined_after_the_intake_is_on_the_return_s_checklist(world, signed_intake, new_id):
    """一次性告知 (INT-5, INT-13, VER-2): a son who moved back in after the intake has not signed
    his 授权书, and the visit waits for it (先授权、后核对). The 退回补正 names it beside the
    clerk's item, so the family comes back once with everything; 补正完成 keeps it until signed."""
    import subprocess

    from jiuzhu.core.errors import DomainError
    from jiuzhu.registry.actions.members import add_member
    from jiuzhu.registry.storage import read_bytes

    app = signed_intake().applications.get()
    clerk = world.user("tez_zhangshanzi")
    assert app.missing_documents == []
    son = add_member(
        app.household, {"name": "李新成", "id_number": new_id(age=30), "relation": "child"}, by=clerk, reason="迁入"
    )
    item = f"家庭经济状况核对授权书（{son.name}）"
    actions.return_for_documents(app, by=clerk, items=["医疗诊断证明"], note="近6个月内")
    app.refresh_from_db()
    assert [m["name"] for m in app.missing_documents] == [item, "医疗诊断证明"]
    pdf = read_bytes(app.notices.filter(kind="checklist").latest("pk").document.storage_name)
    checklist = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert item in checklist and "医疗诊断证明" in checklist

    actions.resubmit(app, by=clerk)
    app.refresh_from_db()
    assert [m["name"] for m in app.missing_documents] == [item]
    with pytest.raises(DomainError) as exc:
        actions.start_investigation(app, by=clerk)
    assert exc.value.code == "authorization_missing"


def test_a_return_keeps_the_unsigned_authorizations_on_the_checklist_until_they_are_signed(world, household_in):
    """一次性告知 (INT-5, INT-13, DOC-9): a case accepted without two members' 授权书 and returned
    for a document gets one 一次性告知书 naming all three and the county's materials of its own
    低保; 补正完成 clears the document, not the signatures; the visit waits for them (先授权、后核对)."""
    import subprocess

    from jiuzhu.applications.tests.conftest import png
    from jiuzhu.registry.storage import read_bytes

    clerk = world.user("tez_zhangshanzi")
    h = household_in()
    head = h.members.get(relation="self")
    others = list(h.members.exclude(pk=head.pk).order_by("pk"))
    req = actions.IntakeRequest(
        household=h,
        applicant=head,
        programs=["dibao"],
        authorizations=[actions.SignatureIn(head.pk, png(4))],
        commitment=actions.SignatureIn(head.pk, png(9)),
    )
    app = actions.intake(req, by=clerk).applications.get()
    unsigned = [f"家庭经济状况核对授权书（{p.name}）" for p in others]
    assert [m["name"] for m in app.missing_documents] == unsigned

    actions.return_for_documents(app, by=clerk, items=["医疗诊断证明", "医疗诊断证明", unsigned[0]], note="近6个月内")
    app.refresh_from_db()
    assert [m["name"] for m in app.missing_documents] == [*unsigned, "医疗诊断证明"]
    assert app.missing_documents[-1]["note"] == "近6个月内"
    pdf = read_bytes(app.notices.filter(kind="checklist").latest("pk").document.storage_name)
    checklist = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert all(name in checklist for name in [*unsigned, "医疗诊断证明"])
    assert "最低生活保障申请材料" in checklist

    actions.resubmit(app, by=clerk)
    app.refresh_from_db()
    assert app.state == "accepted" and [m["name"] for m in app.missing_documents] == unsigned
    with pytest.raises(DomainError) as exc:
        actions.start_investigation(app, by=clerk)
    assert exc.value.code == "authorization_missing"

    actions.supplement(
        app, by=clerk, authorizations=[actions.SignatureIn(p.pk, png(5 + i)) for i, p in enumerate(others)]
    )
    app.refresh_from_db()
    assert app.missing_documents == []
    actions.start_investigation(app, by=clerk)
    app.refresh_from_db()
    assert app.state == "investigating"


def test_refusal_issues_the_not_accepted_notice(world, signed_intake):
    app = signed_intake().applications.get()
    actions.refuse(app, by=world.user("tez_zhangshanzi"), reason="申请人户籍不在本辖区")
    app.refresh_from_db()
    assert app.state == "not_accepted" and app.notices.filter(kind="not_accepted").exists()
    assert not CaseDeadline.objects.filter(application=app).open().exists()


def test_an_emergency_is_paid_within_the_day_and_registered_later(world, signed_intake):
    """Seed 004: 急难型临时救助 24 小时内先行救助 from the town's reserve, 5 个工作日内补办登记."""
    from django.utils import timezone

    from jiuzhu.funds import actions as funds

    fund = funds.open_reserve(by=world.user("tez_county"), town_code="370405101")
    funds.top_up_reserve(fund, by=world.user("tez_county"), amount_fen=5_000_000)

    intake = signed_intake(
        programs=("temporary",), temporary_kind="emergency", emergency_event="fire", documents_provided=["急难事由说明"]
    )
    app = intake.applications.get()
    clerk = world.user("tez_zhangshanzi")
    advance = CaseDeadline.objects.get(application=app, step="advance")
    assert advance.due_on == timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        actions.advance_pay(app, by=clerk, amount_fen=10**9)
    assert exc.value.code == "amount_out_of_band"
    actions.advance_pay(app, by=clerk, amount_fen=100000)
    app.refresh_from_db()
    assert app.state == "advance_paid" and app.advance_amount_fen == 100000
    registration = CaseDeadline.objects.get(application=app, step="registration")
    assert registration.met_on is None
    actions.register_formally(app, by=clerk, note="补齐签字盖章")
    app.refresh_from_db()
    assert app.state == "approved" and app.amount_fen == 100000
    registration.refresh_from_db()
    assert registration.met_on is not None
    assert sorted(app.notices.values_list("kind", flat=True)) == ["advance", "approval", "receipt"]


def test_an_emergency_skips_investigation(world, signed_intake):
    app = signed_intake(programs=("temporary",), temporary_kind="emergency", emergency_event="fire").applications.get()
    names = {t.name for t in workflow.allowed(app, config_for("370405"), world.user("tez_zhangshanzi"))}
    assert "advance_pay" in names and "start_investigation" not in names


def test_two_clerks_pressing_at_once_make_one_change(world, signed_intake, api_of):
    """Concurrency: the second request finds the case already moved and gets a 409."""
    app = signed_intake().applications.get()
    first = api_of("tez_zhangshanzi").post(
        f"/api/v1/applications/{app.id}/actions/start_investigation", "{}", content_type="application/json"
    )
    second = api_of("tez_zhangshanzi").post(
        f"/api/v1/applications/{app.id}/actions/start_investigation", "{}", content_type="application/json"
    )
    assert first.status_code == 200 and second.status_code == 409
    assert "调查核对中" in second.json()["message"]
    assert app.verification_requests.count() == 1


def test_the_api_lists_overdue_cases(api_of, signed_intake):
    app = signed_intake().applications.get()
    CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date(2026, 1, 5))
    data = api_of("tez_county").get("/api/v1/applications", {"overdue": "true"}).json()
    assert [i["number"] for i in data["items"]] == [app.number]
    assert api_of("tez_jiantouji").get("/api/v1/applications", {"overdue": "true"}).json()["count"] == 0


def test_the_overdue_page_names_town_and_clerk(client_of, signed_intake):
    app = signed_intake().applications.get()
    CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date(2026, 1, 5))
    page = client_of("tez_county").get("/applications/overdue/").content.decode()
    assert app.number in page and "张山子镇窗口" in page


def test_a_returned_case_waits_off_the_overdue_board_and_comes_back_on_it_moved(client_of, api_of, signed_intake):
    """补正 days do not count (seed 004, WF-8): while the case waits for the family's documents
    its steps timed in days are off the overdue board, its counts and the overdue filter; on
    补正完成 they come back, moved by the working days they waited."""
    from jiuzhu.applications.queries import overdue_summary

    app = signed_intake().applications.get()
    county = client_of("tez_county")
    CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date.today() - dt.timedelta(1))
    assert app.number in county.get("/applications/overdue/").content.decode()
    actions.return_for_documents(app, by=app.accepted_by, items=["医疗诊断证明"])
    assert list(CaseDeadline.objects.filter(application=app).values_list("paused", flat=True)) == [True, True]
    board = overdue_summary(app.accepted_by)
    assert board["overdue_count"] == 0 and board["overdue"] == [] and board["by_clerk"] == {}
    assert app.number not in county.get("/applications/overdue/").content.decode()
    page = county.get(f"/applications/{app.pk}/").content.decode()
    assert page.count("补正中，暂停计时") == 2 and 'class="overdue"' not in page
    assert api_of("tez_county").get("/api/v1/applications", {"overdue": "true"}).json()["count"] == 0

    Application.objects.filter(pk=app.pk).update(paused_on=dt.date.today() - dt.timedelta(days=1))
    app.refresh_from_db()
    actions.resubmit(app, by=app.accepted_by)
    steps = CaseDeadline.objects.filter(application=app)
    assert not any(steps.values_list("paused", flat=True))
    visit = steps.get(step="investigation").due_on
    waited = current_calendar().working_days_between(dt.date.today() - dt.timedelta(days=1), dt.date.today())
    yesterday = dt.date.today() - dt.timedelta(1)
    assert visit == (current_calendar().add_working_days(yesterday, waited) if waited else yesterday)
    assert overdue_summary(app.accepted_by)["overdue_count"] == (1 if visit < dt.date.today() else 0)


def test_the_dossier_exports_everything_in_order(client_of, signed_intake):
    import io
    import zipfile

    app = signed_intake().applications.get()
    r = client_of("tez_zhangshanzi").get(f"/applications/{app.id}/dossier.zip")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert names[0].startswith("00-案卷目录") and any("受理通知书" in n for n in names)
    assert any("签名" in n for n in names)


def test_the_detail_page_offers_only_allowed_buttons(client_of, signed_intake):
    app = signed_intake().applications.get()
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.id}/").content.decode()
    assert "开始入户调查与核对" in page and "审核确认" not in page
    assert client_of("tez_jiantouji").get(f"/applications/{app.id}/").status_code == 404


def test_the_intake_page_takes_an_application(client_of, household_in):
    from jiuzhu.registry.pii import unseal

    from .conftest import png_b64

    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    c = client_of("tez_zhangshanzi")
    looked_up = c.post("/applications/new/", {"lookup": "1", "id_number": unseal("id_number", head.id_number_enc)})
    assert looked_up.status_code == 302 and looked_up["Location"].endswith(f"?household={h.id}")  # no ID in the URL
    page = c.get(looked_up["Location"])
    assert page.status_code == 200 and head.name in page.content.decode()
    ignored = c.get("/applications/new/", {"id_number": unseal("id_number", head.id_number_enc)})
    assert head.name not in ignored.content.decode()  # a number in the URL is not looked up
    adults = [m for m in h.members.all() if m.age >= 18]
    data = {
        "id_number": unseal("id_number", head.id_number_enc),
        "programs": ["dibao"],
        "channel": "window",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "3",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
        "sig_commit": png_b64(7),
    }
    for i, m in enumerate(h.current_members()):
        data.update(
            {
                f"members-{i}-relation": m.relation,
                f"members-{i}-birth_date": m.birth_date.isoformat(),
                f"members-{i}-labour_capacity": m.labour_capacity,
                f"members-{i}-school": "none",
                f"members-{i}-income_wage": "800" if i == 0 else "",
            }
        )
    for i, m in enumerate(adults):
        data[f"sig_auth_{m.pk}"] = png_b64(3 + i)
    r = c.post("/applications/new/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    app = Application.objects.get()
    assert app.facts["members"][0]["incomes"] == {"wage": 80000}
    assert app.missing_documents == []


def test_api_actions_validate_their_fields(api_of, signed_intake):
    app = signed_intake().applications.get()
    r = api_of("tez_zhangshanzi").post(
        f"/api/v1/applications/{app.id}/actions/refuse", json.dumps({}), content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert (
        api_of("tez_zhangshanzi")
        .post(f"/api/v1/applications/{app.id}/actions/fly", "{}", content_type="application/json")
        .status_code
        == 404
    )


def test_due_soon_is_the_county_s_own_number_of_days(client_of, api_of, signed_intake):
    """SUP-* 超期督办: how early a step is listed as 即将到期 is the county's dated setting
    (three days by default): a home visit due in five days is on the board, the home page's
    count and the list's filter only once the county says five."""
    from jiuzhu.applications.tests.support import use_setting

    app = signed_intake().applications.get()
    CaseDeadline.objects.filter(application=app).exclude(step="investigation").update(met_on=dt.date.today())
    CaseDeadline.objects.filter(application=app, step="investigation").update(
        due_on=dt.date.today() + dt.timedelta(days=5)
    )
    county, api = client_of("tez_county"), api_of("tez_county")

    def seen() -> tuple[bool, bool, int, int]:
        board = county.get("/applications/overdue/").content.decode()
        listed = county.get("/applications/", {"due_soon": "1"}).content.decode()
        count = api.get("/api/v1/applications", {"due_soon": "true"}).json()["count"]
        return app.number in board, app.number in listed, count, county.get("/").context["due_soon_count"]

    assert "超期和3日内到期的办理环节" in county.get("/applications/overdue/").content.decode()
    assert seen() == (False, False, 0, 0)
    use_setting("supervision.due_soon_days", 5)
    assert "超期和5日内到期的办理环节" in county.get("/applications/overdue/").content.decode()
    assert seen() == (True, True, 1, 1)


def test_overdue_work_shows_on_the_home_pages_of_town_and_county(client_of, signed_intake):
    app = signed_intake().applications.get()
    CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date(2026, 1, 5))
    for user in ("tez_zhangshanzi", "tez_county", "tez_viewer"):
        page = client_of(user).get("/")
        assert page.context["overdue_count"] == 1, user
    assert client_of("tez_jiantouji").get("/").context["overdue_count"] == 0


def test_the_case_lists_run_a_fixed_number_of_queries(client_of, signed_intake, django_assert_max_num_queries):
    for _ in range(6):
        app = signed_intake().applications.get()
        CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date(2026, 1, 5))
    client = client_of("tez_county")
    with django_assert_max_num_queries(9):
        assert client.get("/applications/", {"overdue": "1"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/applications/overdue/").status_code == 200
