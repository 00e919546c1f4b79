"""Issue 18 items 4, 5 and 7: status query, village 公示 with online objections, policy pages."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.test_decisions import publicizing_case
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.masking import mask_person_name
from jiuzhu.disclosure import services

pytestmark = pytest.mark.django_db


def _id_of(app: Application) -> str:
    from jiuzhu.registry.pii import unseal

    return unseal("id_number", app.applicant.id_number_enc)


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def case(world: Any, signed_intake: Any) -> Application:
    return publicizing_case(world, signed_intake)


def test_status_answers_state_and_next_step_only(case: Application, world: Any):
    """INT-23: receipt number + applicant's ID number → the state and next step in plain words."""
    c = Client()
    r = c.post("/public/status/", {"receipt_number": case.intake.receipt_number, "id_number": _id_of(case)})
    assert r.status_code == 200 and "正在公示" in r.content.decode() and "下一步" in r.content.decode()
    assert case.applicant.name not in r.content.decode()
    assert r["Content-Security-Policy"]
    # 审批权限下放: the town has decided; its result is what is publicized (found walking: the
    # page said "公示期满无异议后作出决定", as if nothing were decided yet)
    page = r.content.decode()
    assert "已审批同意，审批结果正在公示" in page and "公示期满无异议后生效" in page and "作出决定" not in page


def test_the_family_reads_that_the_town_has_decided_during_the_result_s_publicity(case: Application):
    """INT-9 (devolved): on 掌上办 too the family reads the decision being publicized, not
    "公示期满后审批"."""
    from jiuzhu.portal.queries import case_view

    view = case_view(case)
    assert view.plain.startswith("镇（街道）已审批同意，审批结果正在村（社区）公示")
    assert view.next_step.startswith("公示期满无异议后生效") and "公示期满后审批" not in view.next_step


