"""The API reference (``make docs`` builds it with warnings as errors; so does CI).

Here the whole build runs too, so that a docstring whose reference resolves to
nothing fails ``make test`` before it lands; the cheap checks name the cause when
the README changes: the index must link every README topic, and the README's own
links must resolve inside ``docs/``, where the README is the guide page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
INDEX = (DOCS / "index.md").read_text(encoding="utf-8")
# Markdown links, outside code blocks: [text](target)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """Return the anchor Python-Markdown's toc gives ``heading`` (its default slugify)."""
    words = re.sub(r"[^\w\s-]", "", heading).strip().lower()
    return re.sub(r"[-\s]+", "-", words)


def headings(markdown: str, level: str = "#+") -> list[str]:
    """Return the headings of ``markdown`` of the given level, outside fenced code."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    return re.findall(rf"^{level} (.+)$", prose, flags=re.M)


def links(markdown: str) -> list[str]:
    """Return the link targets of ``markdown``, outside fenced code."""
    return _LINK.findall(re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S))


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Quickstart", "quickstart"),
        ("Retries: what is re-sent and what never is", "retries-what-is-re-sent-and-what-never-is"),
        (
            "Several worker processes (`uvicorn --workers N`, gunicorn)",
            "several-worker-processes-uvicorn-workers-n-gunicorn",
        ),
    ],
)
def test_slug_matches_the_toc_extension(heading: str, expected: str) -> None:
    assert slug(heading) == expected


def test_the_index_links_every_readme_topic() -> None:
    linked = {target.removeprefix("guide.md#") for target in links(INDEX)}
    missing = [topic for topic in headings(README, "##") if slug(topic) not in linked]
    assert missing == [], "add these README topics to docs/index.md"


def test_every_readme_anchor_the_index_names_exists() -> None:
    anchors = {slug(heading) for heading in headings(README)}
    named = [t.split("#", 1)[1] for t in links(INDEX) if t.startswith("guide.md#")]
    assert named
    assert [anchor for anchor in named if anchor not in anchors] == []


def test_the_readmes_relative_links_resolve_inside_docs() -> None:
    relative = [t for t in links(README) if not re.match(r"[a-z]+:|#", t)]
    assert [t for t in relative if not (DOCS / t.split("#", 1)[0]).exists()] == []


def test_the_index_and_the_nav_name_only_pages_that_exist() -> None:
    nav = re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)
    pages = nav + [t.split("#", 1)[0] for t in links(INDEX) if not re.match(r"[a-z]+:", t)]
    assert [page for page in pages if not (DOCS / page).is_file()] == []


def test_the_api_reference_builds_without_a_warning(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert (done.returncode, warnings) == (0, []), done.stderr[-3000:]
    assert (tmp_path / "reference" / "aura_async" / "index.html").is_file()
