"""The residents' pages' sealed cookies, the login state, the CSRF and offer tokens, the JS-SDK signature and
EXIF positions: pure functions, no HTTP (the session itself is on the server: tests/test_h5.py)."""
from web import h5_session as S
from tests.h5_kit import jpeg_with_gps
from web.h5_photos import exif_position, photo_suffix

SECRET = S.derive_secret("wxapp", "app-secret", "aes")


def test_a_sealed_value_reads_back_until_it_expires_and_not_under_another_label_or_key():
    sealed = S.seal(SECRET, "staged", {"p": ["a.jpg"], "e": 1060})
    assert S.unseal(SECRET, "staged", sealed, now=1059) == {"p": ["a.jpg"], "e": 1060}
    assert S.unseal(SECRET, "staged", sealed, now=1060) is None
    assert S.unseal(SECRET, "login", sealed, now=1001) is None
    assert S.unseal(S.derive_secret("wxapp", "new-secret", "aes"), "staged", sealed, now=1001) is None
    payload, signature = sealed.split(".")
    forged = S.seal(S.derive_secret("x"), "staged", {"p": ["b.jpg"], "e": 5000})
    assert S.unseal(SECRET, "staged", forged.split(".")[0] + "." + signature, now=1001) is None
    for junk in ("", "a.b.c", "x" * 5000, payload + ".", "." + signature):
        assert S.unseal(SECRET, "staged", junk, now=1001) is None


def test_a_login_state_belongs_to_the_browser_that_started_it():
    state, login = S.start_login(SECRET, "/h5/nearby", now=1000)
    assert S.finish_login(SECRET, login, state, now=1001) == "/h5/nearby"
    assert S.finish_login(SECRET, login, "other-state", now=1001) is None
    assert S.finish_login(SECRET, login, state, now=1000 + S.LOGIN_TTL_S) is None


def test_the_csrf_and_offer_tokens_belong_to_one_login():
    one, two = S.Session("o-ann", 60, "nonce-one"), S.Session("o-ann", 60, "nonce-two")
    assert S.csrf_ok(SECRET, one, S.csrf_token(SECRET, one))
    assert not S.csrf_ok(SECRET, one, S.csrf_token(SECRET, two)) and not S.csrf_ok(SECRET, one, "")
    assert S.offer_ok(SECRET, one, "20261202-0001", S.offer_token(SECRET, one, "20261202-0001"))
    assert not S.offer_ok(SECRET, one, "20261202-0002", S.offer_token(SECRET, one, "20261202-0001"))
    assert not S.offer_ok(SECRET, two, "20261202-0001", S.offer_token(SECRET, one, "20261202-0001"))


def test_the_jsapi_signature_matches_wechats_documented_example():
    ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    assert S.jsapi_signature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#x") \
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"


def test_a_photo_is_known_by_its_bytes_not_its_name():
    assert photo_suffix(b"\xff\xd8\xff\xe0rest") == ".jpg" and photo_suffix(b"\x89PNG\r\n\x1a\nxx") == ".png"
    assert photo_suffix(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == ".webp"
    assert photo_suffix(b"<svg") is None and photo_suffix(b"%PDF") is None and photo_suffix(b"") is None


def test_an_exif_position_is_read_and_junk_is_none():
    lat, lng = exif_position(jpeg_with_gps(31.744941, 117.273501))
    assert abs(lat - 31.744941) < 1e-4 and abs(lng - 117.273501) < 1e-4
    for junk in (b"", b"\xff\xd8", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM", b"\xff\xd8\xff\xda\x00\x02"):
        assert exif_position(junk) is None


def test_the_menu_links_the_residents_pages_under_public_url_or_stays_in_the_chat():
    from cli.official_account import menu_for

    linked = menu_for("https://gz.example.cn")
    views = {b["name"]: b for top in linked["button"] for b in [top, *top.get("sub_button", [])] if b.get("type") == "view"}
    assert views["我的工单"]["url"] == "https://gz.example.cn/h5/cases" and "key" not in views["我的工单"]
    assert views["随手拍"]["url"] == "https://gz.example.cn/h5/report"
    plain = menu_for(None)
    flat = [b for top in plain["button"] for b in [top, *top.get("sub_button", [])]]
    assert all(b.get("type") != "view" for b in flat) and "PUBLIC_URL" not in str(plain)


def test_without_an_app_secret_no_session_key_can_be_recomputed():
    from bot.config import Settings
    from web.h5_site import session_secret

    bare = Settings(database_url="sqlite+aiosqlite:///x.db", wechat_token="t", wechat_app_id="wxpublic")
    assert session_secret(bare) != session_secret(bare)  # random: public values alone make no key
    with_secret = bare.with_(wechat_app_secret="s")
    assert session_secret(with_secret) == session_secret(with_secret)  # every process derives the same
    assert session_secret(with_secret.with_(h5_session_secret="k")) == b"k"
