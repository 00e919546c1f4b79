"""Departments are named, never coded, on staff pages (issue 14 item 9)."""

import pytest

from jiuzhu.web.tests.visible import visible_text

pytestmark = pytest.mark.django_db

CODES = ("minzheng", "yibao", "jiaoti")


def _double_payment(world, approved_dibao):
    from jiuzhu.referrals.records import import_records
    from jiuzhu.registry.pii import unseal

    app = approved_dibao()
    full = unseal("id_number", app.applicant.id_number_enc)
    row = f"身份证号码,姓名,救助项目,开始日期\n{full},{app.applicant.name},temporary_medical,2026-10-01\n"
    import_records("a.csv", row.encode(), by=world.user("tez_yibao"))
    import_records("b.csv", row.encode(), by=world.user("tez_jiaoti"))
    return app


def test_it_names_the_departments_of_a_double_payment(world, approved_dibao, client_of):
    _double_payment(world, approved_dibao)
    text = visible_text(client_of("tez_county").get("/referrals/checks/").content.decode())
    assert "医疗保障局" in text and "教育和体育局" in text
    assert not [c for c in CODES if c in text]


def test_it_names_the_department_of_each_imported_record(world, approved_dibao, client_of):
    _double_payment(world, approved_dibao)
    text = visible_text(client_of("tez_county").get("/referrals/records/").content.decode())
    assert "医疗保障局" in text
    assert not [c for c in CODES if c in text]


def test_the_audit_trail_names_the_department_of_a_referral():
    from jiuzhu.web.templatetags.audit_format import changes_text

    text = changes_text({"department": "yibao", "rigid_expense_yearly_fen": [120000, 150000]})
    assert text == "部门：医疗保障局；年刚性支出：1,200.00元 → 1,500.00元"
