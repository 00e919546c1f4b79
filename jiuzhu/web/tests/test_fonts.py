"""The documents' font cut down to GB 2312 (issue 20 item 3, jiuzhu/web/fonts.py): documents are
drawn with it, a character outside it comes from the full Noto Serif CJK SC, the page footer too
uses it, and ``build_pdf_fonts`` makes it once and again only when something changed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from jiuzhu.web import fonts, pdf
from jiuzhu.web.pdf import render_pdf

RARE = "堃"  # a character of names that GB 2312 lacks (生僻字)


@pytest.fixture(scope="session")
def built_fonts() -> Path:
    """The fonts of ``settings.PDF_FONT_DIR``, as ``make setup`` builds them (built here if not)."""
    fonts.build()
    return fonts.path_of("Regular").parent


def pdf_facts(pdf: bytes, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    embedded = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return embedded, text


@pytest.fixture
def render_text(tmp_path, settings):
    """A PDF of ``text`` as a heading (bold) and a paragraph, through pdf/base.html."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "font_check.html").write_text(
        '{% extends "pdf/base.html" %}{% block body %}<h1>{{ text }}</h1><p>{{ text }}</p>{% endblock %}'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}]
    return lambda text: render_pdf("font_check.html", {"text": text})


def test_the_set_is_gb2312_with_ascii_and_the_middle_dot_of_names():
    kept = {chr(c) for c in fonts.characters()}
    hanzi = [c for c in kept if "\u4e00" <= c <= "\u9fff"]
    assert len(hanzi) == 6763
    assert {"救", "助", "低", "保", "〔", "〕", "·", "—", "A", "7", "（", "）", "："} <= kept
    assert RARE not in kept


def test_the_fonts_glyphs_follow_gb2312_common_characters_first(built_fonts):
    """Glyph ids in GB 2312's order, alternate forms last: WeasyPrint keeps every glyph id up to
    the highest a document uses, so a notice of common characters keeps few."""
    font = TTFont(str(fonts.path_of("Regular")))
    cmap = font.getBestCmap()
    gid = {c: font.getGlyphID(cmap[ord(c)]) for c in "A（救助最低生活保障申请受理通知书张王李刘陈镇村区县）"}
    assert max(gid.values()) < 4600 < len(font.getGlyphOrder())  # level 1 (3,755 common 汉字) ends near 4,500
    assert gid["A"] < gid["（"] < gid["保"] < gid["陈"]  # ASCII, symbols, then 汉字 by pinyin
    level_two = font.getGlyphID(cmap[ord("亍")])  # the first character of level 2
    assert max(gid.values()) < level_two < 8000
    kept = {font.getGlyphID(cmap[c]) for c in fonts.characters()}
    assert len(kept) < len(font.getGlyphOrder()) - 1000 and max(kept) < len(kept) + 100  # alternate forms last


def test_a_notice_of_common_characters_and_digits_embeds_few_glyph_slots(
    built_fonts, render_text, settings, monkeypatch
):
    """What WeasyPrint is asked to keep for a notice: glyph ids up to ~4,500 (the digits drawn by
    simplified Chinese's ``locl`` come with the digits), not ~13,000 as in Noto's order."""
    from weasyprint.pdf.fonts import Font  # type: ignore[import-untyped]

    settings.PDF_FONT_DIR = built_fonts
    highest: list[int] = []
    subset = Font._harfbuzz_subset

    def recording(self, to_unicode, hinting):
        highest.append(max(to_unicode))
        return subset(self, to_unicode, hinting)

    monkeypatch.setattr(Font, "_harfbuzz_subset", recording)
    render_text("最低生活保障申请受理通知书 受理编号：张救受〔2026〕0137号，2026年12月6日，联系电话0516-83456789。")
    assert len(highest) == 2 and max(highest) < 4600  # bold and regular


def test_a_document_is_drawn_with_the_cut_down_font_footer_included(built_fonts, render_text, tmp_path, settings):
    settings.PDF_FONT_DIR = built_fonts
    embedded, text = pdf_facts(render_text("最低生活保障申请受理通知书 张三（台儿庄区）"), tmp_path)
    assert "Jiuzhu-Serif-CJK-Bold" in embedded and "Jiuzhu-Serif-CJK " in embedded
    assert "Noto" not in embedded  # nothing, not even the page footer, needed the full font
    assert "最低生活保障申请受理通知书 张三（台儿庄区）" in text and "第1页共1页" in text


def test_the_stylesheet_is_parsed_once_and_still_sets_the_page(render_text, tmp_path, monkeypatch):
    """pdf/base.css is parsed once per thread, not per document, and still gives every document
    its A4 page, its margins' footer and its font."""
    import weasyprint

    render_text("受理通知书")
    parsed = []
    monkeypatch.setattr(weasyprint, "CSS", lambda *a, **k: parsed.append(k))
    pdf_bytes = render_text("最低生活保障审批通知书")
    assert parsed == [] and pdf.stylesheet() is pdf.stylesheet()
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf_bytes)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    embedded, text = pdf_facts(pdf_bytes, tmp_path)
    assert "最低生活保障审批通知书" in text and "第1页共1页" in text and "Serif-CJK" in embedded


