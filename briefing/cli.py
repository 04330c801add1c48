"""The command line: parse options, load the config, call the library, report one line per problem.

Exit codes: 0 success, 1 the content is wrong, 2 the command was used wrongly.
Tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import atexit
import gc
import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import Config, find_config, load_config
from .errors import BriefingError, ContentError, UsageError
from .scaffold import write_atomically
from .sources import inside


# A command's objects die with its process. Frozen, they are left out of the interpreter's
# final collection, which otherwise walks all of them once more (0.3 s after a build at
# 5,000 articles) just to exit.
atexit.register(gc.freeze)


class Context:
    def __init__(self, config_path: Path | None, debug: bool):
        self.config_path = config_path
        self.debug = debug

    def config(self) -> Config:
        return load_config(find_config(self.config_path, Path.cwd()))


def _run(ctx: Context, action) -> None:
    """Call ``action``; turn the project's errors into plain lines and an exit code."""
    try:
        action()
    except BriefingError as exc:
        if ctx.debug:
            raise
        for line in exc.lines():
            click.echo(line, err=True)
        if isinstance(exc, ContentError):
            count = len(exc.diagnostics)
            click.echo(f"{count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted; the previous output is unchanged.", err=True)
        sys.exit(130)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="The project's config.yaml (default: ./config.yaml or the nearest parent's).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="make-brief")
