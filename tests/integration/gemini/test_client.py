"""The Gemini client wrapper on the real google-genai client: timeouts, refusals, usage logs."""

from __future__ import annotations

import logging

import pytest

from pipeline.intelligence.client import GeminiBadAnswer, GeminiClient, GeminiUnavailable, close_client
from pipeline.intelligence.schemas import CritiqueDraft
from tests.fakes.gemini_server import Reply


async def test_a_slow_answer_times_out_and_is_retried(gemini, ai_settings):
    gemini.queue.append(Reply(text='{"score": 0.2}', delay=2.0))
    gemini.reply_json({"score": 0.7})
    client = GeminiClient(ai_settings, timeout=0.3, base_delay=0.01)
    try:
        answer = await client.generate(CritiqueDraft, ["x"], system="s", purpose="critique")
    finally:
        await close_client(client)
    assert answer.score == 0.7 and len(gemini.generate_calls) == 2


async def test_retries_back_off_exponentially_then_give_up(gemini, ai_settings):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    gemini.fail(503, times=4)
    client = GeminiClient(ai_settings, base_delay=0.5, max_attempts=4, sleep=sleep)
    try:
        with pytest.raises(GeminiUnavailable):
            await client.generate(CritiqueDraft, ["x"], system="s", purpose="critique")
    finally:
        await close_client(client)
    assert waits == [0.5, 1.0, 2.0] and len(gemini.generate_calls) == 4


async def test_a_bad_request_is_not_retried(gemini, ai_settings):
    gemini.fail(400)
    client = GeminiClient(ai_settings, base_delay=0.01)
    try:
        with pytest.raises(GeminiUnavailable, match="400"):
            await client.generate(CritiqueDraft, ["x"], system="s", purpose="critique")
    finally:
        await close_client(client)
    assert len(gemini.generate_calls) == 1


async def test_json_of_the_wrong_shape_is_asked_again_then_refused(gemini, ai_settings):
    gemini.reply_json({"issues": ["no score"]})
    gemini.reply_json({"score": "high"})
    client = GeminiClient(ai_settings)
    try:
        with pytest.raises(GeminiBadAnswer):
            await client.generate(CritiqueDraft, ["x"], system="s", purpose="critique")
    finally:
        await close_client(client)
    assert len(gemini.generate_calls) == 2


async def test_usage_and_latency_are_logged_per_call_with_the_project(gemini, ai_settings, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.intelligence.client")
    gemini.queue.append(Reply(text='{"score": 0.9}', prompt_tokens=321, output_tokens=12))
    client = GeminiClient(ai_settings)
    try:
        await client.generate(CritiqueDraft, ["x"], system="s", purpose="critique", project_id="p-42")
    finally:
        await close_client(client)
    record = next(r for r in caplog.records if r.name == "pipeline.intelligence.client")
    assert "321+12 tokens" in record.getMessage() and "project p-42" in record.getMessage()
    assert record.gemini_usage["latency"] >= 0 and record.gemini_usage["model"] == "gemini-2.5-flash"
    sent = gemini.generate_calls[0]
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers.get("x-goog-api-key") == "test-key"
