"""The command line: parse options, load the config, call the library, report one line per problem.

Exit codes: 0 success, 1 the content is wrong, 2 the command was used wrongly.
Tracebacks are shown only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .config import Config, find_config, load_config
from .errors import BriefingError, ContentError


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
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (default: out/ from config.yaml).")
@click.pass_obj
def build_command(ctx: Context, profiles: tuple[str, ...] = (), html_only: bool = False,
                  pdf_only: bool = False, out: Path | None = None) -> None:
    """Verify every citation, then build the site and PDFs for PROFILES (default: all)."""
    if html_only and pdf_only:
        raise click.UsageError("--html-only and --pdf-only exclude each other")

    def action() -> None:
        from .build import build

        result = build(ctx.config(), wanted=profiles, html=not pdf_only, pdf=not html_only, out=out)
        counts = [f"{v.id}: {v.counts['quotes']} quotes, {v.counts['facts']} facts, "
                  f"{v.counts['events']} events from {v.counts['sources']} sources" for v in result.briefs]
        for line in counts:
            click.echo(line)
        click.echo(f"built {len(result.briefs)} briefs ({len(result.files)} files) into {result.out} "
                   f"in {result.seconds:.1f}s")

    _run(ctx, action)


@main.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format of the diagnostics.")
@click.pass_obj
def check_command(ctx: Context, strict: bool, fmt: str) -> None:
    """Validate every curated file and verify every citation; write nothing."""

    def action() -> None:
        from .build import gather

        summary = ""
        try:
            project = gather(ctx.config())
        except ContentError as exc:
            diagnostics, failed = list(exc.diagnostics), True
        else:
            diagnostics, failed = list(project.warnings), False
            summary = f"ok: {len(project.briefs)} profiles, every citation verified"
        if strict and diagnostics:
            failed = True
        if fmt == "json":
            click.echo(json.dumps({"ok": not failed, "diagnostics": [d.as_dict() for d in diagnostics]}, indent=2))
        else:
            for diagnostic in diagnostics:
                click.echo(str(diagnostic), err=True)
            if not failed:
                click.echo(summary + (f" ({len(diagnostics)} warnings)" if diagnostics else ""))
        sys.exit(1 if failed else 0)

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
