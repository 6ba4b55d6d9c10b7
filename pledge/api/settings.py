"""`pledge serve` configuration: flags, then PLEDGE_* environment variables, then a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource


class Settings(BaseSettings):
    """Every knob of the API; a config file uses the same names (``prometheus_url: ...``)."""

    model_config = SettingsConfigDict(env_prefix="PLEDGE_", extra="forbid")

    prometheus_url: str = "http://127.0.0.1:9090"
    prometheus_timeout: float = Field(10.0, gt=0, description="seconds per Prometheus call")
    prometheus_retries: int = Field(2, ge=0, le=10, description="retries on 5xx and connection errors")
    prometheus_concurrency: int = Field(16, ge=1, description="Prometheus calls in flight at once")
    prometheus_cache_seconds: float = Field(
        0.0, ge=0, le=300, description="reuse identical Prometheus answers this long; 'now' is then rounded down "
                                       "to it (figures up to that old); 0 = off")
    sla_source: Literal["directory", "kubernetes"] = Field(
        "directory", description="directory: YAML files (sla_dir); kubernetes: ServiceLevelAgreement objects, list + watch")
    sla_dir: Path | None = Field(None, description="directory of SLA YAML files; default: the packaged examples")
    namespace: str | None = Field(None, description="with sla_source kubernetes: only this namespace (default: all)")
    tokens_file: Path | None = Field(None, description="YAML file of hashed bearer tokens (a mounted Secret works)")
    tokens_secret: str | None = Field(None, pattern=r"^[a-z0-9.-]+/[a-z0-9.-]+$",
                                      description="NAMESPACE/NAME of a Secret whose tokens.yaml key holds the tokens; "
                                                  "reloaded when it changes")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65_535)
    retry_after: int = Field(5, ge=1, description="Retry-After seconds when Prometheus is down")
    snapshot_seconds: float = Field(
        30.0, ge=0, le=300, description="seconds between background snapshots of every SLA's figures, which "
                                        "requests without at= answer from (figures up to that old); 0 = off")
    predictions_interval: float = Field(300.0, gt=0, description="seconds between background breach-forecast rounds")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls)


def load_settings(config_file: Path | None = None, **flags: Any) -> Settings:
    """Flags given (not None) win over the environment, which wins over ``config_file``."""
    given = {k: v for k, v in flags.items() if v is not None}
    if config_file is None:
        return Settings(**given)

    class FromFile(Settings):
        model_config = SettingsConfigDict(env_prefix="PLEDGE_", extra="forbid", yaml_file=config_file)

    return Settings.model_validate(FromFile(**given).model_dump())
