"""Revisions of SLA files from a real git repository in a temporary folder (pledge.git_history), and
`pledge history` over it: commits at fixed instants, a rename followed, an uncommitted edit last; a
folder outside git, and no git at all, give the current definition alone, flagged."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledge.commands.main import main
from pledge.git_history import GitError, NoGit, file_histories, histories, work_tree
from pledge.sla.identity import SLARef
from pledge.sla.revisions import NO_HISTORY, UNCOMMITTED, History, in_force
from tests.support.gitrepo import Repo, sla_yaml

CHECKOUT = SLARef("shop", "checkout")
EDITED = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)  # the uncommitted edit's mtime, set by the test


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """Created, target raised, described, moved with git mv; then an SLI query edited, not committed."""
    repo = Repo(tmp_path / "slas")
    repo.write("shop.yaml", sla_yaml())
    repo.commit("checkout SLA", "2026-11-01T00:00:00Z")
    repo.write("shop.yaml", sla_yaml(target="99.95"))
    repo.commit("raise availability to 99.95 (contract amendment 7)", "2026-11-30T10:00:00Z", "Bob", "bob@example.com")
    repo.write("shop.yaml", sla_yaml(target="99.95", description="the shop's checkout"))
    repo.commit("describe checkout", "2026-12-02T09:00:00Z")
    repo.git("mv", "shop.yaml", "checkout.yaml")
    repo.commit("one file per SLA", "2026-12-03T09:00:00Z")
    edited = repo.write("checkout.yaml", sla_yaml(target="99.95", description="the shop's checkout",
                                                  errors='http_requests_total{service="checkout",code=~"5..|429"}'))
    os.utime(edited, (EDITED.timestamp(), EDITED.timestamp()))
    return repo


def test_every_committed_version_then_the_uncommitted_edit(repo: Repo) -> None:
    [history] = file_histories(repo.path / "checkout.yaml").values()
    assert history.known and history.note is None and history.ref == CHECKOUT
    shas = repo.git("log", "--format=%H", "--reverse").split()
    found = [(r.number, r.kind, r.accepted_at, r.author, r.tool, r.reason, r.commit, r.uncommitted, r.changes)
             for r in history.revisions]
    assert found == [
        (1, "created", utc("2026-11-01T00:00:00Z"), "Alice <alice@example.com>", "git", "checkout SLA", shas[0], False, ()),
        (2, "budget-critical", utc("2026-11-30T10:00:00Z"), "Bob <bob@example.com>", "git",
         "raise availability to 99.95 (contract amendment 7)", shas[1], False, ("objectives[availability].target",)),
        (3, "cosmetic", utc("2026-12-02T09:00:00Z"), "Alice <alice@example.com>", "git", "describe checkout", shas[2],
         False, ("description",)),
        # the rename (shas[3]) changed no definition: no revision, and the versions before it were followed
        (4, "sli", EDITED, None, None, UNCOMMITTED, None, True, ("objectives[availability].sli.ratio.errors",)),
    ]
    assert history.revisions[1].spec["objectives"][0]["target"] == "99.95"
    assert history.revisions[0].spec["objectives"][0]["target"] == "99.9"


@pytest.mark.parametrize(("moment", "number"), [
    ("2026-10-31T23:59:59Z", None), ("2026-11-15T00:00:00Z", 1), ("2026-11-30T10:00:00Z", 2),
    ("2026-12-03T00:00:00Z", 3), ("2026-12-05T00:00:00Z", 4),
])
def test_the_revision_in_force_at_an_instant(repo: Repo, moment: str, number: int | None) -> None:
    [history] = file_histories(repo.path / "checkout.yaml").values()
    found = in_force(history.revisions, utc(moment))
    assert (found.number if found is not None else None) == number


def test_a_committed_work_tree_has_no_uncommitted_revision(repo: Repo) -> None:
    repo.commit("count 429 as an error", "2026-12-05T08:00:00Z")
    [history] = file_histories(repo.path / "checkout.yaml").values()
    assert [(r.number, r.kind, r.uncommitted, r.reason) for r in history.revisions][-1] == (
        4, "sli", False, "count 429 as an error")


def test_a_change_made_on_a_branch_is_accepted_by_its_merge(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("shop.yaml", sla_yaml())
    repo.commit("checkout SLA", "2026-11-01T00:00:00Z")
    repo.git("checkout", "-q", "-b", "amendment")
    repo.write("shop.yaml", sla_yaml(target="99.95"))
    repo.commit("raise target", "2026-11-02T00:00:00Z", "Bob", "bob@example.com")
    repo.git("checkout", "-q", "main")
    repo.git("mv", "shop.yaml", "checkout.yaml")
    repo.commit("one file per SLA", "2026-11-03T00:00:00Z")
    repo.git("merge", "-q", "--no-ff", "--no-gpg-sign", "amendment", "-m", "Merge pull request #7 from amendment",
             at="2026-11-04T00:00:00Z", author="Carol", email="carol@example.com")
    [history] = file_histories(repo.path / "checkout.yaml").values()
    assert [(r.number, r.kind, r.accepted_at, r.author, r.reason) for r in history.revisions] == [
        (1, "created", utc("2026-11-01T00:00:00Z"), "Alice <alice@example.com>", "checkout SLA"),
        (2, "budget-critical", utc("2026-11-04T00:00:00Z"), "Carol <carol@example.com>",
         "Merge pull request #7 from amendment")]


def test_several_slas_in_one_file_each_have_their_own_revisions(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("all.yaml", sla_yaml() + "---\n" + sla_yaml("cart"))
    repo.commit("two SLAs", "2026-11-01T00:00:00Z")
    repo.write("all.yaml", "{not: [valid\n")
    repo.commit("broken", "2026-11-02T00:00:00Z")
    repo.write("all.yaml", sla_yaml() + "---\n" + sla_yaml("cart", target="99"))
    repo.commit("cart to 99", "2026-11-03T00:00:00Z")
    found = file_histories(repo.path / "all.yaml")
    assert [(r.number, r.kind, r.reason) for r in found[CHECKOUT].revisions] == [(1, "created", "two SLAs")]
    assert [(r.number, r.kind, r.reason) for r in found[SLARef("shop", "cart")].revisions] == [
        (1, "created", "two SLAs"), (2, "budget-critical", "cart to 99")]
    [note] = found[CHECKOUT].notes
    assert note.startswith("all.yaml@") and "not valid YAML" in note and "left out" in note


def test_an_sla_added_to_a_file_starts_at_its_first_commit(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("all.yaml", sla_yaml())
    repo.commit("checkout", "2026-11-01T00:00:00Z")
    repo.write("all.yaml", sla_yaml() + "---\n" + sla_yaml("cart"))
    repo.commit("and cart", "2026-11-05T00:00:00Z")
    found = file_histories(repo.path / "all.yaml")
    assert [(r.number, r.accepted_at) for r in found[SLARef("shop", "cart")].revisions] == [(1, utc("2026-11-05T00:00:00Z"))]
    assert [r.number for r in found[CHECKOUT].revisions] == [1]


def test_an_untracked_file_in_a_work_tree_is_one_uncommitted_revision(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.write("other.txt", "x")
    repo.commit("start", "2026-11-01T00:00:00Z")
    repo.write("new.yaml", sla_yaml())
    [history] = file_histories(repo.path / "new.yaml").values()
    assert history.known and [(r.number, r.kind, r.uncommitted) for r in history.revisions] == [(1, "created", True)]


def only_current(history: History, reason: str) -> None:
    assert not history.known and history.note == f"{NO_HISTORY} ({reason})"
    [revision] = history.revisions
    assert (revision.number, revision.kind, revision.tool, revision.accepted_at) == (1, "created", None, None)


def test_outside_a_work_tree_the_current_definition_is_the_only_one(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "shop.yaml").write_text(sla_yaml(), encoding="utf-8")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never a work tree tmp_path may sit in
    with pytest.raises(NoGit):
        work_tree(folder)
    [history] = file_histories(folder / "shop.yaml").values()
    only_current(history, f"{folder.resolve()} is not in a git work tree")


def test_without_git_installed_the_current_definition_is_the_only_one(repo: Repo, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    [history] = file_histories(repo.path / "checkout.yaml").values()
    only_current(history, "git is not installed")


def test_git_failing_is_a_clear_error(repo: Repo) -> None:
    for each in (repo.path / ".git" / "objects").iterdir():  # a repository whose commits are lost
        if each.name not in ("info", "pack"):
            shutil.rmtree(each)
    for each in (repo.path / ".git" / "objects" / "pack").iterdir():
        each.unlink()
    with pytest.raises(GitError) as raised:
        file_histories(repo.path / "checkout.yaml")
    assert str(raised.value).startswith(f"`git log --follow` in {repo.path.resolve()} failed: fatal: bad object HEAD")


def test_histories_of_a_folder_key_each_sla_by_its_current_file(repo: Repo) -> None:
    repo.write("cart.yaml", sla_yaml("cart"))
    repo.commit("cart", "2026-12-06T00:00:00Z")
    found, errors = histories([repo.path])
    assert errors == []
    assert [(str(h.ref), len(h.revisions), Path(h.source or "").name) for h in found] == [
        ("shop/cart", 1, "cart.yaml"), ("shop/checkout", 4, "checkout.yaml")]


# -- the command ----------------------------------------------------------------------------------


def test_history_prints_a_table_of_the_revisions(repo: Repo) -> None:
    result = CliRunner().invoke(main, ["history", str(repo.path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in ("shop/checkout", "2026-11-30 10:00", "Bob <bob@example.com>", "budget-critical",
                     "objectives[availability].target: 99.9 -> 99.95", "2026-12-04 12:00 (uncommitted)",
                     "uncommitted change", "description: added the shop's checkout"):
        assert expected in out, (expected, out)
    assert "note:" not in out


def test_history_as_json(repo: Repo) -> None:
    result = CliRunner().invoke(main, ["history", str(repo.path / "checkout.yaml"), "--format", "json", "--sla",
                                       "shop/checkout"])
    assert result.exit_code == 0, result.output
    [sla] = json.loads(result.output)
    assert (sla["namespace"], sla["name"], sla["history_known"], sla["note"]) == ("shop", "checkout", True, None)
    second = sla["revisions"][1]
    assert second["accepted_at"] == "2026-11-30T10:00:00Z" and second["kind"] == "budget-critical"
    assert second["diff"] == [{"op": "replace", "path": "/objectives/0/target", "value": "99.95"}]
    assert second["changes_text"] == ["objectives[availability].target: 99.9 -> 99.95"]
    assert second["spec"]["objectives"][0]["target"] == "99.95"
    assert [r["number"] for r in sla["revisions"]] == [1, 2, 3, 4]


def test_history_says_when_there_is_no_history(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(sla_yaml(), encoding="utf-8")
    result = CliRunner().invoke(main, ["history", str(tmp_path)], env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert result.exit_code == 0, result.output
    assert f"note: {NO_HISTORY}" in result.output and "unknown" in result.output


def test_history_errors_are_clear(repo: Repo) -> None:
    unknown = CliRunner().invoke(main, ["history", str(repo.path), "--sla", "nope"])
    assert unknown.exit_code == 1 and "--sla nope: no such SLA" in unknown.output
    repo.write("bad.yaml", sla_yaml(target="100"))
    bad = CliRunner().invoke(main, ["history", str(repo.path)])
    assert bad.exit_code == 1 and 'spec.objectives[0].target: must be between 0 and 100 exclusive' in bad.output
    assert "Traceback" not in bad.output
    missing = CliRunner().invoke(main, ["history", str(repo.path / "missing.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_history_when_git_fails_exits_1_saying_why(repo: Repo) -> None:
    shutil.rmtree(repo.path / ".git" / "objects")
    (repo.path / ".git" / "objects").mkdir()
    result = CliRunner().invoke(main, ["history", str(repo.path)])
    assert result.exit_code == 1 and "error: `git log --follow` in" in result.output and "Traceback" not in result.output
