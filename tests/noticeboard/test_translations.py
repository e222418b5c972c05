"""Translations: contentMap for the fediverse, the reader's language on the page, RTL."""

from __future__ import annotations

from tests.noticeboard.boards import AP_JSON, RunningBoard, csrf_token
from tests.noticeboard.test_isolation import add_follower, publish
from tests.support.fediverse import Fediverse


def translate(board: RunningBoard, lang: str, title: str, body: str, **extra: str):
    client = board.login()
    token = csrf_token(client.get("/staff/notices/1/translations").text)
    data = {"csrf_token": token, "lang": lang, "title": title, "body": body, **extra}
    return client.post("/staff/notices/1/translations", data=data)


def test_translation__goes_into_content_map_with_main_language_first(
    board: RunningBoard, fediverse: Fediverse
) -> None:
    inbox = "/users/kim/inbox"
    add_follower(board, fediverse.remote.url("/users/kim"), fediverse.remote.url(inbox))
    publish(board, "Hoffest")
    assert translate(board, "tr", "Avlu şenliği", "Herkes davetli").status_code == 303
    assert translate(board, "ar", "حفلة الفناء", "الجميع مدعوون").status_code == 303
    note = board.get("/notices/1", headers={"Accept": AP_JSON}).json()
    assert list(note["contentMap"])[0] == "de"  # Mastodon reads the first key as the language
    assert set(note["contentMap"]) == {"de", "tr", "ar"}
    assert note["contentMap"]["de"] == note["content"]
    assert "<strong>Avlu şenliği</strong>" in note["contentMap"]["tr"]
    assert "Herkes davetli" in note["contentMap"]["tr"]

    def updates() -> list[dict[str, object]]:
        return [r.json() for r in fediverse.remote.posts(inbox) if r.json()["type"] == "Update"]

    # one Update per change: the second one carries both translations
    board.drain()
    assert len(updates()) == 2
    assert [set(u["object"]["contentMap"]) for u in updates()] in (
        [{"de", "tr"}, {"de", "tr", "ar"}],
        [{"de", "tr", "ar"}, {"de", "tr"}],  # deliveries may arrive in either order
    )


def test_page__shows_the_readers_language_with_lang_and_dir(board: RunningBoard) -> None:
    publish(board, "Hoffest")
    translate(board, "ar", "حفلة الفناء", "الجميع مدعوون")
    arabic = board.get("/notices/1", headers={"Accept-Language": "ar-SY, ar;q=0.9"}).text
    assert '<h1 class="notice__title" lang="ar" dir="rtl">حفلة الفناء</h1>' in arabic
    assert '<html lang="ar" dir="rtl">' in arabic  # the interface follows the reader
    assert 'hreflang="de"' in arabic
    german = board.get("/notices/1").text
    assert '<h1 class="notice__title" lang="de" dir="ltr">Hoffest</h1>' in german
    asked = board.get("/notices/1?text=ar", headers={"Accept-Language": "de"}).text
    assert "حفلة الفناء" in asked


def test_plain_language__is_offered_as_einfache_sprache(board: RunningBoard) -> None:
    publish(board, "Mieterversammlung")
    translate(board, "de-x-simple", "Treffen für Mieter", "Wir treffen uns. Alle können kommen.")
    page = board.get("/notices/1").text
    assert "Einfache Sprache" in page
    plain = board.get("/notices/1?text=de-x-simple").text
    assert '<h1 class="notice__title" lang="de" dir="ltr">Treffen für Mieter</h1>' in plain


def test_translation__bad_input_and_removal(board: RunningBoard) -> None:
    publish(board, "Hoffest")
    assert translate(board, "not a code!", "x", "y").status_code == 400
    assert translate(board, "de", "Doppelt", "x").status_code == 400  # the notice's own language
    assert translate(board, "tr", "", "x").status_code == 400
    assert board.rows("SELECT * FROM notice_translations") == []
    translate(board, "tr", "Avlu şenliği", "Herkes davetli")
    assert translate(board, "tr", "", "", remove="1").status_code == 303
    assert board.rows("SELECT * FROM notice_translations") == []


def test_cli__translate_and_remove(board: RunningBoard) -> None:
    publish(board, "Hoffest")
    done = board.cli(
        "translate", "1", "--lang", "uk", "--title", "Свято", "--body", "Усі запрошені"
    )
    assert done.returncode == 0, done.stderr
    assert board.rows("SELECT lang FROM notice_translations") == [{"lang": "uk"}]
    assert board.cli("translate", "1", "--lang", "uk", "--remove").returncode == 0
    bad = board.cli("translate", "1", "--lang", "x y", "--title", "a", "--body", "b")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_delete__removes_translations_too(board: RunningBoard) -> None:
    publish(board, "Hoffest")
    translate(board, "tr", "Avlu şenliği", "Herkes davetli")
    assert board.cli("delete", "1").returncode == 0
    assert board.rows("SELECT * FROM notice_translations") == []
