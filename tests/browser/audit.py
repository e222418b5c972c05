"""Accessibility checks of a page as Chromium shows it: axe-core's WCAG 2 A/AA rules, no
sideways scrolling, and form controls big enough to hit (WCAG 2.5.5, the board's own rule).

axe-core is the npm package pinned in tests/interop/package.json (`make interop-deps`
installs it); it is injected as a script tag, so the browser context must bypass the
board's Content-Security-Policy (`bypass_csp=True`, as the `page` fixture does).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "tests" / "interop" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
MIN_TARGET_PX = 44  # WCAG 2.5.5 (AAA) Target Size, which the board keeps

# Lists every visible form control whose target is smaller than 44 × 44 CSS pixels or whose
# text is smaller than the body's. A checkbox or radio button may be small when its label,
# which clicks it too, is big enough.
_TARGETS_JS = """
(minimum) => {
  const bodySize = parseFloat(getComputedStyle(document.body).fontSize);
  const describe = (el) => {
    const named = el.getAttribute('name');
    const name = el.id ? '#' + el.id : (named ? '[name=' + named + ']' : '');
    const text = (el.innerText || el.value || '').trim().slice(0, 30);
    return el.tagName.toLowerCase() + (el.type ? '[type=' + el.type + ']' : '') + name
      + (text ? ' "' + text + '"' : '');
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
      && !el.closest('[aria-hidden="true"], .visually-hidden');
  };
  const big = (box) => box.width >= minimum - 0.5 && box.height >= minimum - 0.5;
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden' || !shown(el)) continue;
    const box = el.getBoundingClientRect();
    if (el.type === 'checkbox' || el.type === 'radio') {
      const labels = [...(el.labels || [])].filter(shown);
      if (!big(box) && !labels.some((label) => big(label.getBoundingClientRect()))) {
        const sizes = labels.map((l) => Math.round(l.getBoundingClientRect().width) + '×'
          + Math.round(l.getBoundingClientRect().height));
        problems.push(describe(el) + ': box ' + Math.round(box.width) + '×'
          + Math.round(box.height) + ', label ' + (sizes.join(', ') || 'none'));
      }
      continue;
    }
    if (!big(box)) {
      problems.push(describe(el) + ': ' + Math.round(box.width) + '×' + Math.round(box.height));
    }
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (Math.abs(size - bodySize) > 0.5) {
      problems.push(describe(el) + ': text ' + size + 'px, body ' + bodySize + 'px');
    }
  }
  return problems;
}
"""

# The elements that stick out of the viewport, to name the culprit of sideways scrolling.
_OVERFLOW_JS = """
() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const width = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if ((box.right > width + 0.5 || box.left < -0.5) && box.width > 0
        && getComputedStyle(el).position !== 'absolute') {
      if (![...el.children].some((child) => {
        const inner = child.getBoundingClientRect();
        return inner.right > width + 0.5 || inner.left < -0.5;
      })) {
        const classes = el.className ? '.' + String(el.className).split(' ').join('.') : '';
        wide.push(el.tagName.toLowerCase() + classes + (el.id ? '#' + el.id : '')
          + ' ' + Math.round(box.left) + '..' + Math.round(box.right));
      }
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 8)};
}
"""


@functools.cache
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        pytest.fail(
            f"{AXE_SCRIPT.relative_to(ROOT)} is missing: run `make interop-deps` "
            "(npm ci in tests/interop installs the pinned axe-core)",
            pytrace=False,
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


# The WCAG rules whose outcome depends on the layout rather than on the document alone: after
# a resize of the same document only these can find something new.
LAYOUT_RULES = ("target-size", "scrollable-region-focusable", "color-contrast")


def axe_violations(page: Page, *, layout_only: bool = False) -> list[dict[str, Any]]:
    """Run axe-core's WCAG 2.x A/AA rules on the page as it is now; return the violations.
    `layout_only` runs just the LAYOUT_RULES, for the same document at another width."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    options: dict[str, Any] = {
        "runOnly": {"type": "tag", "values": list(WCAG_TAGS)},
        "resultTypes": ["violations"],
    }
    if layout_only:
        options["runOnly"] = {"type": "rule", "values": list(LAYOUT_RULES)}
    result: dict[str, Any] = page.evaluate("(options) => axe.run(document, options)", options)
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> list[str]:
    """One line per rule and element: rule id, impact, target and axe's summary."""
    lines = []
    for violation in violations:
        for node in violation["nodes"][:5]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(
                f"{violation['id']} ({violation.get('impact')}): "
                f"{json.dumps(node['target'])} {summary[:300]}"
            )
    return lines


def sideways_overflow(page: Page) -> dict[str, Any] | None:
    """None if the page fits its viewport's width; else the widths and the widest elements."""
    found: dict[str, Any] | None = page.evaluate(_OVERFLOW_JS)
    return found


def small_targets(page: Page) -> list[str]:
    """The visible form controls smaller than 44 × 44 px or with text below the body's."""
    found: list[str] = page.evaluate(_TARGETS_JS, MIN_TARGET_PX)
    return found


def problems(page: Page, *, targets: bool = True, layout_only: bool = False) -> list[str]:
    """Everything this module checks, as readable lines (empty when the page passes)."""
    lines = describe_violations(axe_violations(page, layout_only=layout_only))
    overflow = sideways_overflow(page)
    if overflow:
        lines.append(f"scrolls sideways: {json.dumps(overflow)}")
    if targets:
        lines.extend(f"small target: {line}" for line in small_targets(page))
    return lines


def assert_accessible(page: Page) -> None:
    """axe-core's WCAG 2 A/AA rules find nothing, the page does not scroll sideways, and its
    form controls are at least 44 × 44 px."""
    found = problems(page)
    assert not found, f"{page.url}:\n" + "\n".join(found)