def test_a_rare_character_comes_from_the_full_font(built_fonts, render_text, tmp_path, settings):
    settings.PDF_FONT_DIR = built_fonts
    embedded, text = pdf_facts(render_text(f"申请人 王{RARE}"), tmp_path)
    assert "Jiuzhu-Serif-CJK" in embedded and "Noto-Serif-CJK-SC" in embedded
    assert f"申请人 王{RARE}" in text


def test_without_the_built_font_documents_use_the_full_font(render_text, tmp_path, settings, monkeypatch):
    settings.PDF_FONT_DIR = tmp_path / "none"
    monkeypatch.setattr(pdf._local, "font_config", None, raising=False)  # a new process: no font face seen yet
    assert fonts.built_fonts() == []
    embedded, text = pdf_facts(render_text("受理通知书"), tmp_path)
    assert "Noto-Serif-CJK-SC" in embedded and "Jiuzhu" not in embedded and "受理通知书" in text


def test_the_command_builds_once_and_again_when_asked(tmp_path, settings, monkeypatch, capsys):
    settings.PDF_FONT_DIR = tmp_path
    monkeypatch.setattr(fonts, "characters", lambda: list(map(ord, "救助 ABC")))  # a small font: fast
    call_command("build_pdf_fonts")
    assert "已生成文书字体" in capsys.readouterr().out
    regular = TTFont(str(fonts.path_of("Regular")))
    assert regular["name"].getDebugName(1) == "Jiuzhu Serif CJK" and regular["name"].getDebugName(2) == "Regular"
    assert not any("Noto" in r.toUnicode() for r in regular["name"].names if r.nameID in (1, 3, 4, 6, 16))
    assert "Adobe" in (regular["name"].getDebugName(0) or "")  # the copyright and the licence are kept (OFL)
    assert "SIL Open Font License" in (regular["name"].getDebugName(13) or "")
    cmap = regular.getBestCmap()
    assert ord("救") in cmap and ord("低") not in cmap
    glyph_ids = [regular.getGlyphID(cmap[ord(c)]) for c in "救助 ABC"]  # in the order of the characters
    assert glyph_ids == sorted(glyph_ids) and glyph_ids[0] == 1
    assert TTFont(str(fonts.path_of("Bold")))["name"].getDebugName(2) == "Bold"
    call_command("build_pdf_fonts")
    assert "文书字体已是最新" in capsys.readouterr().out
    call_command("build_pdf_fonts", "--force")
    assert capsys.readouterr().out.count("已生成文书字体") == 2


def test_the_command_says_so_when_the_full_font_is_missing(tmp_path, settings, monkeypatch):
    from django.core.management.base import CommandError

    settings.PDF_FONT_DIR = tmp_path
    monkeypatch.setattr(fonts, "SOURCE_FAMILY", "No Such Font CJK")
    with pytest.raises(CommandError, match="未安装字体“No Such Font CJK:style=Regular”"):
        call_command("build_pdf_fonts")
    assert not list(tmp_path.glob("*.otf"))


def test_glyph_id_arrays_are_one_c_type_with_the_same_contents():
    """``pdf._glyph_arrays_of_one_type``: ``hb_codepoint_t[N]`` with N initial values becomes
    ``hb_codepoint_t[]`` (parsed once by cffi); any other request is cffi's own."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("typedef uint32_t hb_codepoint_t;")
    pdf._glyph_arrays_of_one_type(ffi)
    pdf._glyph_arrays_of_one_type(ffi)  # a second call does not wrap it twice
    glyphs = ffi.new("hb_codepoint_t[4]", [3, 17, 256, 7400])
    assert ffi.typeof(glyphs) is ffi.typeof("hb_codepoint_t[]")
    assert list(glyphs) == [3, 17, 256, 7400]
    zeroed = ffi.new("hb_codepoint_t[3]")  # no values: left as asked
    assert ffi.typeof(zeroed) is ffi.typeof("hb_codepoint_t[3]") and list(zeroed) == [0, 0, 0]
    longer = ffi.new("hb_codepoint_t[5]", [1, 2])  # fewer values than its length: left as asked
    assert len(longer) == 5 and list(longer) == [1, 2, 0, 0, 0]
    assert ffi.typeof(ffi.new("uint32_t[2]", [1, 2])) is ffi.typeof("uint32_t[2]")


def test_weasyprint_subsets_the_documents_fonts_with_glyph_arrays_of_one_type(
    built_fonts, render_text, tmp_path, settings, monkeypatch
):
    """WeasyPrint still asks for ``hb_codepoint_t[N]`` arrays when it subsets a document's fonts,
    so the redirect above is in use; the document is still drawn with its text."""
    from weasyprint.text.ffi import ffi  # type: ignore[import-untyped]

    settings.PDF_FONT_DIR = built_fonts
    pdf.font_config()
    asked: list[tuple[str, Any]] = []
    shimmed = ffi.new

    def recording(cdecl, init=None):
        made = shimmed(cdecl, init)
        asked.append((cdecl, ffi.typeof(made)))
        return made

    monkeypatch.setattr(ffi, "new", recording)
    _, text = pdf_facts(render_text("临时救助申请受理通知书 李四"), tmp_path)
    assert "临时救助申请受理通知书 李四" in text
    glyph_arrays = [made for cdecl, made in asked if cdecl.startswith("hb_codepoint_t[")]
    assert glyph_arrays and all(made is ffi.typeof("hb_codepoint_t[]") for made in glyph_arrays)
