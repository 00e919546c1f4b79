"""Handling 投诉举报 (SUP-4): routing with a deadline from the dated setting, notes, reply,
closure, jurisdiction, the reporter's identity and a review opened on a reported recipient."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiuzhu.accounts.system import system_user
from jiuzhu.audit.models import AuditEntry
from jiuzhu.complaints import actions
from jiuzhu.complaints.models import Complaint
from jiuzhu.core.errors import DomainError, Forbidden, NotFound
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.monitoring.models import Review

from .conftest import JIANTOUJI, form_data

pytestmark = pytest.mark.django_db


def new(**over: object) -> Complaint:
    return actions.submit(form_data(**over), by=system_user("公众")).complaint


def test_it_sets_the_deadline_from_the_dated_setting_in_working_days(world):
    """SUP-4: 办理期限 = complaints.reply_days (15) working days on the holiday calendar."""
    c = new()
    today = timezone.localdate()
    assert actions.reply_days("370405", today) == 15
    assert c.due_on == current_calendar().add_working_days(today, 15)
    assert (c.due_on - today).days >= 19  # three weekends at least


def test_it_routes_replies_and_closes_with_every_step_audited(world):
    """SUP-4: 转办 to a town with a handler, 办理记录, 答复, 办结; each audited; the workflow
    table refuses a step out of order."""
    county, clerk = world.user("tez_county"), world.user("tez_jiantouji")
    c = new()
    with pytest.raises(DomainError, match="不能办结"):
        actions.close(c, by=county)
    actions.assign(c, by=county, town_code=JIANTOUJI, handler_id=clerk.pk, note="属地办理")
    c.refresh_from_db()
    assert c.status == "assigned" and c.town_code == JIANTOUJI and c.handler == clerk
    actions.add_note(c, by=clerk, text="已入户核实")
    actions.reply(c, by=clerk, text="经核实，已启动复核")
    actions.close(c, by=clerk, note="答复满意")
    c.refresh_from_db()
    assert c.status == "closed" and c.reply == "经核实，已启动复核"
    done = set(
        AuditEntry.objects.filter(object_id=str(c.pk), object_type="complaints.complaint").values_list(
            "action", flat=True
        )
    )
    assert {"complaints.submit", "complaints.assign", "complaints.note", "complaints.reply", "complaints.close"} <= done
    assert [n.kind for n in c.notes.all()] == ["received", "assign", "note", "reply", "close"]


def test_it_refuses_a_handler_outside_the_town_and_empty_text(world):
    """SUP-4: routing checks the town and handler; the reply names its field."""
    c = new()
    county = world.user("tez_county")
    with pytest.raises(DomainError) as e:
        actions.assign(c, by=county, town_code=JIANTOUJI, handler_id=world.user("tez_zhangshanzi").pk)
    assert e.value.field == "handler_id"
    with pytest.raises(DomainError) as e:
        actions.reply(c, by=county, text=" ")
    assert e.value.field == "text" and "答复内容" in e.value.message
    c.refresh_from_db()
    assert c.status == "received"


def test_a_town_sees_only_its_complaints_and_the_county_all(world):
    """SUP-4: jurisdiction — another town's complaint does not exist for a town user."""
    mine, theirs = new(), new(area_code=JIANTOUJI)
    town = world.user("tez_zhangshanzi")
    assert list(Complaint.objects.visible_to(town)) == [mine]
    assert set(Complaint.objects.visible_to(world.user("tez_county"))) == {mine, theirs}
    assert not Complaint.objects.visible_to(world.user("tez_beiluo")).exists()  # a village: none
    with pytest.raises(NotFound):
        actions.add_note(theirs, by=town, text="越权")


def test_the_overdue_are_a_query_the_county_sees(world):
    """SUP-4: overdue complaints are visible to the county."""
    c = new()
    Complaint.objects.filter(pk=c.pk).update(due_on=timezone.localdate().replace(year=2020))
    assert list(Complaint.objects.visible_to(world.user("tez_county")).overdue()) == [c]


def test_the_identity_is_masked_except_for_the_handler_and_county_and_viewing_is_audited(world, client_of):
    """SUP-4: the reporter's name and phone show masked; the handler and the county may reveal
    them, audited; the town clerk who is not the handler may not."""
    c = new()
    town = client_of("tez_zhangshanzi")
    page = town.get(f"/complaints/{c.pk}/").content.decode()
    assert "李**" in page and "138****5678" in page and "13812345678" not in page and "李大明" not in page
    assert 'data-testid="reveal"' not in page
    assert town.post(f"/complaints/{c.pk}/identity/").status_code == 403
    county = client_of("tez_county")
    r = county.post(f"/complaints/{c.pk}/identity/")
    assert "李大明" in r.content.decode() and "13812345678" in r.content.decode()
    assert AuditEntry.objects.filter(action="complaints.identity.reveal", object_id=str(c.pk)).count() == 1
    actions.assign(c, by=world.user("tez_county"), handler_id=world.user("tez_zhangshanzi").pk)
    assert "李大明" in town.post(f"/complaints/{c.pk}/identity/").content.decode()
    with pytest.raises(Forbidden):
        actions.reveal_identity(c, by=world.user("tez_zhangshanzi_sp"))


