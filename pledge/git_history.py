"""SLA files' revisions from git: the one module that runs ``git``.

For an SLA file in a git work tree, ``git log --follow --first-parent`` gives every committed version
of the file on the branch (renames followed; a change made on another branch is accepted by its merge);
each version is read as pledge reads SLA files (pledge.files: one file may hold
several SLAs, keyed by namespace/name) and numbered by pledge.sla.revisions: commit hash, author
("name <email>"), committer time as the moment accepted, the message's first line as the reason,
tool "git". A working-tree version that differs from the last commit is a final revision marked
uncommitted. Without git (not a work tree, or git not installed) the current definition is
revision 1 and the history says "no history: the current definition is the only one known".

Lives above pledge.files (it reads with it) and outside the pure core: pledge.sla does no I/O."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, BinaryIO, Final

from pledge.files import Found, check, check_file
from pledge.sla import ServiceLevelAgreement, SpecError
from pledge.sla.identity import SLARef
from pledge.sla.revisions import NO_HISTORY, UNCOMMITTED, History, Proposed, current_only, numbered, spec_of

TIMEOUT: Final = 30.0
_FIELD, _RECORD = "\x1f", "\x00"
_ENV: Final = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_PAGER": "cat"}


class GitError(RuntimeError):
    """git ran and failed, or took too long: the message says which command, where and why."""


class NoGit(GitError):
    """There is no history to read: git is not installed, or the path is not in a work tree."""


def _git(cwd: Path, *args: str, stdin: bytes | None = None, timeout: float = TIMEOUT) -> bytes:
    command = ["git", "-c", "core.quotepath=off", "--no-pager", *args]
    try:
        done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, timeout=timeout, check=False,
                              env={**os.environ, **_ENV})
    except FileNotFoundError:
        raise NoGit("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {args[0]}` in {cwd} took longer than {timeout:g} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        if "not a git repository" in message:
            raise NoGit(f"{cwd} is not in a git work tree")
        if "dubious ownership" in message:
            raise GitError(f"git refuses the repository at {cwd}: it belongs to another user (git config --global "
                           f"--add safe.directory PATH trusts it): {message}")
        raise GitError(f"`git {' '.join(args[:2])}` in {cwd} failed: {message}")
    return done.stdout


def work_tree(folder: Path, timeout: float = TIMEOUT) -> Path:
    """The top folder of the git work tree holding ``folder``; NoGit when there is none."""
    out = _git(folder, "rev-parse", "--is-inside-work-tree", "--show-toplevel", timeout=timeout)
    inside, _, top = out.decode("utf-8").strip().partition("\n")
    if inside != "true":
        raise NoGit(f"{folder} is not in a git work tree")
    return Path(top)


@dataclass(frozen=True)
class Commit:
    """One commit that changed the file, and the file's path in it (relative to the work tree)."""

    sha: str
    author: str
    committed: dt.datetime
    subject: str
    path: str


def commits(top: Path, relative: str, timeout: float = TIMEOUT) -> list[Commit]:
    """The commits of the file's history on the current branch's first-parent line, oldest first,
    renames followed: a change made on another branch is accepted when it is merged, by the merge."""
    out = _git(top, "log", "--follow", "--first-parent", "--no-color", "--name-only",
               "--format=%x00%H%x1f%an%x1f%ae%x1f%ct%x1f%s", "--", relative, timeout=timeout)
    found: list[Commit] = []
    path = relative  # newest first: a commit that lists no name has the file where the newer one did
    for record in out.decode("utf-8", "replace").split(_RECORD):
        if not record.strip():
            continue
        header, *rest = record.split("\n")
        names = [line for line in rest if line.strip()]
        sha, name, email, seconds, subject = header.split(_FIELD)
        author = f"{name} <{email}>" if email else name
        path = names[-1] if names else path
        found.append(Commit(sha, author, dt.datetime.fromtimestamp(int(seconds), dt.UTC), subject, path))
    return found[::-1]


def changed_since(folder: Path, since: float, timeout: float = TIMEOUT) -> set[Path] | None:
    """The files under ``folder`` that may have a revision accepted at or after ``since``: changed by a
    first-parent commit since then (a merge: by what it brought), or differing from the last commit.
    One ``git log`` and one ``git status`` for the whole folder; None without git (no history)."""
    try:
        top = work_tree(folder, timeout)
    except NoGit:
        return None
    where = os.path.relpath(folder.resolve(), top.resolve())
    moment = dt.datetime.fromtimestamp(since, dt.UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    logged = _git(top, "log", "--first-parent", "--diff-merges=first-parent", "--no-color", "--name-only",
                  "--format=", f"--since={moment}", "--", where, timeout=timeout)
    edited = _git(top, "status", "--porcelain", "-z", "--untracked-files=all", "--", where, timeout=timeout)
    names = [line for line in logged.decode("utf-8", "replace").splitlines() if line.strip()]
    names += [entry[3:] for entry in edited.decode("utf-8", "replace").split("\0") if len(entry) > 3]
    return {(top / name).resolve() for name in names}


def blobs(top: Path, objects: list[str], timeout: float = TIMEOUT) -> list[bytes | None]:
    """The content of each ``commit:path`` (None where the commit has no such file), from one
    ``git cat-file --batch``."""
    if not objects:
        return []
    out = _git(top, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in objects).encode("utf-8"), timeout=timeout)
    found: list[bytes | None] = []
    position = 0
    for _ in objects:
        end = out.index(b"\n", position)
        header = out[position:end].decode("utf-8", "replace").split(" ")
        position = end + 1
        if len(header) < 3 or header[-1] == "missing" or header[1] != "blob":
            found.append(None)
            continue
        size = int(header[2])
        found.append(out[position:position + size])
        position += size + 1
    return found


