"""使用说明 in the platform: a page links its guide, which opens as a page, not a file name."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_bank_layouts_page_opens_its_guide(client_of):
    c = client_of("tez_county")
    layouts = c.get("/payments/layouts/").content.decode()
    link = layouts.split('data-testid="layouts-guide"')[0].rsplit("<a ", 1)[1]
    assert 'href="/help/bank-layouts/"' in link and "docs/user" not in layouts
    page = c.get("/help/bank-layouts/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<title>银行文件格式设置说明（县级管理员用）" in html
    assert "<th>格式</th>" in html and "惠农一卡通（Excel）" in html  # its table, rendered
    assert "<h2>一、在哪里设置</h2>" in html


def test_an_unknown_guide_or_a_path_is_not_found(client_of):
    c = client_of("tez_county")
    assert c.get("/help/no-such-guide/").status_code == 404
    assert c.get("/help/..%2F..%2FREADME/").status_code == 404


def test_a_guide_needs_a_login(client):
    r = client.get("/help/bank-layouts/")
    assert r.status_code == 302 and "/login/" in r["Location"]
