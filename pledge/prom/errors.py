"""Errors raised by pledge.prom, so callers can tell an outage from a bad query."""

from __future__ import annotations


class PrometheusError(Exception):
    """Base class: anything that went wrong talking to or running Prometheus."""


class PrometheusUnavailable(PrometheusError):
    """Prometheus could not be reached (refused, timed out, kept answering 5xx, not ready)."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class PrometheusBadResponse(PrometheusError):
    """The server answered, but not with the Prometheus API envelope we expect."""


class PrometheusBadValue(PrometheusBadResponse):
    """A well-formed answer holding a value no figure may be computed from: an infinity (no query of
    pledge's gives one), or a value impossible for its kind of figure (a negative count, an error
    ratio above 1, more bad events than events). ``series`` names the series, ``reason`` what is
    wrong with it; nothing is computed from the answer (the API says both in a 502)."""

    def __init__(self, series: str, reason: str) -> None:
        super().__init__(f"{series}: {reason}")
        self.series = series
        self.reason = reason


class PrometheusQueryError(PrometheusError):
    """Prometheus answered `status: error` (bad PromQL, execution error, timeout)."""

    def __init__(self, error_type: str, error: str) -> None:
        super().__init__(f"{error_type}: {error}")
        self.error_type = error_type
        self.error = error


class PromtoolError(PrometheusError):
    """promtool exited non-zero; the message carries its stderr, which names the problem."""

    def __init__(
        self, command: list[str], returncode: int, stdout: str, stderr: str
    ) -> None:
        detail = stderr.strip() or stdout.strip() or "no output"
        super().__init__(f"{' '.join(command)} exited with {returncode}:\n{detail}")
        self.command = command
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class MissingComponent(PrometheusError):
    """A binary pledge needs is not installed; the message says which package provides it."""

    def __init__(self, binary: str, package: str) -> None:
        super().__init__(
            f"{binary!r} was not found on PATH; install it with `apt-get install -y {package}`"
        )
        self.binary = binary
        self.package = package
