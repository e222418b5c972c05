"""QR codes as inline SVG: drawn into the page, so printing needs no request."""

from __future__ import annotations

from markupsafe import Markup


def qr_svg(address: str, *, label: str) -> Markup:
    """An SVG QR code for an address, sized by the print CSS; `label` names it for screen
    readers (the address itself is always printed beside it)."""
    import segno  # on first use: only printed pages draw QR codes

    code = segno.make(address, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=2, dark="#000", light="#fff", omitsize=True)
    return Markup(
        svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{_attr(label)}" ', 1)
    )


def _attr(text: str) -> str:
    return str(Markup.escape(text))
