"""The command line, called in-process: exit codes and the exact lines a user sees."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing import __version__
from briefing.cli import main


@pytest.fixture
def run(project: Path):
    def invoke(*args: str):
        old = os.getcwd()
        os.chdir(project)
        try:
            return CliRunner().invoke(main, list(args))
        finally:
            os.chdir(old)
    return invoke


def test_version(run) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"make-brief, version {__version__}\n"


def test_check_passes_on_the_shipped_project_and_writes_nothing(run, project: Path) -> None:
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 5 profiles, every citation verified; ")
    assert result.stdout.endswith(" relevant quotes in the sources are not used (--coverage lists them)\n")
    assert not (project / "out").exists()


def test_check_reports_one_line_per_problem_and_exits_1(run, project: Path) -> None:
    profile = project / "profiles" / "syria-ceasefire.yaml"
    text = profile.read_text(encoding="utf-8")
    profile.write_text(text.replace("outlook:", "outlok:"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "profiles/syria-ceasefire.yaml:1: error: outlook: required key is missing"
    assert lines[1].endswith("error: outlok: unknown key (did you mean 'outlook'?)")
    assert "Traceback" not in result.output


def test_check_json(run, project: Path) -> None:
    result = run("check", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True, "diagnostics": []}


def test_build_html_only_reports_counts_and_writes_the_site(run, project: Path) -> None:
    result = run("build", "--html-only")
    assert result.exit_code == 0, result.output
    assert "savchenko-case: 0 quotes, 8 facts" in result.stdout
    assert (project / "out" / "index.html").is_file()
    assert not (project / "out" / "pdf").exists()


def test_a_build_reads_and_hashes_its_inputs_once_whether_or_not_it_has_work(run, project: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import briefing.build  # noqa: F401  (imported, so that its name for the function is counted too)
    from briefing import buildcache

    fingerprints = []
    fingerprint = buildcache.input_fingerprint
    for module in [module for name, module in sys.modules.items() if name.startswith("briefing")]:
        if getattr(module, "input_fingerprint", None) is fingerprint:
            monkeypatch.setattr(module, "input_fingerprint", lambda *args: fingerprints.append(1) or fingerprint(*args))
    assert run("build", "--html-only").exit_code == 0 and len(fingerprints) == 1
    assert run("build", "--html-only").stdout.startswith("up to date:") and len(fingerprints) == 2
    profile = project / "profiles" / "sanctions.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("summary: |\n  ", "summary: |\n  Edited. ", 1),
                       encoding="utf-8")
    result = run("build", "--html-only")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1].startswith("built ") and len(fingerprints) == 3


def test_usage_errors_exit_2(run) -> None:
    assert run("build", "--html-only", "--pdf-only").exit_code == 2
    result = run("build", "sanction", "--html-only")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no profile 'sanction' (did you mean 'sanctions'?)")
    assert run("frobnicate").exit_code == 2


def test_a_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["check"])
    finally:
        os.chdir(old)
    assert result.exit_code == 2
    assert result.stderr == ("error: no config.yaml here or in any parent folder; run make-brief in a project "
                             "folder or pass --config PATH\n")


NEWER_ARTICLE = """Savchenko verdict upheld
By bne IntelliNews April 20, 2016
A Russian appeals court upheld the sentence of Nadiya Savchenko, the Ukrainian pilot, on April 19.
"The verdict stands," a Russian court said, rejecting calls for a prisoner exchange.
"""


def add_newer_article(project: Path) -> None:
    (project / "seeds" / "005_newer.txt").write_text(NEWER_ARTICLE, encoding="utf-8")
    manifest = project / "seeds" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + (
        "\n  - id: bne-2016-04-20-verdict-upheld\n    file: 005_newer.txt\n    outlet_type: Business news\n"
        "    reliability: B\n    date_basis: dateline\n"), encoding="utf-8")


def test_check_warns_about_a_newer_article_on_the_topic_and_strict_makes_it_fatal(run, project: Path) -> None:
    add_newer_article(project)
    result = run("check")
    assert result.exit_code == 0
    assert result.stderr == (
        "profiles/savchenko-case.yaml:3: warning: as_of: source 'bne-2016-04-20-verdict-upheld' (2016-04-20) is "
        "newer than this brief and matches its topic (nadiya savchenko, pilot, prisoner exchange, savchenko) "
        "but is not cited; review it (make-brief harvest --profile savchenko-case)\n")
    assert result.stdout.endswith("(1 warning)\n")
    strict = run("check", "--strict", "--format", "json")
    assert strict.exit_code == 1
    payload = json.loads(strict.stdout)
    assert payload["ok"] is False
    assert [(d["file"], d["line"], d["key"], d["level"]) for d in payload["diagnostics"]] == [
        ("profiles/savchenko-case.yaml", 3, "as_of", "warning")]


def test_check_coverage_lists_relevant_quotes_a_profile_does_not_use(run, project: Path) -> None:
    add_newer_article(project)
    result = run("check", "--coverage")
    assert result.exit_code == 0
    assert ('profiles/savchenko-case.yaml: note: quotes: not used: "The verdict stands" '
            "(Russian court, bne-2016-04-20-verdict-upheld paragraph 2)") in result.stderr.splitlines()
