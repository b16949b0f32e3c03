"""The Suno reseller adapter against the fake reseller on loopback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from apiinone.providers.base import (
    Failed,
    JobRequest,
    PollOutcome,
    ProviderContext,
    Running,
    Submitted,
    Succeeded,
)
from apiinone.providers.http import ChannelConfig
from apiinone.providers.suno import SunoJobProvider, build
from tests.fakes.suno import FakeSuno

TOKEN = "sk-suno-provider-test-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]
MUSIC = "/api/v1/audio/music"
HOOK = "https://gw.test/hooks/tasks/t/x"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSuno]:
    async with FakeSuno(token=TOKEN) as server:
        yield server


@pytest.fixture
async def ctx() -> AsyncIterator[ProviderContext]:
    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError("the Suno adapter never fetches inputs itself")

    async with aiohttp.ClientSession() as session:
        yield ProviderContext(session=session, fetch=no_fetch)


def provider(url: str, *, token: str = TOKEN, **options: Any) -> SunoJobProvider:
    config = ChannelConfig(
        name="fake-suno/suno",
        base_url=url,
        credential=token,
        upstream_model="suno",
        options={"poll_seconds": 0.01, "timeout": 5, **options},
    )
    return build(config)


def job(
    endpoint: str = MUSIC,
    *,
    parent: Mapping[str, Any] | None = None,
    variant: str | None = "chirp-v4-5",
    task_id: str = "task_a",
    **params: Any,
) -> JobRequest:
    return JobRequest(
        task_id=task_id,
        model="suno",
        variant=variant,
        endpoint=endpoint,
        kind="music",
        params=params,
        parent=parent,
        webhook_url=HOOK,
    )


async def finish(
    p: SunoJobProvider, j: JobRequest, ctx: ProviderContext, polls: int = 20
) -> tuple[list[PollOutcome], PollOutcome]:
    submitted = await p.submit(j, ctx)
    assert isinstance(submitted, Submitted), submitted
    seen: list[PollOutcome] = []
    for _ in range(polls):
        outcome = await p.poll(j, submitted.upstream_id, None, ctx)
        seen.append(outcome)
        if not isinstance(outcome, Running):
            return seen, outcome
    raise AssertionError(f"still running after {polls} polls: {seen}")


def as_parent(j: JobRequest, done: Succeeded) -> dict[str, Any]:
    """What the engine hands a later task: the finished task's params and result."""
    return {
        "task_id": j.task_id,
        "model": j.model,
        "params": dict(j.params),
        "result": dict(done.result or {}),
        "response": [],
    }


async def song(fake: FakeSuno, ctx: ProviderContext, **params: Any) -> tuple[JobRequest, Succeeded]:
    j = job(**(params or {"gpt_description_prompt": "a folk song about a lighthouse"}))
    _, outcome = await finish(provider(fake.url), j, ctx)
    assert isinstance(outcome, Succeeded), outcome
    return j, outcome


async def download(ctx: ProviderContext, url: str) -> bytes:
    async with ctx.session.get(url) as resp:
        assert resp.status == 200
        return await resp.read()


# -- the five routes ------------------------------------------------------------------


