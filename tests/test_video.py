"""МАГ-Видео: a video kept on the site (its files checked, played by <video> with captions) or on
an outside host (its address checked, the host's player loaded only on a click); the archive,
the city, event and issue pages, the feed, the structured data."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from conftest import PROJECT, Repo, make_repo

from egorod import samples
from egorod import video as v
from egorod.i18n import set_language
from egorod.policy import content_security_policy
from egorod.schema import Invalid

SAMPLE = PROJECT / "content" / "video"
CAPTIONS = """WEBVTT

00:00.000 --> 00:02.000
Набережная утром.

00:02.000 --> 00:05.500
Проходит трамвай.
"""


def add_self_hosted(repo: Repo, captions: str = CAPTIONS, extra: str = "", sources: str = "[tram.webm, tram.mp4]") -> None:
    """A video kept on the site, with the project's own sample files under other names."""
    extra = extra.replace("\n", "\n        ")     # each line at the indentation of the others
    folder = repo.root / "content" / "video"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("webm", "mp4", "jpg"):
        shutil.copy(SAMPLE / f"tramvay-na-naberezhnoy.{suffix}", folder / f"tram.{suffix}")
    (folder / "tram.ru.vtt").write_text(captions, encoding="utf-8")
    repo.write("content/video/tram.md", f"""
        ---
        title: Трамвай
        date: 2026-01-10
        city: kazan
        summary: Трамвай на набережной.
        duration: "00:06"
        sources: {sources}
        captions: tram.ru.vtt
        poster:
          file: tram.jpg
          alt: Трамвай на набережной
        {extra}
        ---
        Текст о видео.
        """)


def add_outside(repo: Repo, host: str = "rutube", url: str = "https://rutube.ru/video/" + "0" * 32 + "/",
                extra: str = "") -> None:
    extra = extra.replace("\n", "\n        ")
    folder = repo.root / "content" / "video"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE / "magiya-teatra-obzor.jpg", folder / "obzor.jpg")
    repo.write("content/video/obzor.md", f"""
        ---
        title: Обзор
        date: 2026-02-01
        city: minsk
        summary: Образец видео на внешнем хостинге.
        duration: "12:40"
        host: {host}
        url: {url}
        poster:
          file: obzor.jpg
          alt: Сцена театра
        {extra}
        ---
        Текст.
        """)


@pytest.fixture(autouse=True)
def english():
    """The messages of the functions called here directly, in the language of the tests (the
    command line sets it for itself)."""
    set_language("en")


def page(repo: Repo, path: str) -> BeautifulSoup:
    return BeautifulSoup(repo.read(path), "html.parser")


# --- the rules, one by one ---------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "seconds"), [("00:06", 6), ("12:40", 760), ("1:02:03", 3723), (90, 90)])
def test_a_duration_is_minutes_and_seconds(raw, seconds):
    assert v.duration(raw) == seconds


@pytest.mark.parametrize("raw", ["6", "1:75", "00:00", "PT6S", "6 минут", True])
def test_a_duration_in_another_form_is_refused(raw):
    with pytest.raises(Invalid):
        v.duration(raw)


def test_captions_must_start_with_webvtt():
    cues, problems = v.caption_problems("00:00.000 --> 00:01.000\nТекст\n".encode(), 6)
    assert problems == [(1, "a WebVTT file starts with the line WEBVTT")] and cues == []


@pytest.mark.parametrize(("timing", "wrong"), [
    ("00:02.000 -> 00:03.000", "is not a cue timing"),          # a broken arrow
    ("00:02,000 --> 00:03.000", "is not a cue timing"),         # a comma, as in SubRip
    ("00:03.000 --> 00:02.500", "ends (00:02.500) before it starts"),
    ("00:00.500 --> 00:01.000", "before the previous one"),     # going back in time
    ("00:05.000 --> 00:08.000", "after the end of the video (0:06)"),
])
def test_cue_timings_are_well_formed_increasing_and_within_the_duration(timing, wrong):
    text = f"WEBVTT\n\n00:01.000 --> 00:02.000\nПервая.\n\n{timing}\nВторая.\n"
    cues, problems = v.caption_problems(text.encode(), 6)
    assert len(cues) == 1 and len(problems) == 1
    line, message = problems[0]
    assert line == 6 and wrong in message


