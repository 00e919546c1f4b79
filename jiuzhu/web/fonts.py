"""The documents' font (文书字体): Noto Serif CJK SC cut down to GB 2312's characters.

WeasyPrint subsets every font it embeds, for every PDF, keeping the glyph ids. Noto Serif CJK
has 65,535 glyphs and the common characters lie anywhere among them, so subsetting a weight took
~30 ms of a ~140 ms receipt (issue 20 item 3). The same outlines in a font of the ~7,500
characters of GB 2312 (6,763 汉字 and its symbols) plus ASCII subset several times faster, and a
receipt is about a third of the size. Its glyphs are in GB 2312's order (ASCII, the symbols, the
3,755 common 汉字 of level 1, then level 2), the alternate forms last: WeasyPrint keeps every glyph
id up to the highest a document uses, so a notice of common characters embeds ~4,500 glyph slots
instead of ~13,000 and renders ~10 ms faster. A character outside that set (a rare character of a name, 生僻字) is drawn
from the full Noto Serif CJK SC, which ``pdf/base.css`` names next: the document looks the same.

``manage.py build_pdf_fonts`` makes the two weights in ``settings.PDF_FONT_DIR`` from the installed
Noto Serif CJK (Debian ``fonts-noto-cjk``), once; ``make setup`` and ``make prod`` run it;
``jiuzhu.web.pdf.font_config`` adds them to WeasyPrint's fonts. Without them every character is
drawn from the full font, as before. Noto is under the SIL Open Font
License, which allows a modified copy under another name; the copyright and licence records are
kept in the font.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings

FAMILY = "Jiuzhu Serif CJK"  # the cut-down font's family name, first in pdf/base.css
SOURCE_FAMILY = "Noto Serif CJK SC"
WEIGHTS = ("Regular", "Bold")  # by style name, as in the full font
BUILD = 2  # raise when the character set or the way of building changes: fonts are rebuilt
# Characters a document often has that GB 2312 (as Python decodes it) does not map: the middle
# dot of minority names (阿依古丽·买买提), dashes, the bullet, the numero sign.
EXTRA = "·•–—―…№"


class FontSourceMissing(Exception):
    """The full font to cut down is not installed."""


def characters() -> list[int]:
    """The code points the cut-down font keeps, in the order of its glyphs: printable ASCII,
    GB 2312 in its own order (common characters before rare ones), then ``EXTRA``."""
    found = dict.fromkeys(range(0x20, 0x7F))
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found[ord(bytes((first, second)).decode("gb2312"))] = None
            except UnicodeDecodeError:
                continue
    found.update(dict.fromkeys(map(ord, EXTRA)))
    return list(found)


# What shaping a document's text (``<html lang="zh-CN">``, horizontal) may put in place of a
# character's own glyph: the features on by default, of the language system of simplified Chinese
# or a script's default one. Proportional digits come from ``locl``, for instance.
TEXT_FEATURES = {"ccmp", "locl", "liga"}
TEXT_LANGUAGE = "ZHS "


def _substitutes(font: Any) -> dict[str, list[str]]:
    """For each glyph, the glyphs ``TEXT_FEATURES`` may substitute for it in a document's text."""
    if "GSUB" not in font:
        return {}
    gsub = font["GSUB"].table
    records = gsub.FeatureList.FeatureRecord
    lookups: set[int] = set()
    for script in gsub.ScriptList.ScriptRecord:
        systems = [script.Script.DefaultLangSys] + [
            r.LangSys for r in script.Script.LangSysRecord if r.LangSysTag == TEXT_LANGUAGE
        ]
        for system in filter(None, systems):
            for i in system.FeatureIndex:
                if records[i].FeatureTag in TEXT_FEATURES:
                    lookups.update(records[i].Feature.LookupListIndex)
    out: dict[str, list[str]] = defaultdict(list)
    for index in sorted(lookups):
        for table in gsub.LookupList.Lookup[index].SubTable:
            table = table.ExtSubTable if table.LookupType == 7 else table
            for glyph, made in (getattr(table, "mapping", None) or {}).items():  # single, multiple
                out[glyph].extend([made] if isinstance(made, str) else made)
            for first, ligatures in (getattr(table, "ligatures", None) or {}).items():
                out[first].extend(lig.LigGlyph for lig in ligatures)
    return out


def _glyphs_in_order_of(font: Any, code_points: list[int]) -> None:
    """Renumber ``font``'s glyphs: ``.notdef``, then those of ``code_points`` in that order, each
    followed by what a document's text may draw in its place (``_substitutes``), then the rest
    (alternate forms only other features reach) as they were."""
    from fontTools.ttLib.reorderGlyphs import reorderGlyphs  # type: ignore[import-untyped]

    old = font.getGlyphOrder()
    cmap = font.getBestCmap()
    substitutes = _substitutes(font)
    first: dict[str, None] = {}
    for glyph in (cmap[c] for c in code_points if c in cmap):
        first[glyph] = None
        first.update(dict.fromkeys(substitutes.get(glyph, ())))
    first.pop(old[0], None)
    reorderGlyphs(font, [old[0], *first, *(g for g in old[1:] if g not in first)])


def path_of(style: str) -> Path:
    return Path(settings.PDF_FONT_DIR) / f"jiuzhu-serif-cjk-{style.lower()}.otf"


def built_fonts() -> list[Path]:
    """The weights of the documents' font that are built (none: the full font draws everything)."""
    return [path for path in map(path_of, WEIGHTS) if path.is_file()]


def source_of(style: str) -> tuple[Path, int]:
    """The file and face index of the installed full font of ``style``, found by fontconfig."""
    pattern = f"{SOURCE_FAMILY}:style={style}"
    try:
        out = subprocess.run(
            ["fc-match", "--format=%{family}\n%{style}\n%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError) as error:
        raise FontSourceMissing(f"无法查找字体“{pattern}”：{error}") from error
    if len(out) < 4 or SOURCE_FAMILY not in out[0].split(",") or style not in out[1].split(","):
        raise FontSourceMissing(f"未安装字体“{pattern}”（Debian 软件包 fonts-noto-cjk）")
    return Path(out[2]), int(out[3])


def build(*, force: bool = False) -> list[Path]:
    """Make the cut-down weights that are missing or out of date; returns the files written."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    directory = Path(settings.PDF_FONT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    written = []
    for style in WEIGHTS:
        source, index = source_of(style)
        stat = source.stat()
        stamp = f"{BUILD}:{source}:{index}:{stat.st_size}:{int(stat.st_mtime)}"
        target = path_of(style)
        if not force and target.is_file() and manifest.get(style) == stamp:
            continue
        font = TTFont(str(source), fontNumber=index)
        options = subset.Options()
        options.layout_features = ["*"]  # vertical forms, proportional punctuation: as the full font
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        kept = characters()
        subsetter.populate(unicodes=kept)
        subsetter.subset(font)
        _glyphs_in_order_of(font, kept)
        ps_name = f"JiuzhuSerifCJK-{style}"
        names = {1: FAMILY, 2: style, 3: f"{ps_name};{BUILD}", 4: f"{FAMILY} {style}", 6: ps_name}
        for record in font["name"].names:
            if record.nameID in names:
                record.string = names[record.nameID]
        partial = target.with_suffix(".partial")
        font.save(str(partial))
        os.replace(partial, target)
        manifest[style] = stamp
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        written.append(target)
    return written
