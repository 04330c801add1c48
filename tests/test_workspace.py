"""The workspace a long-running process keeps between builds: what it reuses, and that reusing changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from briefing.build import build
from briefing.config import load_config
from briefing.errors import Collector, ContentError
from briefing.workspace import FileDigests, Workspace


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _pdf_sizes(project: Path, out: Path) -> dict[str, int]:
    """The sizes of what a book is bound from: the full briefs, and its own parts in the cache."""
    sizes = {p.name: p.stat().st_size for p in (out / "pdf").glob("*.pdf")
             if not p.name.endswith("-handout.pdf") and p.name != "briefing-book.pdf"}
    sizes.update((f"part {p.name}", p.stat().st_size) for p in (project / ".cache" / "book-parts").glob("*.pdf"))
    return sizes


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_result_is_reused_only_for_the_same_objects_and_equal_values() -> None:
    workspace = Workspace()
    calls: list[str] = []
    source, other = object(), object()

    def compute(name: str):
        return lambda: calls.append(name) or name

    assert workspace.recall("stage", compute("first"), same=(source,), equal=("a",)) == "first"
    assert workspace.recall("stage", compute("again"), same=(source,), equal=("a",)) == "first"
    assert workspace.recall("stage", compute("other object"), same=(other,), equal=("a",)) == "other object"
    assert workspace.recall("stage", compute("other value"), same=(source,), equal=("b",)) == "other value"
    assert workspace.recall("another stage", compute("another stage"), same=(source,), equal=("a",)) == "another stage"
    assert calls == ["first", "other object", "other value", "another stage"]
    assert workspace.reused["stage"] == 1 and workspace.computed["stage"] == 3


def test_a_reused_result_reports_again_what_its_computation_reported() -> None:
    workspace = Workspace()

    def checked(collector: Collector):
        def compute():
            collector.warning("profiles/a.yaml", 3, "as_of", "stale")
            collector.error("profiles/a.yaml", 7, "quotes[0].text", "not in the source")
            return "result"
        return compute

    first, second = Collector(), Collector()
    workspace.recall("verified", checked(first), equal=("a",), collector=first)
    workspace.finish_build(succeeded=False)
    assert workspace.recall("verified", lambda: pytest.fail("recomputed"), equal=("a",), collector=second) == "result"
    assert second.diagnostics == first.diagnostics and len(second.errors) == 1


def test_a_build_keeps_only_what_it_used() -> None:
    workspace = Workspace()
    workspace.recall("stage", lambda: "a", equal=("a",))
    workspace.recall("stage", lambda: "b", equal=("b",))
    workspace.finish_build(succeeded=True)
    workspace.recall("stage", lambda: "a again", equal=("a",))
    workspace.finish_build(succeeded=True)
    assert workspace.recall("stage", lambda: "a recomputed", equal=("a",)) == "a"
    assert workspace.recall("stage", lambda: "b recomputed", equal=("b",)) == "b recomputed"


def test_equal_configurations_become_the_same_object() -> None:
    workspace = Workspace()
    config = workspace.canonical(load_config(Path(__file__).resolve().parent.parent / "config.yaml"))
    again = load_config(config.project / "config.yaml")
    assert again is not config and workspace.canonical(again) is config


def test_file_digests_trust_a_stamp_only_once_it_is_old_enough(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import briefing.workspace as workspace_module

    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    digests = FileDigests()

    def in_a_build(path: Path) -> bytes:
        try:
            return digests.of(path)
        finally:
            digests.settle()

    profile = tmp_path / "profile.yaml"
    profile.write_text("a: 1\n")
    first = in_a_build(profile)
    # Stamped just now, it may change again within the same clock tick, unseen: read every time.
    assert [in_a_build(profile) for _ in range(2)] == [first, first] and len(reads) == 3
    an_hour_later = time.time_ns() + 3600 * 10**9
    monkeypatch.setattr(workspace_module.time, "time_ns", lambda: an_hour_later)
    assert [in_a_build(profile) for _ in range(3)] == [first] * 3
    assert len(reads) == 4  # read once more, then trusted by its stat signature
    profile.write_text("a: 2\n")
    assert in_a_build(profile) != first and len(reads) == 5


def test_one_build_sees_each_file_once_as_it_was_then(tmp_path: Path) -> None:
    """The stages of one build agree with the fingerprint it records; the next build sees the change."""
    digests = FileDigests()
    profile = tmp_path / "profile.yaml"
    profile.write_text("a: 1\n")
    first = digests.of(profile)
    profile.write_text("a: 2\n")
    assert digests.of(profile) == first and digests.find(profile) == first
    assert digests.of_folder(tmp_path) == (("profile.yaml", first),)
    digests.settle()
    assert digests.of(profile) != first


def test_file_digests_noted_in_a_store_are_trusted_by_a_later_process_on_the_same_terms(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefing.workspace as workspace_module
    from briefing.buildcache import JsonStore

    reads: list[Path] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or real(self))
    article, other = tmp_path / "article.txt", tmp_path / "other.txt"
    article.write_text("Kerry said so.\n")
    other.write_text("Lavrov said so.\n")

    def digests_in_a_new_process() -> tuple[bytes, bytes]:
        store = JsonStore(tmp_path / "digests.sqlite", "digests")
        try:
            digests = FileDigests(store)
            return digests.of(article), digests.of(other)
        finally:
            store.close()

    first = digests_in_a_new_process()
    assert len(reads) == 2  # stamped just now: read, and not noted
    an_hour_later = time.time_ns() + 3600 * 10**9
    monkeypatch.setattr(workspace_module.time, "time_ns", lambda: an_hour_later)
    assert digests_in_a_new_process() == first and len(reads) == 4  # old enough now: read once more, and noted
    assert digests_in_a_new_process() == first and len(reads) == 4  # a later process trusts the noted digests
    article.write_text("Kerry said otherwise.\n")
    assert digests_in_a_new_process()[0] != first[0] and len(reads) == 5


@pytest.mark.parametrize("pdf", [False, True], ids=["html", "html-and-pdf"])
def test_builds_with_a_kept_workspace_write_what_fresh_builds_write(project: Path, tmp_path: Path,
                                                                   pdf: bool) -> None:
    """A serve session's rebuilds after every kind of edit, against a build from nothing of the same files."""
    from briefing.binding import LiveBinder

    workspace = Workspace(kept=True)
    served = tmp_path / "served"
    build(load_config(project / "config.yaml"), out=served, pdf=pdf)
    if pdf:
        workspace.binder = LiveBinder()
    # The output is up to date, but a kept workspace's first build fills it (and warms the binder).
    result = build(load_config(project / "config.yaml"), out=served, pdf=pdf, workspace=workspace)
    assert result.rebuilt == () and workspace.computed["verified"] == 5
    sizes_before = _pdf_sizes(project, served)
    edits = [
        ("profile", lambda: _edit(project / "profiles" / "sanctions.yaml", "summary: |\n  ", "summary: |\n  Edited. ")),
        ("article", lambda: _edit(project / "seeds" / "004_5cd4a6c8c7127bd8.txt", "\n\n", "\n\nAn added paragraph.\n\n")),
        ("actors", lambda: _edit(project / "actors.yaml", "aliases: [Russia, ", "aliases: [Russia, the Kremlin, ")),
        ("template", lambda: _edit(project / "templates" / "brief.html", "{% endblock %}",
                                   "<!-- edited -->{% endblock %}")),
        ("config", lambda: _edit(project / "config.yaml", "title: Russia–US Issue Briefs",
                                 "title: Russia–US Briefs")),
    ]
    if pdf:
        edits = edits[:1]  # the PDF path once: a profile edit, the edit the desk makes all day
    for number, (kind, make_edit) in enumerate(edits):
        make_edit()
        config = load_config(project / "config.yaml")
        result = build(config, out=served, pdf=pdf, workspace=workspace)
        assert result.rebuilt, kind
        if kind == "profile":
            # Only the edited profile was read and verified again; everything else was handed back.
            assert workspace.computed["profile"] == 1 and workspace.reused["profile"] == 4
            assert workspace.computed["verified"] == 1 and workspace.reused["verified"] == 4
            assert workspace.computed["sources"] == 0 and workspace.computed["actors"] == 0
            if not pdf:  # the stances page shows the edited brief's column anew, the other four as they were
                assert workspace.computed["stance column"] == 1 and workspace.reused["stance column"] == 4
        fresh = tmp_path / f"fresh-{number}"
        build(config, out=fresh, pdf=pdf, force=True)
        assert _files(served) == _files(fresh), kind
    if pdf:
        binder = workspace.binder
        sizes_after = _pdf_sizes(project, served)
        # Filling the binder sent every brief and part once; the edit sent the edited brief and
        # the book's own parts again, not the four other briefs.
        most = sum(sizes_before.values()) + sizes_after["sanctions.pdf"] + sum(
            size for name, size in sizes_after.items() if name.startswith("part "))
        assert binder.holds_a_book and binder.bytes_sent <= most
        workspace.close()
        assert not binder.holds_a_book