def test_sound_captions_give_their_cues_with_notes_and_identifiers():
    text = ("WEBVTT - русские субтитры\n\nNOTE проверено редактором\n\nnachalo\n00:00.000 --> 00:01.500 line:90%\n"
            "Первая.\n\n01:00:00.000 --> 01:00:01.000\nВ конце часа.\n")
    cues, problems = v.caption_problems(text.encode(), 3601)
    assert problems == []
    assert [(cue.line, cue.start, cue.end, cue.text) for cue in cues] == [
        (6, 0.0, 1.5, "Первая."), (9, 3600.0, 3601.0, "В конце часа.")]


def test_the_sample_video_files_are_what_their_names_say():
    for name in ("tramvay-na-naberezhnoy.webm", "tramvay-na-naberezhnoy.mp4"):
        assert v.media_problem(name, (SAMPLE / name).read_bytes()[:64]) is None
    webm, mp4 = ((SAMPLE / f"tramvay-na-naberezhnoy.{s}").read_bytes()[:64] for s in ("webm", "mp4"))
    assert "is not an MP4 file" in v.media_problem("x.mp4", webm)
    assert "is not a WebM file" in v.media_problem("x.webm", mp4)
    assert "is not a WebM file" in v.media_problem("x.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska")


@pytest.mark.parametrize(("host", "url", "embed", "link"), [
    ("youtube", "https://www.youtube.com/watch?v=abcdefghijk&t=5", "https://www.youtube-nocookie.com/embed/abcdefghijk?autoplay=1",
     "https://www.youtube.com/watch?v=abcdefghijk"),
    ("youtube", "https://youtu.be/abcdefghijk", "https://www.youtube-nocookie.com/embed/abcdefghijk?autoplay=1",
     "https://www.youtube.com/watch?v=abcdefghijk"),
    ("rutube", "https://rutube.ru/video/" + "a1" * 16 + "/", "https://rutube.ru/play/embed/" + "a1" * 16 + "?autoplay=1",
     "https://rutube.ru/video/" + "a1" * 16 + "/"),
    ("vk", "https://vk.com/video-123_456", "https://vkvideo.ru/video_ext.php?oid=-123&id=456&hd=2&autoplay=1",
     "https://vkvideo.ru/video-123_456"),
    ("vk", "https://vkvideo.ru/video_ext.php?oid=-123&id=456&hd=2", "https://vkvideo.ru/video_ext.php?oid=-123&id=456&hd=2&autoplay=1",
     "https://vkvideo.ru/video-123_456"),
])
def test_an_address_on_a_host_gives_its_official_player_and_page(host, url, embed, link):
    found = v.outside_video(host, url)
    assert (found.embed_url, found.page_url) == (embed, link)


@pytest.mark.parametrize(("host", "url"), [
    ("youtube", "https://rutube.ru/video/" + "0" * 32 + "/"),     # another host's address
    ("youtube", "https://www.youtube.com/watch?v=short"),
    ("rutube", "https://rutube.ru/video/not-an-id/"),
    ("vk", "https://vk.com/club123"),
    ("youtube", "http://www.youtube.com/watch?v=abcdefghijk"),    # not https
])
def test_an_address_that_is_not_the_hosts_is_refused(host, url):
    with pytest.raises(Invalid, match="is not the address of a video on"):
        v.outside_video(host, url)


def test_only_video_pages_may_frame_the_hosts_players():
    assert "frame-src" not in content_security_policy("/news/")
    assert "frame-src" not in content_security_policy("/video/")
    policy = content_security_policy("/video/obzor/")
    assert policy.endswith("; frame-src 'self' https://rutube.ru https://vkvideo.ru https://vk.com "
                           "https://www.youtube-nocookie.com")
    assert "youtube.com " not in policy and "script-src 'self' 'wasm-unsafe-eval';" in policy


def test_the_sample_video_generator_encodes_real_webm_and_mp4(tmp_path: Path):
    import av
    frames = [samples.tram_frame(index / 11, (160, 90)) for index in range(12)]
    for name, codec in (("t.webm", "libvpx-vp9"), ("t.mp4", "libx264")):
        samples.encode_video(frames, tmp_path / name, codec)
        assert v.media_problem(name, (tmp_path / name).read_bytes()[:64]) is None
        with av.open(str(tmp_path / name)) as container:
            assert container.streams.video[0].width == 160
            assert round(container.duration / 1_000_000) == 1     # 12 frames at 12 a second


