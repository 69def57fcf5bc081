"""Application settings, read once from the environment (and .env) at each entry point.

Everything below the entry points receives plain settings objects; nothing else reads os.environ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.settings import PipelineSettings


class ConfigError(Exception):
    """A setting the chosen command needs is missing or wrong (shown without a traceback)."""


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # where the embedded defaults keep their state: SQLite file, media folder, caches, renders
    memory_movie_home: Path = Field(default_factory=lambda: Path.home() / ".memory-movie")
    memory_movie_local_only: bool = False  # privacy mode: nothing leaves the machine
    ffmpeg_binary: str | None = None

    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None

    redis_url: str | None = None
    supabase_url: str | None = None
    supabase_service_role_key: SecretStr | None = None

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str | None = None  # a local Bot API server, e.g. http://localhost:8081/bot
    telegram_webhook_url: str | None = None
    discord_bot_token: SecretStr | None = None

    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    def pipeline(self) -> PipelineSettings:
        return PipelineSettings(
            work_dir=self.memory_movie_home,
            ffmpeg=self.ffmpeg_binary,
            gemini_api_key=self.gemini_api_key,
            gemini_model=self.gemini_model,
            gemini_base_url=self.gemini_base_url,
            local_only=self.memory_movie_local_only,
        )