@click.pass_context
def main(click_ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Turn a folder of news articles into sourced, verified policy briefs.

    With no command, builds every brief (site and PDFs) into out/.
    """
    click_ctx.obj = Context(config_path, debug)
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(build_command)


@main.command("build")
@click.argument("profiles", nargs=-1)
@click.option("--html-only", is_flag=True, help="Build the web pages only.")
@click.option("--pdf-only", is_flag=True, help="Build the PDFs only.")
@click.option("--handout", is_flag=True, help="Build the one-page handouts only.")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (default: out/ from config.yaml).")
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=None,
              help="Processes that render PDFs in parallel (default: one per core).")
@click.option("--force", is_flag=True, help="Render every output, even those whose inputs did not change.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-brief lines; only the summary.")
@click.pass_obj
def build_command(ctx: Context, profiles: tuple[str, ...] = (), html_only: bool = False,
                  pdf_only: bool = False, handout: bool = False, out: Path | None = None,
                  jobs: int | None = None, force: bool = False, quiet: bool = False) -> None:
    """Verify every citation, then build the site and PDFs for PROFILES (default: all).

    The PDFs are, for each profile, the full brief and a one-page handout, and one briefing
    book of all of them.
    """
    if sum((html_only, pdf_only, handout)) > 1:
        raise click.UsageError("--html-only, --pdf-only and --handout exclude each other")

    def action() -> None:
        from .buildcache import JsonStore
        from .output import PDF_PRODUCTS, survey_output
        from .workspace import NOTED_DIGESTS, FileDigests, Workspace

        products = ("handout",) if handout else PDF_PRODUCTS
        options = dict(wanted=profiles, html=not (pdf_only or handout), pdf=not html_only, out=out,
                       products=products, force=force)
        # Answered before the stages are even imported when there is nothing to do. The digests
        # of the project's files noted by earlier commands are trusted while each file's stat
        # signature is the same, so a desk's thousands of articles are not read to find them
        # unchanged; the build then reuses the ones this survey found.
        config = ctx.config()
        store = JsonStore(config.project / NOTED_DIGESTS, "digests")
        files = FileDigests(store)
        try:
            survey = survey_output(config, file_digest=files.of, **options)
        finally:
            store.close()  # what ``files`` found stays known to it, and is not noted again
        result = survey.unchanged()
        if result is None:
            from .build import build
            from .progress import terminal_progress

            result = build(config, workers=jobs, progress=terminal_progress(quiet), survey=survey,
                           workspace=Workspace(files=files), **options)
        if not quiet:
            for v in result.briefs:
                click.echo(f"{v.id}: {v.counts['quotes']} quotes, {v.counts['facts']} facts, "
                           f"{v.counts['events']} events from {v.counts['sources']} sources")
            for report in result.pdfs:
                if report.omitted:
                    click.echo(f"{report.path}: omitted for length: {'; '.join(report.omitted)}")
        if not result.rebuilt:
            click.echo(f"up to date: {len(result.reused)} files in {result.out} unchanged ({result.seconds:.2f}s)")
        else:
            click.echo(f"built {result.out}: {len(result.rebuilt)} rebuilt, {len(result.reused)} reused "
                       f"in {result.seconds:.1f}s")

    _run(ctx, action)


@main.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--coverage", is_flag=True, help="List relevant quotes in the sources that profiles do not use.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format of the diagnostics.")
@click.pass_obj
def check_command(ctx: Context, strict: bool, coverage: bool, fmt: str) -> None:
    """Validate every curated file and verify every citation; write nothing."""

    def action() -> None:
        from .build import gather

        summary = ""
        notes = []
        try:
            project = gather(ctx.config(), cache=False)
        except ContentError as exc:
            diagnostics, failed = list(exc.diagnostics), True
        else:
            diagnostics, failed = list(project.warnings), False
            notes = project.coverage()
            summary = f"ok: {len(project.briefs)} profiles, every citation verified"
            if notes and not coverage:
                summary += f"; {len(notes)} relevant quotes in the sources are not used (--coverage lists them)"
        if strict and diagnostics:
            failed = True
        if coverage:
            diagnostics.extend(notes)
        if fmt == "json":
            click.echo(json.dumps({"ok": not failed, "diagnostics": [d.as_dict() for d in diagnostics]}, indent=2))
        else:
            for diagnostic in diagnostics:
                click.echo(str(diagnostic), err=True)
            warnings = sum(1 for d in diagnostics if d.level == "warning")
            if not failed:
                click.echo(summary + (f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""))
        sys.exit(1 if failed else 0)

    _run(ctx, action)


@main.command("harvest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--profile", "profile_id", help="Rank candidates for this profile and mark what it already cites.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "jsonl"]), default="yaml", show_default=True,
              help="yaml: ready-to-paste profile entries; jsonl: one JSON record per line.")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of standard output (never a curated file).")
@click.option("--no-cache", is_flag=True, help="Ignore and do not update the extraction cache.")
@click.option("--force", is_flag=True, help="Replace the --out file if it exists.")
@click.pass_obj
def harvest_command(ctx: Context, paths: tuple[Path, ...], profile_id: str | None, fmt: str,
                    out_file: Path | None, no_cache: bool, force: bool) -> None:
    """Propose quotes, facts and dated events from PATHS (files or folders; default: seeds/)."""

    def action() -> None:
        from .harvest import run

        config = ctx.config()
        if out_file is not None:
            guard_harvest_output(out_file, config, force)
        result = run(config, paths, profile_id, fmt, use_cache=not no_cache)
        for problem in result.problems:
            click.echo(str(problem), err=True)
        if out_file is None:
            write_bytes_to_stdout(result.data)
        else:
            write_atomically(out_file, result.data)
        click.echo(f"harvested {result.articles} articles ({result.from_cache} from cache): "
                   f"{result.candidates} candidates", err=True)

    _run(ctx, action)


def write_bytes_to_stdout(data: bytes) -> None:
    """Write UTF-8 ``data`` to standard output as it is, without decoding it (a harvest's output can be large)."""
    stream = sys.stdout
    binary = getattr(stream, "buffer", None)
    if binary is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    stream.flush()
    binary.write(data)
    binary.flush()


def guard_harvest_output(path: Path, config: Config, force: bool) -> None:
    """Refuse to write harvest output over a curated file, or over any file without --force."""
    target = path.resolve()
    curated = (config.seeds, config.profiles, config.templates)
    if target == config.actors.resolve() or target == (config.project / "config.yaml").resolve() or any(
            inside(folder, target) for folder in curated):
        raise UsageError(f"refusing to write harvest output to {path}: it is a curated file or folder; "
                         "choose another --out")
    if target.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to replace it")



@main.command("new")
@click.argument("profile_id")
@click.option("--title", help="The brief's title (default: from the id).")
@click.option("--force", is_flag=True, help="Replace the profile if it exists.")
@click.pass_obj
def new_command(ctx: Context, profile_id: str, title: str | None, force: bool) -> None:
    """Scaffold a new profile, profiles/PROFILE_ID.yaml, to fill in."""

    def action() -> None:
        import datetime as dt

        from .scaffold import new_profile

        config = ctx.config()
        path = new_profile(config, profile_id, title, force, dt.date.today())
        click.echo(f"wrote {path.relative_to(config.project)}")

    _run(ctx, action)


@main.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--html-only", is_flag=True, help="Build the web pages only (faster rebuilds).")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (default: out/ from config.yaml).")
@click.pass_obj
def serve_command(ctx: Context, port: int, host: str, html_only: bool, out: Path | None) -> None:
    """Build, serve the site on localhost, and rebuild and reload the browser on every change."""

    def action() -> None:
        from .serve import serve

        serve(ctx.config, host=host, port=port, pdf=not html_only, out=out,
              report=lambda line: click.echo(line, err=True))

    _run(ctx, action)


if __name__ == "__main__":
    main()