# --- in a built site ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """One site with both kinds of video, the self-hosted one of an event, an issue and a bulletin."""
    set_language("en")
    repo = make_repo(tmp_path_factory.mktemp("video") / "site")
    repo.write("content/events/2026-forum.md", """
        ---
        title: Форум
        kind: forum
        start: 2026-01-10
        city: kazan
        ---
        Программа.
        """)
    add_self_hosted(repo, extra="event: 2026-forum\nvestnik: 1\nbulletin: 1")
    add_outside(repo)
    repo.build()
    return repo


def test_a_self_hosted_video_plays_with_its_sources_poster_and_captions(built):
    repo = built
    video = page(repo, "video/tram/index.html").select_one("figure.video video")
    assert video.has_attr("controls") and video["preload"] == "none"
    assert (repo.out / video["poster"].lstrip("/")).is_file() and video["poster"].startswith("/images/")
    sources = [(s["src"], s["type"]) for s in video.select("source")]
    assert sources == [("/video/tram.webm", "video/webm"), ("/video/tram.mp4", "video/mp4")]
    for src, _type in sources:
        assert (repo.out / src.lstrip("/")).read_bytes() == (SAMPLE / f"tramvay-na-naberezhnoy.{src[-4:].strip('.')}").read_bytes()
    track = video.select_one("track")
    assert (track["kind"], track["srclang"], track.has_attr("default")) == ("captions", "ru", True)
    assert (repo.out / track["src"].lstrip("/")).read_text(encoding="utf-8") == CAPTIONS


def test_broken_captions_fail_the_build_with_the_caption_files_line(repo):
    add_self_hosted(repo, CAPTIONS.replace("00:02.000 --> 00:05.500", "00:02.000 --> 00:09.000"))
    result = repo.run("build", "--no-pdf", "--no-search", "--quiet")
    assert result.status == 1
    assert "content/video/tram.ru.vtt:6: captions: the cue ends at 00:09.000, after the end of the video (0:06)" \
        in result.output


def test_captions_without_the_header_fail_check(repo):
    add_self_hosted(repo, CAPTIONS.replace("WEBVTT\n", ""))
    result = repo.run("check")
    assert result.status == 1 and "content/video/tram.ru.vtt:1: captions: a WebVTT file starts with the line WEBVTT" \
        in result.output


def test_a_file_that_is_not_the_video_its_name_says_is_refused(repo):
    add_self_hosted(repo)
    shutil.copy(SAMPLE / "tramvay-na-naberezhnoy.jpg", repo.root / "content/video/tram.mp4")    # a picture renamed
    result = repo.run("check")
    assert result.status == 1
    assert "content/video/tram.md:7: sources: 'tram.mp4' is not an MP4 file" in result.output


def test_a_video_file_replaced_after_a_build_is_found_by_the_next_build(repo):
    add_self_hosted(repo)
    repo.build()
    (repo.root / "content/video/tram.webm").write_bytes(b"not a video at all")    # the record is cached
    result = repo.run("build", "--no-pdf", "--no-search", "--quiet")
    assert result.status == 1 and "content/video/tram.md:7: sources: 'tram.webm' is not a WebM file" in result.output


def test_a_missing_video_file_and_poster_are_named(repo):
    add_self_hosted(repo, sources="[tram.webm, nowhere.mp4]")
    (repo.root / "content/video/tram.jpg").unlink()
    result = repo.run("check")
    assert "content/video/tram.md:7: sources: video file 'nowhere.mp4' not found beside the Markdown file" \
        in result.output
    assert "content/video/tram.md:9: poster: picture 'tram.jpg' not found beside the Markdown file" in result.output


def test_a_video_is_on_the_site_or_on_a_host_not_both(repo):
    add_self_hosted(repo, extra="host: youtube")
    result = repo.run("check")
    assert result.status == 1 and "content/video/tram.md:7: sources: a video is either kept beside its file" \
        in result.output


def test_an_address_of_another_host_fails_with_its_line(repo):
    add_outside(repo, host="youtube")
    result = repo.run("check")
    assert result.status == 1
    assert "content/video/obzor.md:8: url: 'https://rutube.ru/video/" in result.output
    assert "is not the address of a video on YouTube" in result.output


def test_an_unknown_event_or_issue_is_an_error(repo):
    add_outside(repo, extra="event: 2026-no-such-event\nvestnik: 9")
    result = repo.run("check")
    assert "content/video/obzor.md:12: event: no event '2026-no-such-event'" in result.output
    assert "content/video/obzor.md:13: vestnik: no Vestnik issue 9" in result.output


