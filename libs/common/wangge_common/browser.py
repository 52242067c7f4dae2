"""Headless-Chromium checks for the Chinese pages (notice, tracking, board, rating, dashboard, annual report).

Tests drive Debian's Chromium (`/usr/bin/chromium`, or `WANGGE_CHROMIUM`) through Playwright's Python API; no
browser is downloaded. `missing_glyphs` finds characters the page shows as empty boxes (tofu): each distinct
character of the visible text is drawn on a canvas in the font its element uses and compared with the drawing of
a code point no font has; a character drawn the same way as that one has no glyph.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

_MISSING_GLYPHS_JS = r"""
() => {
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (font, ch) => {
    ctx.clearRect(0, 0, 48, 48); ctx.font = font; ctx.textBaseline = 'top'; ctx.fillStyle = '#000';
    ctx.fillText(ch, 4, 4);
    return Array.from(ctx.getImageData(0, 0, 48, 48).data).join(',');
  };
  const missing = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const font = `32px ${style.fontFamily}`;
    const tofu = draw(font, '\u{10FFFD}');
    for (const ch of node.textContent) {
      if (ch.codePointAt(0) < 0x2E80 || seen.has(font + ch)) continue;  // check CJK and beyond
      seen.add(font + ch);
      if (draw(font, ch) === tofu) missing.add(ch);
    }
  }
  return Array.from(missing);
}
"""


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when the machine has none."""
    # the developer's machine, not a service's setting (see settings.py)
    candidate = os.environ.get("WANGGE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else None


@contextmanager
def chromium_page(viewport: dict | None = None):
    """A fresh page in headless Chromium; closed with its browser on exit."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found: install Debian's chromium (scripts/ensure-chromium) or set WANGGE_CHROMIUM")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=viewport or {"width": 1200, "height": 900}, locale="zh-CN")
            yield page
        finally:
            browser.close()


def missing_glyphs(page) -> list[str]:
    """Characters of the page's visible text that render as empty boxes (no font has them)."""
    return page.evaluate(_MISSING_GLYPHS_JS)
