"""PDF rendering (WeasyPrint) with the fonts shipped in constel/fonts and no network access:
the same output on every machine, whatever fonts it has."""

from __future__ import annotations

import atexit
from functools import lru_cache
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"

_FACES = [("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
          ("DejaVuSans-Oblique.ttf", "normal", "italic")]


def _fonts_css() -> str:
    rules = [f'@font-face {{ font-family: "Constel Sans"; src: url("{(FONTS / name).as_uri()}");'
             f" font-weight: {weight}; font-style: {style}; }}"
             for name, weight, style in _FACES]
    return "\n".join(rules) + '\nbody { font-family: "Constel Sans", sans-serif; }'


def fetcher():
    """Only file: and data: URLs (the shipped fonts, inline images): never the network."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint ≥ 68
    except ImportError:  # pragma: no cover - older WeasyPrint
        import weasyprint

        def fetch(url: str, *args, **kwargs):
            if not url.startswith(("file:", "data:")):
                raise ValueError(f"URI uses disallowed protocol: {url[:80]}")
            return weasyprint.default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"file", "data"}, timeout=1)


@lru_cache(maxsize=1)
def _shared():
    """The font configuration and its stylesheet, parsed once per worker process (the
    letters queue recycles its processes, which bounds what they hold)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetch = fetcher()
    css = weasyprint.CSS(string=_fonts_css(), font_config=fonts, url_fetcher=fetch)
    return fonts, css, fetch


# Let the cached font configuration go while the interpreter can still run its finaliser.
atexit.register(_shared.cache_clear)


def render(html: str) -> bytes:
    import weasyprint

    fonts, css, fetch = _shared()
    return weasyprint.HTML(string=html, url_fetcher=fetch).write_pdf(
        stylesheets=[css], font_config=fonts)