async def test_inspiration_mode_runs_through_the_stages_to_two_real_mp3s(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    j = job(gpt_description_prompt="a folk song about a lighthouse", make_instrumental=False)
    seen, outcome = await finish(provider(fake.url), j, ctx)
    assert [o.progress for o in seen[:-1] if isinstance(o, Running)] == [10, 40, 70]
    assert isinstance(outcome, Succeeded)
    path, sent = fake.requests[0]
    assert path == "/api/v1/generate"
    assert sent["customMode"] is False and sent["model"] == "V4_5"
    assert sent["prompt"] == "a folk song about a lighthouse" and sent["callBackUrl"] == HOOK
    types = [a.content_type for a in outcome.artifacts]
    assert types == ["audio/mpeg", "image/jpeg", "audio/mpeg", "image/jpeg"]
    mp3 = await download(ctx, str(outcome.artifacts[0].url))
    assert mp3[:3] == b"ID3" or mp3[0] == 0xFF
    assert len(mp3) > 4000
    jpeg = await download(ctx, str(outcome.artifacts[1].url))
    assert jpeg[:2] == b"\xff\xd8"
    clips = (outcome.result or {})["clips"]
    assert [c["id"] for c in clips] == ["task_a-1", "task_a-2"]
    assert all(c["upstream_id"] and c["upstream_model"] == "V4_5" for c in clips)
    assert clips[0]["upstream_task_id"] == next(iter(fake.tasks))


async def test_custom_mode_sends_lyrics_style_and_title(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    _, done = await song(
        fake,
        ctx,
        prompt="[Verse]\nSalt on the window",
        style="folk",
        title="Harbour",
        tags="metal",
        gender="male",
    )
    sent = fake.requests[0][1]
    assert sent["customMode"] is True
    assert (sent["prompt"], sent["style"], sent["title"], sent["negativeTags"]) == (
        "[Verse]\nSalt on the window",
        "folk",
        "Harbour",
        "metal",
    )
    assert sent["vocalGender"] == "m"
    assert (done.result or {})["clips"][0]["title"] == "Harbour"


async def test_extend_a_clip_of_an_earlier_task(fake: FakeSuno, ctx: ProviderContext) -> None:
    origin, done = await song(fake, ctx)
    extend = job(
        "/api/v1/audio/music/extend",
        parent=as_parent(origin, done),
        variant="chirp-v3-5",  # the source's model wins: the reseller insists on it
        task_id="task_b",
        origin_task_id="task_a",
        extend_audio_index=1,
        custom_mode=True,
        prompt="[Bridge]\nand the tide comes home",
        extensionStartTime=2,
    )
    _, outcome = await finish(provider(fake.url), extend, ctx)
    assert isinstance(outcome, Succeeded), outcome
    path, sent = fake.requests[-1]
    assert path == "/api/v1/generate/extend"
    source = (done.result or {})["clips"][1]
    assert sent["audioId"] == source["upstream_id"]
    assert (sent["model"], sent["defaultParamFlag"], sent["continueAt"]) == ("V4_5", True, 2)
    assert (sent["style"], sent["title"]) == (source["tags"], source["title"])
    assert [c["id"] for c in (outcome.result or {})["clips"]] == ["task_b-1", "task_b-2"]


async def test_upload_cover_hands_the_reseller_our_public_file_url(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    _, done = await song(fake, ctx)
    audio = str(done.artifacts[0].url)
    upload = job(
        "/api/v1/audio/music/upload-cover/generate",
        parent={"audio_url": audio.removeprefix(fake.url)},  # as the gateway's /files/ path
        variant="chirp-v5",
        audio_id="f_1",
        custom_mode=False,
        prompt="as a jazz trio",
    )
    _, outcome = await finish(provider(fake.url, public_base_url=fake.url), upload, ctx)
    assert isinstance(outcome, Succeeded), outcome
    path, sent = fake.requests[-1]
    assert path == "/api/v1/generate/upload-cover"
    assert sent["uploadUrl"] == audio and sent["model"] == "V5"
    sent_before = len(fake.requests)
    refused = await provider(fake.url).submit(upload, ctx)
    assert isinstance(refused, Failed) and refused.code == "not_configured"
    assert len(fake.requests) == sent_before  # refused before anything went out


async def test_cover_art_gives_two_images_once_per_song(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    origin, done = await song(fake, ctx)
    cover = job(
        "/api/v1/audio/music/cover/generate",
        parent=as_parent(origin, done),
        variant=None,
        task_id="task_c",
    )
    _, outcome = await finish(provider(fake.url), cover, ctx)
    assert isinstance(outcome, Succeeded)
    assert outcome.result == {"images": ["artifact:0", "artifact:1"]}
    png = await download(ctx, str(outcome.artifacts[0].url))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    again = await provider(fake.url).submit(cover, ctx)  # the reseller's 400 + its taskId
    assert isinstance(again, Submitted)
    assert again.upstream_id == fake.tasks[fake.requests[-2][1]["taskId"]].cover


async def test_timestamped_lyrics_answer_at_submission(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    origin, done = await song(fake, ctx, prompt="[Verse]\nSalt on the window", style="folk")
    lyrics = job(
        "/api/v1/audio/music/timestamped-lyrics",
        parent=as_parent(origin, done),
        variant=None,
        task_id="task_l",
        audio_id="task_a-2",
    )
    outcome = await provider(fake.url).submit(lyrics, ctx)
    assert isinstance(outcome, Succeeded), outcome
    result = dict(outcome.result or {})
    assert result["text"] == "[Verse]\nSalt on the window"
    assert result["lyricParams"][0]["type"] == "segment_break"
    assert [p["text"] for p in result["lyricParams"][1:]] == ["Salt", "on", "the", "window"]
    assert result["lyricParams"][1]["start"] == 1.0 and result["waveform"]
    assert fake.requests[-1][1]["audioId"] == (done.result or {})["clips"][1]["upstream_id"]


# -- the fake's knobs -----------------------------------------------------------------


async def test_a_sensitive_prompt_fails_without_retry(fake: FakeSuno, ctx: ProviderContext) -> None:
    _, outcome = await finish(provider(fake.url), job(gpt_description_prompt="suno:sensitive"), ctx)
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.code == "upstream_content_refused" and "SENSITIVE_WORD_ERROR" in outcome.message


async def test_a_failed_generation(fake: FakeSuno, ctx: ProviderContext) -> None:
    _, outcome = await finish(provider(fake.url), job(gpt_description_prompt="suno:fail"), ctx)
    assert isinstance(outcome, Failed) and outcome.code == "upstream_failed"
    assert "GENERATE_AUDIO_FAILED" in outcome.message


async def test_call_frequency_too_high_is_retryable_then_works(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    p, j = provider(fake.url), job(gpt_description_prompt="suno:430 a song")
    first = await p.submit(j, ctx)
    assert isinstance(first, Failed) and first.retryable and first.code == "upstream_rate_limited"
    assert "frequency" in first.message and fake.submissions == 0
    assert isinstance(await p.submit(j, ctx), Submitted)


@pytest.mark.parametrize(
    ("magic", "code"),
    [
        ("suno:500", "upstream_unavailable"),
        ("suno:malformed", "upstream_malformed"),
        ("suno:reset", "upstream_unreachable"),
    ],
)
async def test_transient_submission_failures_are_retryable(
    fake: FakeSuno, ctx: ProviderContext, magic: str, code: str
) -> None:
    outcome = await provider(fake.url).submit(job(gpt_description_prompt=magic), ctx)
    assert isinstance(outcome, Failed) and outcome.retryable and outcome.code == code


async def test_a_stalled_submission_times_out(fake: FakeSuno, ctx: ProviderContext) -> None:
    started = time.monotonic()
    outcome = await provider(fake.url, timeout=0.5).submit(
        job(gpt_description_prompt="suno:stall"), ctx
    )
    assert time.monotonic() - started < 15  # the timeout ended it, not the fake's 30-s stall
    assert isinstance(outcome, Failed) and outcome.code == "upstream_unreachable"


async def test_a_wrong_key_is_not_retried_and_never_echoed(
    fake: FakeSuno, ctx: ProviderContext
) -> None:
    wrong = "sk-wrong-key-that-must-not-leak-000"
    outcome = await provider(fake.url, token=wrong).submit(job(gpt_description_prompt="x"), ctx)
    assert isinstance(outcome, Failed) and not outcome.retryable
    assert outcome.code == "upstream_auth_failed" and wrong not in outcome.message


async def test_a_poll_during_an_outage_keeps_the_task(ctx: ProviderContext) -> None:
    async with FakeSuno(token=TOKEN) as fake:
        p = provider(fake.url)
        submitted = await p.submit(job(gpt_description_prompt="x"), ctx)
        assert isinstance(submitted, Submitted)
    outcome = await p.poll(job(), submitted.upstream_id, None, ctx)
    assert isinstance(outcome, Running) and outcome.state is not None


async def test_the_standalone_fake_counts_tasks(tmp_path: Path, ctx: ProviderContext) -> None:
    counter = tmp_path / "tasks.log"
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.fakes.suno"),
            *("--counter-file", str(counter), "--token", TOKEN, "--polls", "2"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 30)
        url = line.strip().removeprefix("FAKE_SUNO_URL=")
        assert url.startswith("http://127.0.0.1:")
        _, outcome = await finish(provider(url), job(gpt_description_prompt="x"), ctx)
        assert isinstance(outcome, Succeeded)
        assert len(counter.read_text().splitlines()) == 1
    finally:
        process.terminate()
        process.wait(10)
