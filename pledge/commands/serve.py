"""`pledge serve`: the API in the foreground. Loaded by pledge.commands.main when it runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
import yaml
from pydantic import ValidationError

from pledge.api.app import create_app
from pledge.commands.common import note_skipped
from pledge.api.auth import TokenStore
from pledge.api.server import serve_forever
from pledge.api.settings import Settings, load_settings
from pledge.api.sources import Background, DirectorySource, KubernetesSource, SecretTokens, SLASource
from pledge.sla import SpecError
from pledge.sla.errors import describe
from pledge.sla.loader import error_text


def _fail(message: str) -> NoReturn:
    click.secho(message, fg="red", err=True)
    sys.exit(2)


@click.command()
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="YAML file with the same settings (lowest priority).")
@click.option("--prometheus-url", help="Prometheus base URL [env PLEDGE_PROMETHEUS_URL].")
@click.option("--prometheus-timeout", type=float, help="Seconds per Prometheus call [env PLEDGE_PROMETHEUS_TIMEOUT].")
@click.option("--cache-seconds", "prometheus_cache_seconds", type=float,
              help="Share identical Prometheus answers this long, 'now' rounded down to it; 0 = off "
                   "[env PLEDGE_PROMETHEUS_CACHE_SECONDS; default 0].")
@click.option("--snapshot-seconds", type=float,
              help="Seconds between background snapshots of every SLA's figures, which requests without at= "
                   "answer from; 0 = every answer computed at request time [env PLEDGE_SNAPSHOT_SECONDS; default 30].")
@click.option("--sla-source", type=click.Choice(["directory", "kubernetes"]),
              help="Where SLAs come from: YAML files, or ServiceLevelAgreement objects [env PLEDGE_SLA_SOURCE].")
@click.option("--namespace", help="With --sla-source kubernetes: only this namespace [env PLEDGE_NAMESPACE].")
@click.option("--sla-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Directory of SLA YAML files; default: the packaged examples [env PLEDGE_SLA_DIR].")
@click.option("--tokens-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="YAML file of hashed tokens and scopes [env PLEDGE_TOKENS_FILE].")
@click.option("--tokens-secret", metavar="NAMESPACE/NAME",
              help="Secret whose tokens.yaml key holds the tokens, reloaded on change [env PLEDGE_TOKENS_SECRET].")
@click.option("--host", help="Address to listen on [env PLEDGE_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [env PLEDGE_PORT; default 8080].")
def serve(config_file: Path | None, **flags: object) -> None:
    """Serve the HTTP API: SLA status, budgets, burn rates, reports and credits from Prometheus."""
    try:
        settings = load_settings(config_file, **flags)
    except ValidationError as exc:
        said = "\n  ".join(describe(exc)).replace("; fields are camelCase)", ")")  # settings are snake_case
        _fail(f"invalid settings:\n  {said}")
    except yaml.YAMLError as exc:
        _fail(f"{config_file}: not valid YAML: {error_text(exc, config_file.read_text(encoding='utf-8')) if config_file else exc}")
    tokens, token_source = _tokens(settings)
    serve_forever(create_app(_source(settings), tokens, settings, token_source=token_source),
                  settings.host, settings.port)


def _source(settings: Settings) -> SLASource:
    if settings.sla_source == "kubernetes":
        return KubernetesSource(settings.namespace)
    source = DirectorySource(settings.sla_dir)
    try:
        found = source.read()  # fail now, with every problem listed, rather than at start-up
    except SpecError as exc:
        _fail(str(exc))
    note_skipped(found)
    if not found.slas:
        click.secho(f"warning: no SLA in {source.folder}: the API serves none", fg="yellow", err=True)
    return source


def _tokens(settings: Settings) -> tuple[TokenStore, Background | None]:
    if settings.tokens_secret is not None:
        store = TokenStore([])
        return store, SecretTokens(store, settings.tokens_secret)
    if settings.tokens_file is None:
        _fail("no tokens: pass --tokens-file or --tokens-secret (or PLEDGE_TOKENS_FILE, PLEDGE_TOKENS_SECRET); "
              "every route but health needs a bearer token")
    try:
        return TokenStore.from_file(settings.tokens_file), None
    except (OSError, ValueError) as exc:
        _fail(f"cannot read tokens from {settings.tokens_file}: {exc}")