def test_status_gives_the_same_answer_for_unknown_receipt_and_wrong_id(case: Application, world: Any):
    """INT-23, issue 18 security: no enumeration — unknown receipt and wrong ID read alike."""
    c = Client()
    wrong_id = c.post(
        "/public/status/", {"receipt_number": case.intake.receipt_number, "id_number": "110101199003070000"}
    )
    unknown = c.post("/public/status/", {"receipt_number": "SL000000000", "id_number": _id_of(case)})
    assert wrong_id.status_code == unknown.status_code == 200

    def answer(r: Any) -> str:
        return r.content.decode().split("</form>", 1)[1]

    assert answer(wrong_id) == answer(unknown) and services.NOT_FOUND in answer(unknown)
    api = c.post(
        "/api/v1/public/status",
        json.dumps({"receipt_number": "SL000000000", "id_number": _id_of(case)}),
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json() == {"found": False, "message": services.NOT_FOUND, "lines": []}


def test_status_is_rate_limited_per_ip(case: Application):
    """INT-23: rate-limited per IP (429 with a Chinese message through the API)."""
    c = Client()
    body = json.dumps({"receipt_number": "X", "id_number": "Y"})
    codes = [c.post("/api/v1/public/status", body, content_type="application/json").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    r = c.post("/api/v1/public/status", body, content_type="application/json")
    assert r.json()["code"] == "rate_limited" and "频繁" in r.json()["message"]


def test_gongshi_shows_only_in_period_entries_of_that_village(case: Application, world: Any, signed_intake: Any):
    """DOC-10, SUP-2: in-period entries of this village only, masked; gone when the period ends."""
    c = Client()
    page = c.get(f"/public/gongshi/{case.area_code}/")
    html = page.content.decode()
    assert page.status_code == 200 and '<meta name="robots" content="noindex">' in html
    assert mask_person_name(case.applicant.name) in html and case.applicant.name not in html
    assert case.applicant.id_number_masked in html
    other = "9" * 12
    assert 'data-testid="gongshi-entry"' not in c.get(f"/public/gongshi/{other}/").content.decode()
    api = c.get(f"/api/v1/public/gongshi/{case.area_code}").json()
    assert [e["name"] for e in api] == [mask_person_name(case.applicant.name)]
    assert c.get("/api/v1/public/gongshi/12").status_code == 422
    Application.objects.filter(pk=case.pk).update(publicity_end=timezone.localdate() - dt.timedelta(days=1))
    assert 'data-testid="gongshi-entry"' not in c.get(f"/public/gongshi/{case.area_code}/").content.decode()
    assert c.get(f"/api/v1/public/gongshi/{case.area_code}").json() == []


def test_online_objection_lands_on_the_case_and_in_the_audit_log(case: Application):
    """SUP-2, WF-8: an anonymous objection from the 公示 page is an objection on the case, audited
    as coming from the public page; CSRF is enforced."""
    strict = Client(enforce_csrf_checks=True)
    r = strict.post(f"/public/gongshi/{case.area_code}/", {"number": case.number, "reason": "家里有车"})
    assert r.status_code == 403 and not case.objections.exists()
    c = Client()
    r = c.post(f"/public/gongshi/{case.area_code}/", {"number": case.number, "reason": ""})
    assert r.status_code == 422 and "异议理由" in r.content.decode() and not case.objections.exists()
    r = c.post(
        f"/public/gongshi/{case.area_code}/", {"number": case.number, "phone": "13800001111", "reason": "家里有车"}
    )
    assert r.status_code == 200 and "您的异议已收到" in r.content.decode()
    objection = case.objections.get()
    assert (
        objection.content == "家里有车" and objection.raised_by.startswith("匿名") and "公示网页" in objection.raised_by
    )
    entry = AuditEntry.objects.filter(action="applications.object", object_id=str(case.pk)).get()
    assert entry.actor_name == services.OBJECTION_SOURCE
    # The case is now in 民主评议: it has left the 公示 list and takes no more online objections.
    assert 'data-testid="gongshi-entry"' not in c.get(f"/public/gongshi/{case.area_code}/").content.decode()


def test_online_objection_through_the_api(case: Application):
    """SUP-2: the same objection through /api/v1/public/ (JSON errors, 4xx never 500)."""
    c = Client()
    bad = c.post(
        f"/api/v1/public/gongshi/{case.area_code}/objections",
        json.dumps({"number": "NOPE", "reason": "x"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "not_in_publicity"
    empty = c.post(
        f"/api/v1/public/gongshi/{case.area_code}/objections",
        json.dumps({"number": case.number, "reason": " "}),
        content_type="application/json",
    )
    assert empty.status_code == 422 and empty.json()["field"] == "reason" and not case.objections.exists()
    api = c.post(
        f"/api/v1/public/gongshi/{case.area_code}/objections",
        json.dumps({"number": case.number, "name": "李四", "phone": "13800001111", "reason": "收入不实"}),
        content_type="application/json",
    )
    assert api.status_code == 201 and "已收到" in api.json()["message"]
    objection = case.objections.get()
    assert objection.raised_by == "李四（公示网页在线异议）" and objection.contact == "13800001111"


def test_gongshi_sheet_pdf_has_the_masked_names(case: Application):
    """DOC-10: the A4 公示栏 sheet prints the masked names and a QR code to the page."""
    r = Client().get(f"/public/gongshi/{case.area_code}/sheet.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = _pdf_text(r.content)
    assert mask_person_name(case.applicant.name) in text and case.applicant.name not in text
    assert f"/public/gongshi/{case.area_code}/" in text


def test_policy_page_shows_the_standard_in_force(world: Any):
    """SUP-1, PUB-2, DOC-13: programs with the standard in force today, materials, 明白纸 PDF."""
    from jiuzhu.programs.settings import settings_in_force

    county = "370405"
    dibao = [s for s in settings_in_force(county, timezone.localdate()) if s.key.startswith("dibao.")]
    c = Client()
    r = c.get(f"/public/policy/{county}/")
    html = r.content.decode()
    assert r.status_code == 200 and dibao and dibao[0].display in html
    import re

    lines = re.findall(r'data-testid="standard">([^<]*)<', html)
    assert lines and not [line for line in lines if re.search(r"[\u4e00-\u9fff\d][a-z]+", line)]  # 800元, not 800元fen
    assert c.get("/public/policy/").status_code == 302
    api = c.get(f"/api/v1/public/policy/{county}").json()
    assert any(s["value"] == dibao[0].display for p in api for s in p["standards"])
    code = next(p["code"] for p in api if p["standards"])
    assert c.get(f"/public/policy/{county}/{code}/").status_code == 200
    pdf = c.get(f"/public/policy/{county}/{code}/mingbaizhi.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_programs_own_standard_comes_first_on_its_leaflet(world: Any):
    """DOC-13: the 农村低保 明白纸 opens with the rural standard and leaves out the urban one."""
    import re

    html = Client().get("/public/policy/370405/dibao_rural/").content.decode()
    lines = re.findall(r'data-testid="standard">([^<]*)<', html)
    assert lines[0].startswith("农村最低生活保障标准")
    assert not [line for line in lines if line.startswith("城市最低生活保障标准")]


def test_gongshi_index_lists_villages_in_publicity(case: Application):
    """DOC-10: the public navigation leads to the villages with entries in their period."""
    c = Client()
    html = c.get("/public/gongshi/").content.decode()
    assert f"/public/gongshi/{case.area_code}/" in html and case.applicant.name not in html
    assert c.get("/public/gongshi/", {"village_code": case.area_code}).status_code == 302
    bad = c.get("/public/gongshi/", {"village_code": "12"})
    assert bad.status_code == 422 and "12位数字" in bad.content.decode()
    assert 'href="/public/gongshi/"' in c.get("/public/status/").content.decode()


def test_objection_only_on_an_entry_of_that_village_and_rate_limited(case: Application):
    """SUP-2, issue 18 security: a case number of another village is refused; 5 per hour per IP."""
    c = Client()
    other = "370405101999" if case.area_code != "370405101999" else "370405101998"
    r = c.post(f"/public/gongshi/{other}/", {"number": case.number, "reason": "收入不实"})
    assert r.status_code == 422 and "不在公示期内" in r.content.decode() and not case.objections.exists()
    body = json.dumps({"number": "NOPE", "reason": "x"})
    codes = [
        c.post(f"/api/v1/public/gongshi/{case.area_code}/objections", body, content_type="application/json").status_code
        for _ in range(5)
    ]
    assert codes == [422] * 4 + [429]


def test_the_public_home_leads_to_every_public_service(world: Any):
    """SUP-1, SUP-4, INT-23: one page without sign-in links status, 公示, policy, complaints, verification."""
    r = Client().get("/public/")
    html = r.content.decode()
    assert r.status_code == 200 and r["X-Robots-Tag"]
    services = ("status", "gongshi", "policy", "complaints/new", "verify")
    for href in (f"/public/{s}/" for s in services):
        assert f'href="{href}"' in html
    assert "救助热线：12345" in html


def test_the_village_board_gives_each_program_s_standard_once_not_every_rule(case: Application):
    """PUB-2, SUP-1 (found walking): the village board's 长期公开 printed every setting of every
    program — asset limits, "（0 = 不因此类残疾认定） 0级" — four times over for 特困's pages. It now
    gives each program's headline figures (低保标准, 特困 基本生活 and 照料护理 standards), each once;
    the policy page keeps every rule."""
    import re

    html = Client().get(f"/public/gongshi/{case.area_code}/").content.decode()
    board = re.sub(r"<[^>]+>", "", html.split('data-testid="notice-board"', 1)[1].split("</section>", 1)[0])
    assert "最低生活保障标准（每人每月）" in board and "照料护理标准：完全丧失生活自理能力" in board
    assert board.count("照料护理标准：完全丧失生活自理能力") == 1
    assert (
        "不因此类残疾认定" not in board and "允许拥有的住房套数" not in board and "审批的临时救助单次限额" not in board
    )
    policy = Client().get(f"/public/policy/{case.area_code[:6]}/").content.decode()
    assert "最低生活保障" in policy
