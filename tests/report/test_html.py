"""The HTML report is self-contained and shows hostile log text as inert, escaped text."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillscan.cli.main import main
from distillscan.investigate import example_requests, group_view
from distillscan.model.scan import ScanOptions, ScanResult
from distillscan.pipeline import scan
from distillscan.report import html as html_report
from distillscan.report.html import render_group_html, render_scan_html
from distillscan.report.selection import Selection, select_groups
from tests.investigate.view_logs import (
    HOSTILE_ACCOUNT,
    HOSTILE_AGENT,
    HOSTILE_MODEL,
    HOSTILE_PROMPT,
    write_view_log,
)

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "main", "section", "footer", "h1", "h2", "h3",
    "p", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "span", "code", "b", "i", "a", "br",
    "div", "figure", "figcaption", "details", "summary", "svg", "rect", "line", "text",
}


class _Inventory(HTMLParser):
    """Every tag, attribute and piece of text the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        self.attributes.extend((name, value or "") for name, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _inventory(document: str) -> _Inventory:
    parser = _Inventory()
    parser.feed(document)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScanResult]:
    path = write_view_log(tmp_path_factory.mktemp("hostile"), hostile=True)
    return path, scan([str(path)], ScanOptions())


@pytest.fixture(scope="module")
def group_page(hostile: tuple[Path, ScanResult]) -> str:
    path, result = hostile
    view = group_view(result, "1")
    view = dataclasses.replace(view, examples=example_requests([str(path)], ScanOptions(), result, view))
    return render_group_html(result, view)


@pytest.fixture(scope="module")
def scan_page(hostile: tuple[Path, ScanResult]) -> str:
    _, result = hostile
    shown = select_groups(result, Selection(min_severity="info"))
    return render_scan_html(result, shown, [group_view(result, group_id) for group_id in shown["group_id"]])


def _assert_inert_and_self_contained(document: str) -> None:
    found = _inventory(document)
    assert set(found.tags) <= ALLOWED_TAGS, set(found.tags) - ALLOWED_TAGS
    for name, value in found.attributes:
        assert not name.startswith("on"), name
        assert "http" not in value.lower() and "javascript:" not in value.lower(), (name, value)
        if name == "href":
            assert value.startswith("#")
    assert all("url(" not in style and "@import" not in style for style in found.styles)
    assert "<script" not in document.lower()
    csp = [value for name, value in found.attributes if name == "content" and "default-src" in value]
    assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0]


def test_group_page_is_self_contained_and_escapes_log_text(group_page: str) -> None:
    _assert_inert_and_self_contained(group_page)
    text = "".join(_inventory(group_page).text)
    # The hostile strings are shown as text (examples keep the prompt's own case) ...
    assert HOSTILE_ACCOUNT in text and HOSTILE_MODEL in text and HOSTILE_AGENT in text
    assert HOSTILE_PROMPT.strip() in text
    # ... because they were escaped in the markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in group_page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in group_page
    assert HOSTILE_ACCOUNT not in group_page and HOSTILE_MODEL not in group_page
    assert "<svg" in group_page and "<rect" in group_page


def test_scan_page_is_self_contained_and_links_groups(scan_page: str) -> None:
    _assert_inert_and_self_contained(scan_page)
    found = _inventory(scan_page)
    anchors = {value for name, value in found.attributes if name == "href"}
    ids = {value for name, value in found.attributes if name == "id"}
    assert anchors and {anchor[1:] for anchor in anchors} <= ids
    assert "Suspect account groups" in "".join(found.text)


def test_a_page_of_many_groups_lists_the_first_and_gives_sections_to_fewer(monkeypatch: pytest.MonkeyPatch) -> None:
    result = scan([str(Path(__file__).resolve().parents[2] / "sample_logs")], ScanOptions())
    monkeypatch.setattr(html_report, "GROUP_ROWS_SHOWN", 3)
    monkeypatch.setattr(html_report, "GROUP_SECTIONS", 2)
    shown = select_groups(result, Selection(min_severity="info"))
    assert shown.height > 3
    chosen = html_report.section_groups(shown)
    assert chosen == shown["group_id"].head(2).to_list()
    page = render_scan_html(result, shown, [group_view(result, group_id) for group_id in chosen])
    _assert_inert_and_self_contained(page)
    found = _inventory(page)
    anchors = {value[1:] for name, value in found.attributes if name == "href"}
    assert anchors == {f"group-{group_id}" for group_id in chosen}  # only groups with a section link
    assert page.count('<section class="group"') == 2
    text = "".join(found.text)
    assert shown["group_id"][2] in text and shown["group_id"][3] not in text
    assert f"the first 3 of {shown.height} groups are listed" in text and "the first 2 have a section" in text


def test_scan_html_option_writes_the_page(hostile: tuple[Path, ScanResult], tmp_path: Path) -> None:
    path, _ = hostile
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["scan", str(path), "--html", str(out), "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    document = out.read_text(encoding="utf-8")
    _assert_inert_and_self_contained(document)
    assert "G-" in document and document.rstrip().endswith("</html>")


@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="headless Chromium is not installed (Debian: apt-get install chromium); "
           "the parser checks above still run",
)
def test_group_page_renders_in_headless_chromium(group_page: str, tmp_path: Path) -> None:
    page = tmp_path / "group.html"
    page.write_text(group_page, encoding="utf-8")
    shot = tmp_path / "group.png"
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--window-size=1280,1600"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    rendered = _inventory(dom.stdout)
    # What the browser built: charts drawn, and no element the hostile text asked for.
    assert rendered.tags.count("rect") > 24 and "svg" in rendered.tags
    assert not {"script", "img", "iframe"} & set(rendered.tags)
    subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
