"""A review pack's HTML (pledge.review.render) printed to PDF by headless Chromium: the one module that runs
a browser for packs. The page is a local file with no scripts and no external resources; the browser
gets a fresh profile in a temporary folder and is killed, with every process it started, on a timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = ("install Chromium: apt-get install chromium (Debian), apt-get install chromium-browser (Ubuntu), "
                "or Google Chrome as google-chrome; then make sure it is on PATH")


class PdfUnavailable(RuntimeError):
    """No Chromium to print with; the message says how to install one."""


class PdfError(RuntimeError):
    """Chromium ran but gave no PDF (it failed, or took longer than the timeout and was killed)."""


def find_browser(browsers: Sequence[str] = BROWSERS, search_path: str | None = None) -> str:
    """The first of ``browsers`` (names or paths) found on ``search_path`` (default: PATH)."""
    for name in browsers:
        if found := shutil.which(name, path=search_path):
            return found
    raise PdfUnavailable(f"no Chromium to make the PDF with (looked for {', '.join(browsers)}): {INSTALL_HINT}")


def to_pdf(html: str, timeout: float = 60, browsers: Sequence[str] = BROWSERS, search_path: str | None = None) -> bytes:
    """The HTML document printed to PDF (A4 and margins as its print CSS says, no browser header or footer).
    Raises PdfUnavailable without a browser, PdfError when printing fails or exceeds ``timeout`` seconds."""
    browser = find_browser(browsers, search_path)
    with tempfile.TemporaryDirectory(prefix="pledge-pdf-") as folder:
        work = Path(folder)
        page, out = work / "pack.html", work / "pack.pdf"
        page.write_text(html, encoding="utf-8")
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                   "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                   f"--user-data-dir={work / 'profile'}", f"--print-to-pdf={out}", page.as_uri()]
        env = {**os.environ, "HOME": str(work)}  # a fresh profile and caches, never the user's
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, env=env, start_new_session=True)
        except OSError as exc:
            raise PdfUnavailable(f"{browser} could not be started ({exc}): {INSTALL_HINT}") from exc
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise PdfError(f"{browser} did not print the pack within {timeout:g} s; it was stopped") from None
        finally:
            _kill(process)  # the renderer and other helpers it left behind, if any
        pdf = out.read_bytes() if out.exists() else b""
        if process.returncode != 0 or not pdf.startswith(b"%PDF-"):
            tail = output.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise PdfError(f"{browser} gave no PDF (exit status {process.returncode}): " + " | ".join(tail))
        return pdf


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop the browser's own process group (its session, started for it), then reap the browser."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass
