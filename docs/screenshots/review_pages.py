"""The two printed A4 pages of a review pack as PNGs (docs/screenshots/review-page-1.png, -2.png): the
hand-built pack of tests/support/packs.py rendered as the API renders it (pledge.review.render.html, then
pledge.review.pdf.to_pdf in headless Chromium), each PDF page rasterised by poppler's pdftoppm at 60 dpi.
Needs Chromium and poppler-utils (`make chromium`); run from the repository's root:
`make screenshots`, or `.venv/bin/python docs/screenshots/review_pages.py docs/screenshots`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository's root: pledge and tests

from pledge.review import pdf, render  # noqa: E402
from tests.support.packs import review_pack  # noqa: E402


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pledge-review-pages-") as work:
        pack_pdf = Path(work) / "pack.pdf"
        pack_pdf.write_bytes(pdf.to_pdf(render.html(review_pack())))
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pack_pdf), str(Path(work) / "page")], check=True)
        pages = sorted(Path(work).glob("page-*.png"))
        for n, page in enumerate(pages, start=1):
            target = folder / f"review-page-{n}.png"
            target.write_bytes(page.read_bytes())
            print(f"wrote {target} ({target.stat().st_size:,} bytes)")
    if len(pages) != 2:
        print(f"note: the pack printed to {len(pages)} pages, not 2", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
