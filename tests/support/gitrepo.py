"""A real git repository in a temporary folder, committed at fixed instants (never today's date), and
the SLA files the revision tests commit to it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def sla_yaml(name: str = "checkout", namespace: str = "shop", target: str = "99.9", description: str | None = None,
             errors: str = 'http_requests_total{service="checkout",code=~"5.."}', customer: str | None = None,
             grouping: list[str] | None = None) -> str:
    """One SLA document, calendar month, one availability objective."""
    lines = ["apiVersion: pledge.dev/v1alpha1", "kind: ServiceLevelAgreement",
             f"metadata: {{name: {name}, namespace: {namespace}}}", "spec:", f"  service: {name}"]
    lines += [f"  customer: {customer}"] if customer else []
    lines += [f"  description: {description}"] if description else []
    lines += [f"  grouping: [{', '.join(grouping)}]"] if grouping else []
    lines += ["  window: {calendar: month}", "  objectives:", "    - name: availability", f'      target: "{target}"',
              "      sli:", "        ratio:", f"          errors: '{errors}'",
              f"          total: 'http_requests_total{{service=\"{name}\"}}'"]
    return "\n".join(lines) + "\n"


class Repo:
    """``git init`` in ``path``; each commit at the instant given, by the author given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, at: str = "2026-01-01T00:00:00Z", author: str = "Alice",
            email: str = "alice@example.com") -> str:
        env = {**os.environ, **IDENTITY, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email,
               "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": at,
               "GIT_COMMITTER_DATE": at}
        done = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True,
                              timeout=30)
        return done.stdout.strip()

    def write(self, relative: str, text: str) -> Path:
        file = self.path / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        return file

    def commit(self, message: str, at: str, author: str = "Alice", email: str = "alice@example.com") -> str:
        """Commit everything in the work tree; the commit's hash."""
        self.git("add", "-A", at=at, author=author, email=email)
        self.git("commit", "-q", "--no-gpg-sign", "-m", message, at=at, author=author, email=email)
        return self.git("rev-parse", "HEAD")
