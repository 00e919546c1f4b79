"""Where a notice breaks across pages (DOC-1, GB/T 9704's rule for the 落款): the issuer and date,
the line under them and the seal stay together and with body text; they never sit alone on a
page, however long the body runs."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from jiuzhu.applications.tests.conftest import png_b64
from jiuzhu.web.pdf import render_pdf

BODY = "段落文字，用于把落款推向页尾。"


def _pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def test_the_issuer_and_the_seal_keep_to_the_last_paragraph_on_every_length(tmp_path, settings):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "pages_check.html").write_text(
        '{% extends "pdf/base.html" %}{% block body %}{% for i in paragraphs %}<p>第{{ i }}段{{ body }}</p>'
        '{% endfor %}{% include "applications/notices/_foot.html" %}{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    seal = {"code": "ABCDEFGH2345", "qr": png_b64(8), "url": "http://127.0.0.1:8000/public/verify/ABCDEFGH2345/"}
    lengths = set()
    for count in range(8, 36):  # from one page to where the 落款 would fall onto the second
        context = {
            "paragraphs": range(1, count + 1),
            "body": BODY,
            "config": {"issuer_name": "台儿庄区民政局"},
            "today": dt.date(2026, 10, 9),
            "household": {"address": "张山子镇北洛村1号"},
            "intake": {"receipt_number": "SL370405-2026-000001"},
            "seal": seal,
        }
        pages = _pages(render_pdf("pages_check.html", context), tmp_path)
        last = pages[-1]
        lengths.add(len(pages))
        assert "台儿庄区民政局" in last and "2026年10月9日" in last, count
        assert "受理回执编号" in last and "验证码" in last, count
        assert f"第{count}段" in last, count  # the last paragraph comes with them
    assert lengths == {1, 2}, "the lengths must cross a page break, or the test proves nothing"
