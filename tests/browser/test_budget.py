"""The home page on an old phone and a slow connection: what a browser with an empty cache
transfers for a board of twenty German notices (HTML, CSS and favicon, compressed, headers
included) stays within 30 KB, and no request goes to another server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Request

from tests.browser.conftest import PAGE_TIMEOUT_MS
from tests.support.cli import run_in_process
from tests.support.processes import BoardProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

INSTANCE = Path(__file__).resolve().parents[2] / "instances" / "nordstadt.toml"
BUDGET = 30 * 1024

BODIES = [
    (
        "Hoffest in der Lindenstraße",
        "Am Samstag feiern wir im Hof der **Lindenstraße 12** unser Sommerfest. Es gibt Kuchen, "
        "Musik und einen Flohmarkt für Kinder. Wer etwas beitragen möchte, meldet sich bitte "
        "bis Donnerstag im Nachbarschaftsbüro. Bei Regen ziehen wir in den Gemeinschaftsraum um.",
    ),
    (
        "Fahrrad-Reparaturtreff",
        "Jeden ersten Mittwoch im Monat reparieren wir gemeinsam Fahrräder. Werkzeug ist da, "
        "Ersatzteile bitte selbst mitbringen. Ehrenamtliche Helferinnen und Helfer zeigen, wie "
        "man Schläuche flickt, Bremsen einstellt und die Kette ölt.",
    ),
    (
        "Gesucht: Leihoma oder Leihopa",
        "Unsere Kita sucht Menschen, die einmal in der Woche vorlesen möchten. Sie brauchen "
        "keine Erfahrung, nur Zeit und Freude an Geschichten. Ein erweitertes "
        "Führungszeugnis ist nötig; die Kosten übernimmt der Träger.",
    ),
    (
        "Straßensperrung wegen Bauarbeiten",
        "Von Montag bis Freitag ist die Gartenstraße zwischen Marktplatz und Schule gesperrt. "
        "Die Buslinie 12 fährt eine Umleitung über die Bahnhofstraße. Fußgängerinnen und "
        "Fußgänger kommen an der Baustelle vorbei.",
    ),
    (
        "Deutschkurs für Anfängerinnen",
        "Im Stadtteilzentrum beginnt ein kostenloser Deutschkurs für Frauen. Kinderbetreuung "
        "ist während des Kurses möglich. Anmeldung persönlich dienstags von 10 bis 12 Uhr oder "
        "telefonisch.",
    ),
]


WORDS = (
    "Nachbarschaft Hof Straße Haus Kinder Eltern Fest Treffen Garten Küche Kuchen Musik Bank "
    "Fahrrad Werkstatt Bücherei Schule Kita Spielplatz Brunnen Mieterinnen Mieter Verwaltung "
    "Hausmeister Müll Tonne Container Sperrmüll Abholung Wohnung Keller Dachboden Schlüssel "
    "Katze Hund Leine Wiese Baum Linde Kastanie Blumen Beet Gießkanne Wasser Regen Sonne "
    "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag Vormittag Nachmittag Abend "
    "bringen holen helfen suchen finden leihen tauschen schenken reparieren kochen backen "
    "singen spielen lesen treffen erzählen anmelden melden fragen antworten öffnen schließen "
    "gemeinsam freundlich kostenlos pünktlich gerne bitte dringend später morgen heute "
    "zusammen vielleicht wieder unbedingt ehrenamtlich barrierefrei gemütlich laut leise"
).split()


def varied_text(rng: random.Random, sentences: int) -> str:
    """German words in random order: compresses worse than real notices, so the budget holds
    with room for them."""
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(sentences)
    )


def seed(process: BoardProcess, count: int = 20) -> None:
    """Twenty notices of the kinds a neighbourhood posts: news, events, offers, requests."""
    kinds = ["announcement", "event", "offer-help", "need-help", "give-lend"]
    day = date.today() + timedelta(days=7)
    rng = random.Random(13)
    for n in range(count):
        title, body = BODIES[n % len(BODIES)]
        body = f"{body}\n\n{varied_text(rng, 5)}"
        args = ["post", "--title", f"{title} ({n + 1})", "--body", body]
        kind = kinds[n % len(kinds)]
        args += ["--type", kind]
        if kind == "event":
            start = f"{day + timedelta(days=n)}T15:00"
            args += ["--start", start, "--place", "Nachbarschaftsbüro, Lindenstraße 12"]
        result = run_in_process([*args, "--instance", str(process.instance_file)], process.env)
        assert result.returncode == 0, result.stderr


@pytest.fixture
def seeded_board(tmp_path: Path) -> Iterator[BoardProcess]:
    with BoardProcess(INSTANCE, tmp_path / "board", free_port()) as process:
        process.init()
        seed(process)
        process.start()
        yield process


def test_home__transfers_at_most_30_kb_and_asks_no_other_server(
    browser: Browser, seeded_board: BoardProcess
) -> None:
    context = browser.new_context(locale="de-DE")  # a fresh context: an empty cache
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    finished: list[Request] = []
    asked: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: asked.append(request.url))
        page.on("requestfinished", lambda request: finished.append(request))
        response = page.goto(seeded_board.url("/"), wait_until="load")
        assert response is not None and response.status == 200
        assert page.locator("article.notice").count() == 20
        icon = page.locator('link[rel="icon"]').get_attribute("href")
        assert icon
        if not any("/static/favicon" in url for url in asked):  # headless may skip the icon
            page.evaluate("href => fetch(href).then(r => r.text())", icon)
        page.wait_for_load_state("networkidle")

        sizes = {}
        for request in finished:
            size = request.sizes()
            sizes[request.url] = size["responseBodySize"] + size["responseHeadersSize"]
        encodings = {
            r.url: (r.response().headers.get("content-encoding") if r.response() else None)  # type: ignore[union-attr]
            for r in finished
        }
    finally:
        context.close()

    origin = seeded_board.base_url + "/"
    assert [url for url in asked if not url.startswith(origin)] == []
    kinds = {url.split("?")[0].rsplit("/", 1)[-1] or "/" for url in sizes}
    assert kinds == {"/", "style.css", "favicon.svg"}, sizes
    for url, encoding in encodings.items():
        if not url.split("?")[0].endswith("favicon.svg"):  # small enough to go as it is
            assert encoding in ("gzip", "br"), (url, encoding)
    total = sum(sizes.values())
    report = ", ".join(f"{url.removeprefix(origin) or '/'}: {n} B" for url, n in sizes.items())
    assert total <= BUDGET, f"{total} B > {BUDGET} B ({report})"