def test_an_error_is_reported_again_by_every_rebuild_until_it_is_fixed(project: Path, tmp_path: Path) -> None:
    workspace = Workspace()
    out = tmp_path / "out"
    build(load_config(project / "config.yaml"), out=out, pdf=False, workspace=workspace)
    before = _files(out)
    profile = project / "profiles" / "sanctions.yaml"
    original = profile.read_text(encoding="utf-8")
    profile.write_text(original.replace("as_of:", "as_of: not a date\nunknown_key:", 1), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ContentError) as raised:
            build(load_config(project / "config.yaml"), out=out, pdf=False, workspace=workspace)
        assert any(d.file == "profiles/sanctions.yaml" for d in raised.value.diagnostics)
        assert _files(out) == before  # the previous site stays up
    profile.write_text(original, encoding="utf-8")
    build(load_config(project / "config.yaml"), out=out, pdf=False, workspace=workspace)
    assert _files(out) == before


def test_files_under_lists_a_folders_files_by_name_then_its_folders_in_turn(tmp_path: Path) -> None:
    from briefing.buildcache import files_under

    for name in ("b.txt", "a.txt", "z/2.txt", "z/1.txt", "m/x/deep.txt", "m/top.txt", "__pycache__/c.pyc",
                 "m/__pycache__/d.pyc", "elsewhere/outside.txt"):
        (tmp_path / "tree" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tree" / name).write_text(name)
    tree = tmp_path / "tree"
    (tree / "link.txt").symlink_to(tree / "a.txt")  # a link to a file is a file
    (tree / "linked-folder").symlink_to(tree / "elsewhere")  # a link to a folder is not followed
    (tree / "broken").symlink_to(tmp_path / "missing")
    assert [path.relative_to(tree).as_posix() for path in files_under(tree)] == [
        "a.txt", "b.txt", "link.txt", "elsewhere/outside.txt", "m/top.txt", "m/x/deep.txt", "z/1.txt", "z/2.txt"]
    assert files_under(tmp_path / "missing") == []
