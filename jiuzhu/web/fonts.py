"""The documents' font (文书字体): Noto Serif CJK SC cut down to GB 2312's characters.

WeasyPrint subsets every font it embeds, for every PDF, keeping the glyph ids. Noto Serif CJK
has 65,535 glyphs and the common characters lie anywhere among them, so subsetting a weight took
~30 ms of a ~140 ms receipt (issue 20 item 3). The same outlines in a font of the ~7,500
characters of GB 2312 (6,763 汉字 and its symbols) plus ASCII subset several times faster, and a
receipt is about a third of the size. A character outside that set (a rare character of a name, 生僻字) is drawn
from the full Noto Serif CJK SC, which ``pdf/base.html`` names next: the document looks the same.

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
from pathlib import Path

from django.conf import settings

FAMILY = "Jiuzhu Serif CJK"  # the cut-down font's family name, first in pdf/base.html
SOURCE_FAMILY = "Noto Serif CJK SC"
WEIGHTS = ("Regular", "Bold")  # by style name, as in the full font
BUILD = 1  # raise when the character set or the way of building changes: fonts are rebuilt
# Characters a document often has that GB 2312 (as Python decodes it) does not map: the middle
# dot of minority names (阿依古丽·买买提), dashes, the bullet, the numero sign.
EXTRA = "·•–—―…№"


class FontSourceMissing(Exception):
    """The full font to cut down is not installed."""


def characters() -> list[int]:
    """The code points the cut-down font keeps: GB 2312, printable ASCII and ``EXTRA``."""
    found = set(range(0x20, 0x7F)) | {ord(c) for c in EXTRA}
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((first, second)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(found)


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
        subsetter.populate(unicodes=characters())
        subsetter.subset(font)
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