def test_a_report_about_a_recipient_opens_a_review_once_staff_confirm(world, approved_case):
    """SUP-4 (and DYN: change report): confirming the reported person is a recipient opens a
    review on that case through monitoring's report_change."""
    app = approved_case("张山子镇")
    c = new()
    county = world.user("tez_county")
    with pytest.raises(DomainError) as e:
        actions.open_review(c, by=county, application_number="NOPE")
    assert e.value.field == "application_number"
    actions.open_review(c, by=county, application_number=app.number)
    c.refresh_from_db()
    review = Review.objects.get(pk=c.review_id)
    assert review.application == app and c.tracking_number in review.reason
    assert AuditEntry.objects.filter(action="complaints.open_review", object_id=str(c.pk)).exists()
    with pytest.raises(DomainError, match="已就本举报启动复核"):
        actions.open_review(c, by=county, application_number=app.number)
    suggestion = new(category="suggestion")
    with pytest.raises(DomainError, match="只有举报件"):
        actions.open_review(suggestion, by=county, application_number=app.number)


def test_staff_log_a_phone_call_and_see_statistics(world, client_of):
    """SUP-4: staff log a call from the staff site (page reached from the navigation); the list
    shows statistics by town, category and month."""
    client = client_of("tez_zhangshanzi")
    home = client.get("/").content.decode()
    assert 'href="/complaints/"' in home
    r = client.post("/complaints/new/", form_data(category="complaint", reporter_phone="0632-6611234"))
    c = Complaint.objects.get()
    assert r.status_code == 302 and c.channel == "phone" and c.created_by == world.user("tez_zhangshanzi")
    listing = client.get("/complaints/").content.decode()
    assert c.tracking_number in listing and "张山子镇" in listing and "投诉" in listing
    refused = client.post("/complaints/new/", form_data(area_code=JIANTOUJI))
    assert "不在您的管辖范围内" in refused.content.decode() and Complaint.objects.count() == 1


def test_the_sealed_identity_is_registered_for_re_encryption(world):
    """SUP-4 with rule 7: the reporter's sealed name, phone and 查询码 are walked by the re-key."""
    from jiuzhu.complaints.hooks import _rekey_complaint
    from jiuzhu.registry.rekey import _SEALED_TABLES

    assert "complaints.Complaint" in _SEALED_TABLES
    c = new()
    assert _rekey_complaint(c) == []  # already under the current profile
    c.reporter_phone_index = "stale"
    assert _rekey_complaint(c) == ["reporter_phone_index"]


def test_its_audit_actions_read_in_chinese(world):
    """SUP-4 with rule 12: the audit trail names each step in Chinese."""
    from jiuzhu.audit.labels import action_label

    assert action_label("complaints.identity.reveal") == "查看投诉举报人身份"
    assert action_label("complaints.open_review") == "因举报启动复核"


def test_a_department_handles_what_is_routed_to_it_and_sees_the_identity_masked(world, client_of):
    """SUP-4: routed to a county department (医保局), its user sees and answers it; the
    identity stays masked for a department user who is not the handler."""
    from jiuzhu.accounts.models import Department

    c = new(category="complaint")
    yibao = Department.objects.get(code="yibao", area_id="370405000000")
    user = world.user("tez_yibao")
    assert not Complaint.objects.visible_to(user).exists()
    actions.assign(c, by=world.user("tez_county"), department_id=yibao.pk)
    assert list(Complaint.objects.visible_to(user)) == [c]
    page = client_of("tez_yibao").get(f"/complaints/{c.pk}/").content.decode()
    assert "138****5678" in page and 'data-testid="reveal"' not in page and "答复投诉人" in page
    assert client_of("tez_yibao").get("/complaints/new/").status_code == 403
    actions.reply(c, by=user, text="医保报销问题已解释")
    c.refresh_from_db()
    assert c.status == "replied"
    assert client_of("tez_county").get("/complaints/new/").status_code == 200


def test_the_list_gives_the_public_address_to_read_out_on_the_phone(world, client_of):
    """The address a clerk tells a caller is the whole web address, and it opens the form."""
    page = client_of("tez_county").get("/complaints/").content.decode()
    link = page.split('data-testid="public-complaint-address"')[1].split("</a>")[0]
    assert link.endswith(">http://testserver/public/complaints/new/")


def test_the_page_names_the_village_with_its_town(world, client_of):
    """A village's name alone (侯孟村) does not tell the county's officer which town to send the
    complaint to: the page names it with its county and town."""
    c = new()
    page = client_of("tez_county").get(f"/complaints/{c.pk}/").content.decode()
    assert "台儿庄区张山子镇" in page.split("涉及镇村", 1)[1].split("</tr>", 1)[0]


def test_routing_marks_a_department_no_one_can_handle_online(world, client_of):
    """A county department with no active account would never see a
    complaint routed to it: the routing list says so beside its name; 医保局 has its user."""
    from jiuzhu.accounts.models import Department

    c = new(category="complaint")
    page = client_of("tez_county").get(f"/complaints/{c.pk}/").content.decode()
    options = page.split('name="department_id"')[1].split("</select>")[0]
    staffed = {d.name for d in Department.objects.filter(area_id="370405000000", users__is_active=True)}
    unstaffed = set(Department.objects.filter(area_id="370405000000").values_list("name", flat=True)) - staffed
    assert staffed and unstaffed
    for name in staffed:
        assert f">{name}</option>" in options
    for name in unstaffed:
        assert f">{name}（尚无办理人员账号，须线下转办）</option>" in options
