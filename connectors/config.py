"""What the connectors' settings share: values from one mapping only, and errors that name the variable.

Every channel reads its ATENDE_* variables from the ``env`` mapping the composition root hands to
``mount`` (the process environment by default), never from the process environment behind its back: a
test's mapping is never mixed with the real environment, and ``atende serve`` sees exactly one source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from connectors.base import ConfigError


class MappingSettings(BaseSettings):
    """Base of each connector's settings model: only the keyword arguments count, no other source."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def prefixed(env: Mapping[str, str], prefix: str, fields: Iterable[str]) -> dict[str, Any]:
    """The non-blank ``<prefix><FIELD>`` variables of ``env``, keyed by field name."""
    return {f: env[prefix + f.upper()] for f in fields if env.get(prefix + f.upper(), "").strip()}


def invalid_settings(channel: str, prefix: str, exc: ValidationError) -> ConfigError:
    """One ConfigError naming every invalid variable; it never echoes a value (it may be a token)."""
    problems = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "?"
        problems.append(f"{prefix}{field.upper()}: {_why(err)}")
    return ConfigError(f"invalid {channel} settings: " + "; ".join(problems))


def _why(err: Any) -> str:
    if err.get("type") == "string_pattern_mismatch":
        return "has the wrong format"
    if err.get("type") == "string_too_short":
        return "is too short"
    return str(err.get("msg", "invalid"))
