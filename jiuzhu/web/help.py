"""使用说明: the user guides of ``docs/user/`` (Markdown, Simplified Chinese) as pages of the
platform, so a page can link its guide instead of naming a file the user cannot open."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import markdown
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from jiuzhu.accounts.auth import AuthedRequest

GUIDES_DIR = Path(settings.BASE_DIR) / "docs" / "user"
SLUG = re.compile(r"[a-z0-9-]+")


@cache
def guide(slug: str) -> tuple[str, str]:
    """(title, HTML) of ``docs/user/<slug>.md``: the title is its first heading."""
    if not SLUG.fullmatch(slug) or not (GUIDES_DIR / f"{slug}.md").is_file():
        raise Http404("没有这份使用说明")
    text = (GUIDES_DIR / f"{slug}.md").read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), slug)
    return title, markdown.markdown(text, extensions=["tables", "fenced_code"], output_format="html")


@login_required
def help_page(request: AuthedRequest, slug: str) -> HttpResponse:
    title, html = guide(slug)
    return render(request, "help.html", {"title": title, "html": html})
