"""A thin, resilient wrapper around google-genai: structured calls, File API uploads, usage logs.

Every call returns a validated pydantic model or raises `GeminiError`; callers fall back to the
offline path on that error. google.genai is imported inside the methods that need it so the CLI
and bots start fast (and local-only runs never load it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class GeminiError(Exception):
    """Gemini couldn't give a usable answer; the caller falls back to the offline path."""


class GeminiUnavailable(GeminiError):
    """Quota, server errors or timeouts outlasted the retries."""


class GeminiBadAnswer(GeminiError):
    """The answer was not the JSON we asked for, even after asking again."""


@dataclass(frozen=True)
class CallUsage:
    purpose: str
    model: str
    prompt_tokens: int
    output_tokens: int
    latency: float  # seconds, including retries
    attempts: int
    project_id: str | None = None


class GeminiClient:
    def __init__(
        self,
        settings: PipelineSettings,
        *,
        max_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        timeout: float = 90.0,
        json_attempts: int = 2,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if settings.gemini_api_key is None:
            raise ValueError("GeminiClient needs settings.gemini_api_key")
        self.settings = settings
        self.model = settings.gemini_model
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.json_attempts = json_attempts
        self._sleep = sleep
        self.usage: list[CallUsage] = []

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[Any]:
        """A google-genai client for one call, closed after it. Its HTTP session belongs to the
        event loop that opened it (a CLI's asyncio.run, a worker's job), so none outlives its
        loop and callers have nothing to close; ~70 ms of set-up is noise next to a model call."""
        from google import genai
        from google.genai import types

        assert self.settings.gemini_api_key is not None
        options = types.HttpOptions(
            api_version="v1beta",
            base_url=self.settings.gemini_base_url,
            timeout=int(self.timeout * 1000),
            # our own backoff below: one place decides, and it is logged
            retry_options=types.HttpRetryOptions(attempts=1),
        )
        client = genai.Client(api_key=self.settings.gemini_api_key.get_secret_value(), http_options=options)
        try:
            yield client
        finally:
            await client.aio.aclose()

    async def _with_backoff(self, what: str, call: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
        from google.genai import errors

        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await asyncio.wait_for(call(), self.timeout), attempt
            except errors.APIError as e:
                if e.code not in RETRY_STATUS:
                    raise GeminiUnavailable(f"{what}: Gemini refused the request ({e.code})") from e
                last = e
            except (TimeoutError, OSError) as e:  # socket-level trouble is as transient as a 503
                last = e
            except Exception as e:  # httpx transport errors and friends
                if type(e).__module__.split(".")[0] not in ("httpx", "httpcore", "aiohttp"):
                    raise
                last = e
            if attempt < self.max_attempts:
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                log.warning("gemini %s failed (%s), retry %d in %.2fs", what, _short(last), attempt, delay)
                await self._sleep(delay)
        raise GeminiUnavailable(
            f"{what}: Gemini unavailable after {self.max_attempts} attempts ({_short(last)})"
        )

    async def generate(
        self,
        schema: type[T],
        contents: Sequence[Any],
        *,
        system: str,
        purpose: str,
        project_id: str | None = None,
        temperature: float = 0.4,
    ) -> T:
        """One structured call: `schema` back, validated. Malformed JSON is asked for again."""
        from google.genai import types

        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=schema,
            temperature=temperature,
        )
        started = time.monotonic()
        attempts = 0
        prompt_tokens = output_tokens = 0
        problem = ""
        for _ in range(self.json_attempts):
            async with self._session() as client:
                response, tries = await self._with_backoff(
                    purpose,
                    lambda: client.aio.models.generate_content(
                        model=self.model, contents=list(contents), config=config
                    ),
                )
            attempts += tries
            meta = response.usage_metadata
            if meta is not None:
                prompt_tokens += meta.prompt_token_count or 0
                output_tokens += meta.candidates_token_count or 0
            parsed = response.parsed if isinstance(response.parsed, schema) else None
            if parsed is None:
                try:
                    parsed = schema.model_validate_json(response.text or "")
                except (ValidationError, ValueError) as e:
                    problem = _short(e)
                    log.warning("gemini %s: malformed answer (%s), asking again", purpose, problem)
                    continue
            self.record(purpose, prompt_tokens, output_tokens, started, attempts, project_id)
            return parsed
        self.record(purpose, prompt_tokens, output_tokens, started, attempts, project_id)
        raise GeminiBadAnswer(f"{purpose}: Gemini's answer was not valid ({problem})")

    async def upload(self, path: Path, sha256: str, mime: str) -> Any:
        """The File API handle for `path`, uploading only if Gemini doesn't already hold it.

        The remote name is derived from the content hash, so a second project (or a retry)
        finds the same file instead of uploading it again."""
        async with self._session() as client:
            return await self._upload(client, path, sha256, mime)

    async def _upload(self, client: Any, path: Path, sha256: str, mime: str) -> Any:
        from google.genai import errors

        name = f"files/mm-{sha256[:36]}"
        try:
            existing, _ = await self._with_backoff("files.get", lambda: client.aio.files.get(name=name))
        except GeminiUnavailable as e:
            if not isinstance(e.__cause__, errors.APIError) or e.__cause__.code not in (403, 404):
                raise
            existing = None
        if existing is not None and str(existing.state).endswith("ACTIVE"):
            return existing
        if existing is None:
            cfg = {"name": name, "mime_type": mime, "display_name": path.name}
            existing, _ = await self._with_backoff(
                "files.upload", lambda: client.aio.files.upload(file=path, config=cfg)
            )
        # videos are processed server-side before they can be used
        for _ in range(60):
            if str(existing.state).endswith("ACTIVE"):
                return existing
            if str(existing.state).endswith("FAILED"):
                raise GeminiUnavailable(f"Gemini could not process {path.name}")
            await self._sleep(min(self.max_delay, 1.0))
            existing, _ = await self._with_backoff("files.get", lambda: client.aio.files.get(name=name))
        raise GeminiUnavailable(f"Gemini is still processing {path.name}")

    def record(
        self, purpose: str, p: int, o: int, started: float, attempts: int, project_id: str | None
    ) -> None:
        usage = CallUsage(
            purpose, self.model, p, o, round(time.monotonic() - started, 3), attempts, project_id
        )
        self.usage.append(usage)
        log.info(
            "gemini %s: %d+%d tokens, %.2fs, %d attempt(s)%s",
            purpose, p, o, usage.latency, attempts, f", project {project_id}" if project_id else "",
            extra={"gemini_usage": usage.__dict__},
        )  # fmt: skip


def _short(e: BaseException | None) -> str:
    text = str(e) if e is not None else "unknown"
    return text.splitlines()[0][:160] if text else type(e).__name__


async def close_client(client: GeminiClient) -> None:
    """Nothing stays open between calls (see GeminiClient._session); kept so callers can be explicit."""