class _Blob(Traversable):
    """A file's content at one commit, for pledge.files' reader (which reads Traversables)."""

    def __init__(self, name: str, data: bytes) -> None:
        self._name, self._data = name, data

    @property
    def name(self) -> str:
        return self._name

    def read_bytes(self) -> bytes:
        return self._data

    def read_text(self, encoding: str | None = None) -> str:
        return self._data.decode(encoding or "utf-8")

    def iterdir(self) -> Iterator[Traversable]:
        return iter(())

    def is_dir(self) -> bool:
        return False

    def is_file(self) -> bool:
        return True

    def joinpath(self, *descendants: str | os.PathLike[str]) -> Traversable:
        raise NotADirectoryError(self._name)

    def __truediv__(self, child: str | os.PathLike[str]) -> Traversable:
        raise NotADirectoryError(self._name)

    def open(self, mode: str = "r", *args: Any, **kwargs: Any) -> BinaryIO:  # type: ignore[override]
        return io.BytesIO(self._data)


def _slas(data: bytes, source: str, notes: list[str]) -> dict[SLARef, ServiceLevelAgreement]:
    """The valid SLAs of one version of a file; its problems become one note."""
    scan = check_file(_Blob(Path(source).name, data), source)
    if scan.errors:
        first = scan.errors[0]
        more = f" and {len(scan.errors) - 1} more problem(s)" if len(scan.errors) > 1 else ""
        notes.append(f"{source}: {first.text()}{more}; the SLAs it defines there are left out")
    return {found.sla.ref: found.sla for found in scan.slas}


def file_histories(path: Path, timeout: float = TIMEOUT) -> dict[SLARef, History]:
    """Every SLA the file defines now (its working-tree version), each with its revisions from git.

    NoGit is never raised: without git each SLA's history is its current definition, flagged."""
    notes: list[str] = []
    current = _slas(path.read_bytes(), str(path), notes)
    try:
        top = work_tree(path.resolve().parent, timeout)
    except NoGit as exc:
        return {ref: current_only(sla, f"{NO_HISTORY} ({exc})", str(path)) for ref, sla in current.items()}
    relative = path.resolve().relative_to(top.resolve()).as_posix()
    found = commits(top, relative, timeout)
    contents = blobs(top, [f"{c.sha}:{c.path}" for c in found], timeout)
    proposed: dict[SLARef, list[Proposed]] = {ref: [] for ref in current}
    for commit, data in zip(found, contents):
        if data is None:  # the file was deleted in this commit
            continue
        for ref, sla in _slas(data, f"{commit.path}@{commit.sha[:12]}", notes).items():
            if ref in proposed:
                proposed[ref].append(Proposed(spec_of(sla), commit.committed, commit.author, "git", commit.subject,
                                              commit.sha))
    if not contents or contents[-1] != path.read_bytes():
        changed = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        for ref, sla in current.items():
            proposed[ref].append(Proposed(spec_of(sla), changed, None, None, UNCOMMITTED, None, uncommitted=True))
    return {ref: History(ref, tuple(numbered(each)), source=str(path), notes=tuple(notes))
            for ref, each in proposed.items()}


def sla_history(path: Path, sla: ServiceLevelAgreement, timeout: float = TIMEOUT) -> History:
    """One SLA's history from the file that defines it; its current definition alone if the file
    no longer does (flagged)."""
    found = file_histories(path, timeout).get(sla.ref)
    return found if found is not None else current_only(sla, f"{NO_HISTORY} ({path} no longer defines it)", str(path))


def histories(paths: Iterable[Path], timeout: float = TIMEOUT) -> tuple[list[History], list[SpecError]]:
    """The history of every SLA under ``paths`` (read as `pledge validate` reads them), in the order
    found; the files' problems as SpecErrors (an SLA with problems has no history shown)."""
    scan = check(tuple(paths))
    by_file: dict[str, list[Found]] = {}
    for found in scan.slas:
        by_file.setdefault(found.file, []).append(found)
    result: list[History] = []
    for file, founds in by_file.items():
        each = file_histories(Path(file), timeout)
        result += [each.get(f.sla.ref) or current_only(f.sla, source=file) for f in founds]
    return result, scan.spec_errors()
