"""A review pack printed to PDF by the real headless Chromium (pledge.review.pdf), read back as text with
poppler's pdftotext: the headline figures and the content hash are in it, on one or two A4 pages. Without
pdftotext the test fails saying how to install it (never a skip); without Chromium, to_pdf says how to
install that."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pledge.review import render
from pledge.review.pdf import PdfError, PdfUnavailable, to_pdf
from tests.support import packs
from tests.support.packs import review_pack

pytestmark = pytest.mark.integration


def pdf_text(pdf: bytes, folder: Path) -> tuple[str, int]:
    """The PDF's text (pages split by form feeds) and its page count, by poppler-utils."""
    found = shutil.which("pdftotext")
    if found is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (or `make chromium`)", pytrace=False)
    path = folder / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([found, "-layout", str(path), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    pages = text.count("\f")  # pdftotext ends every page with a form feed
    return text, pages


def test_the_pack_prints_to_one_or_two_a4_pages_with_its_figures_and_hash(tmp_path: Path) -> None:
    pack = review_pack()
    pdf = to_pdf(render.html(pack))
    assert pdf.startswith(b"%PDF-")
    text, pages = pdf_text(pdf, tmp_path)
    assert 1 <= pages <= 2, f"{pages} pages"
    flat = re.sub(r"\s+", " ", text)
    assert "Service review: customer acme — 2026-11" in flat
    for sli in packs.SLI_TEXT.values():
        assert sli in flat
    assert "Credits owed (1): shop/checkout: 10 %" in flat
    assert f"Data completeness: {packs.COMPLETENESS_TEXT} — below 100 %" in flat
    assert f"restated (first published: SLI {packs.PUBLISHED_SLI_TEXT}, credit 5 %)" in flat
    assert packs.HOSTILE_REASON in flat  # escaped in the HTML, so printed as the words written
    assert text.count(pack.content_hash) == pages + 1  # every page's footer, and the end
    first_page = text.split("\f")[0]
    assert pack.content_hash in first_page and "page 1 of" in first_page
    assert "99.8120 %" in first_page and "✗ Breached" in first_page  # the summary table is on page 1


def test_without_chromium_on_the_path_to_pdf_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(PdfUnavailable) as raised:
        to_pdf("<p>x</p>", search_path=str(tmp_path))  # a PATH holding no browser
    assert "apt-get install chromium" in str(raised.value)
    with pytest.raises(PdfUnavailable, match="install Chromium"):
        to_pdf("<p>x</p>", browsers=("no-such-browser-for-pledge",))


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # exited, waiting for its parent


def test_a_browser_that_hangs_is_killed_with_its_children_and_one_that_fails_is_an_error(tmp_path: Path) -> None:
    hangs = tmp_path / "hangs"
    hangs.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/pid\nsleep 120 &\necho $! > {tmp_path}/child\nwait\n")
    hangs.chmod(0o755)
    with pytest.raises(PdfError, match="did not print the pack within 2 s"):
        to_pdf("<p>x</p>", timeout=2, browsers=(str(hangs),))
    for name in ("pid", "child"):
        assert _gone(int((tmp_path / name).read_text())), f"the browser's {name} still runs"
    fails = tmp_path / "fails"
    fails.write_text("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n")
    fails.chmod(0o755)
    with pytest.raises(PdfError, match=r"exit status 3.*cannot open display"):
        to_pdf("<p>x</p>", browsers=(str(fails),))