def test_an_outside_video_asks_nothing_of_its_host_until_clicked(built):
    repo = built
    html = repo.read("video/obzor/index.html")
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.select("iframe, link[rel=preconnect], link[rel=dns-prefetch], link[rel=preload][href^=http]")
    play = soup.select_one("figure.video-outside a.video-play")
    # the host is named only where nothing is loaded from it: the link a reader may follow, the
    # address for the script, and the structured data for search engines
    for element in (play, soup.select_one('script[type="application/ld+json"]')):
        element.extract()
    assert "rutube" not in str(soup)
    assert play["href"] == "https://rutube.ru/video/" + "0" * 32 + "/"          # without JavaScript: the host's page
    assert play["data-embed"] == "https://rutube.ru/play/embed/" + "0" * 32 + "?autoplay=1"
    assert play.select_one("img")["src"] == "/video/obzor.jpg"                # the poster is the site's own
    script = soup.select_one("script[src]")["src"]
    assert script.startswith("/static/js/video.") and (repo.out / script.lstrip("/")).is_file()
    assert not soup.select("script:not([src]):not([type='application/ld+json'])")


def test_the_city_event_and_issue_pages_list_their_videos(built):
    for path in ("cities/kazan/index.html", "events/2026/forum/index.html", "vestnik/1/index.html",
                 "bulletins/1/index.html"):
        links = [a["href"] for a in page(built, path).select(".video-card h3 a")]
        assert links == ["/video/tram/"], path
    assert [a["href"] for a in page(built, "cities/minsk/index.html").select(".video-card h3 a")] == ["/video/obzor/"]
    assert not page(built, "cities/moskva/index.html").select(".video-card")


def test_the_archive_lists_the_newest_first_and_the_site_map_has_them(built):
    repo = built
    assert [a["href"] for a in page(repo, "video/index.html").select(".video-card h3 a")] == ["/video/obzor/", "/video/tram/"]
    sitemap = repo.read("sitemap.xml")
    assert "/video/</loc>" in sitemap and "/video/obzor/</loc>" in sitemap and "/video/tram/</loc>" in sitemap


def test_the_video_feed_parses_with_the_file_enclosed(built):
    repo = built
    feed = feedparser.parse(repo.read("video/feed.xml"))
    assert not feed.bozo and feed.feed.title == "МАГ-Видео"
    assert [e.link for e in feed.entries] == ["https://e-gorod.ru/video/obzor/", "https://e-gorod.ru/video/tram/"]
    outside, kept = feed.entries
    assert not outside.get("enclosures") and "https://rutube.ru/video/" in outside.content[0].value
    (enclosure,) = kept.enclosures
    assert enclosure.href == "https://e-gorod.ru/video/tram.mp4" and enclosure.type == "video/mp4"
    assert int(enclosure.length) == (repo.out / "video/tram.mp4").stat().st_size
    heads = {link["href"] for link in page(repo, "index.html").select('link[rel="alternate"]')}
    assert "https://e-gorod.ru/video/feed.xml" in heads


def test_a_video_page_describes_a_video_object(built):
    repo = built

    def video_object(path: str) -> dict:
        data = json.loads(page(repo, path).select_one('script[type="application/ld+json"]').string)
        return next(item for item in data["@graph"] if item["@type"] == "VideoObject")
    kept, outside = video_object("video/tram/index.html"), video_object("video/obzor/index.html")
    assert (kept["duration"], kept["uploadDate"], kept["contentUrl"]) == ("PT6S", "2026-01-10",
                                                                          "https://e-gorod.ru/video/tram.webm")
    assert kept["thumbnailUrl"] == "https://e-gorod.ru/video/tram.jpg"
    assert (outside["duration"], outside["embedUrl"]) == ("PT12M40S", "https://rutube.ru/play/embed/" + "0" * 32 + "?autoplay=1")


def test_the_commit_hook_checks_a_video_its_captions_and_what_it_names(repo):
    add_self_hosted(repo, CAPTIONS.replace("00:02.000 --> 00:05.500", "00:02.000 --> 00:01.000"), extra="vestnik: 1")
    result = repo.run("check", "content/video/tram.ru.vtt")
    assert result.status == 1 and "content/video/tram.ru.vtt:6: captions: the cue ends" in result.output
    add_self_hosted(repo, extra="vestnik: 1\nevent: 2026-none")
    result = repo.run("check", "content/video/tram.md")
    assert result.status == 1 and result.lines[0].startswith("content/video/tram.md:13: event: no event '2026-none'")
    assert "vestnik" not in result.output          # issue 1 exists: the Vestnik was read for it
