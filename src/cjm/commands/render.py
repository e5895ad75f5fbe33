from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from cjm.commands.common import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, fail_usage, find_maps, read_observed_option, use_color


class RenderTheme(str, Enum):
    light = "light"
    dark = "dark"


class Layout(str, Enum):
    columns = "columns"
    line = "line"


class Paper(str, Enum):
    a4 = "a4"
    a3 = "a3"
    letter = "letter"
    poster = "poster"


@dataclass(frozen=True)
class Job:
    """One picture to make: a valid map, a view, a format, and where it goes (None = standard output)."""

    index: int  # which map, in the order found
    view: str
    fmt: str
    destination: Path | None


def render(
    paths: list[Path] = typer.Argument(None, metavar="PATH", help="Map files, or folders searched for *.cjm.yaml / *.cjm.yml. Default: the current folder."),
    views: Optional[list[str]] = typer.Option(None, "--view", metavar="VIEW", help="What to draw: diagram (default), curve, blueprint, map or journey. Repeat for several."),
    format: Optional[str] = typer.Option(None, "--format", "-f", metavar="FORMAT", help="diagram: svg png pdf dot; curve and blueprint: svg png pdf; map: html md pdf png; journey: mermaid. Default: svg (or the view's own), or what -o FILE ends with."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE|DIR|-", help="A file (one map, one view), a folder (an existing one, or a path ending in /), or - for standard output (text formats). Default: MAP.VIEW.EXT in the current folder."),
    persona: Optional[str] = typer.Option(None, "--persona", metavar="ID", help="Draw this persona's emotions and only the touchpoints that serve it."),
    no_pains: bool = typer.Option(False, "--no-pains", help="Leave pain points out of the diagram."),
    theme: RenderTheme = typer.Option(RenderTheme.light, "--theme", help="Colours."),
    dpi: int = typer.Option(96, "--dpi", min=1, max=1200, help="Resolution of PNG output."),
    layout: Layout = typer.Option(Layout.columns, "--layout", help="The diagram's layout: columns (stages side by side, touchpoints stacked, wrapped into rows to fit a page) or line (every touchpoint on one line)."),
    paper: Paper = typer.Option(Paper.a4, "--paper", help="The map page as PDF or PNG: pages of a4, a3 or letter, or poster (one page as large as the map)."),
    landscape: bool = typer.Option(False, "--landscape", help="Turn the --paper pages sideways."),
    dot_timeout: float = typer.Option(20.0, "--dot-timeout", min=0.01, metavar="SECONDS", help="Give up on a Graphviz layout that takes longer than this."),
    with_lint: bool = typer.Option(False, "--with-lint", help="Show lint findings in the views that can (map)."),
    observed: Optional[Path] = typer.Option(None, "--observed", metavar="FILE", help="Paint what customers did (a file from cjm evidence compute) on the diagram and the map page."),
    max_bytes: int = typer.Option(5 * 1024 * 1024, "--max-bytes", min=1, help="Refuse map files larger than this."),
    segment: Optional[str] = typer.Option(None, "--segment", metavar="VALUE", help="With --observed: draw one segment's journeys (VALUE or COLUMN=VALUE, from evidence compute --segment)."),
    compare: Optional[tuple[str, str]] = typer.Option(None, "--compare", metavar="A B", help="With --observed: two segments side by side on one scale (the flow's Sankeys, the map page's funnel)."),
    by: str = typer.Option("stage", "--by", metavar="stage|step", help="The flow view's columns: the map's stages, or the steps from the journey's start."),
    top: Optional[int] = typer.Option(None, "--top", min=1, max=100, metavar="N", help="The flow view: touchpoints per column; the rest are grouped as other (default 6)."),
    min_share: Optional[float] = typer.Option(None, "--min-share", min=0.0, max=1.0, metavar="X", help="With --observed: leave out edges under this share of their touchpoint's journeys (diagram: transitions the map lacks, default 0.1; flow: bands, default 0.02). What is left out is counted in the caption."),
    top_edges: Optional[int] = typer.Option(None, "--top-edges", min=0, max=100, metavar="N", help="The diagram with --observed: at most N transitions the map lacks out of each touchpoint (default 3)."),
) -> None:
    """Draw maps: the flow diagram, the emotion curve, the journey map page, Mermaid.

    Invalid maps are reported as by validate and not drawn; the others still are.
    Exit 0 when everything was drawn, 1 when some maps are invalid, 2 on usage
    errors, an unreadable or invalid --observed file, a missing tool (Graphviz
    dot) or a layout past --dot-timeout.
    """
    from cjm.journey import Journey
    from cjm.format.load import Limits
    from cjm.progress import progress
    from cjm.render import MissingTool, RenderError, RenderOptions
    from cjm.format.validate import read_map

    names = _view_names(views or ["diagram"])
    modules = {name: _view_module(name) for name in names}
    to_stdout = output == "-"
    folder = output is not None and not to_stdout and (output.endswith(("/", os.sep)) or Path(output).is_dir())
    formats = {name: _format_for(name, modules[name].FORMATS, format, None if (folder or to_stdout) else output)
               for name in names}
    if to_stdout:
        _check_text_formats(formats)
    maps = find_maps(paths or [])
    if output is not None and not folder and len(maps) * len(names) > 1:
        where = "-o -" if to_stdout else f"-o {output}"
        counts = f"{len(maps)} map{'s' if len(maps) != 1 else ''}, {len(names)} view{'s' if len(names) != 1 else ''}"
        fail_usage(f"{where} takes one map and one view (here {counts}); "
                   "give -o a folder (an existing one, or a path ending in /)")
    if observed is not None and len(maps) > 1:
        fail_usage(f"--observed {observed} belongs to one map, and {len(maps)} were given; render that map alone")
    evidence = _read_observed(observed, names) if observed is not None else None
    evidence_options = _evidence_options(evidence, segment, compare, by, top, min_share, top_edges)

    loaded = [read_map(path, Limits(max_bytes=max_bytes)) for path in maps]
    valid = [(i, m) for i, m in enumerate(loaded) if m.valid]
    if persona is not None:
        for _, m in valid:
            _check_persona(m, persona)
    findings = _lint(loaded, valid) if with_lint else {}
    if evidence is not None:
        _warn_observed(valid, evidence, str(observed))
    jobs = [Job(i, name, formats[name], None if to_stdout else _destination(m.path, name, formats[name], output, folder))
            for i, m in valid for name in names]
    _check_destinations(jobs, loaded)
    _report_invalid(loaded)

    failed = False
    options = RenderOptions(persona=persona, show_pains=not no_pains, theme=theme.value, dpi=dpi,
                            dot_timeout=dot_timeout, with_lint=with_lint, observed=evidence, evidence=evidence_options,
                            layout=layout.value, paper=paper.value, landscape=landscape)
    journeys: dict[int, Journey] = {}
    with progress(jobs, "Rendering", describe=lambda j: f"{loaded[j.index].file} ({j.view})",
                  machine_output=to_stdout) as todo:
        for job in todo:
            m = loaded[job.index]
            journey = journeys.setdefault(job.index, Journey(m.journey, m.personas))
            try:
                data = modules[job.view].render(journey, job.fmt, _with_findings(options, findings.get(job.index)))
            except MissingTool as exc:
                typer.echo(f"cjm: error: {exc}", err=True)
                raise typer.Exit(EXIT_USAGE)
            except RenderError as exc:
                typer.echo(f"cjm: error: {m.file}: {job.view} ({job.fmt}): {exc}", err=True)
                failed = True
                continue
            failed = not _write(job, data, m.file) or failed
    if failed:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FINDINGS if len(valid) < len(loaded) else EXIT_OK)


PAINTS_OBSERVED = ("diagram", "map", "flow")


def _evidence_options(observed, segment, compare, by, top, min_share, top_edges):
    """The evidence's drawing options, or exit 2 before anything is drawn: a segment the file does
    not have, or evidence options without --observed."""
    given = [name for name, value in (("--segment", segment), ("--compare", compare), ("--top", top),
                                      ("--min-share", min_share), ("--top-edges", top_edges)) if value is not None]
    if by not in ("stage", "step"):
        fail_usage(f"--by {by}: the flow's columns are by stage or by step")
    if observed is None:
        if given:
            fail_usage(f"{given[0]} draws the observed journey: give --observed FILE too")
        return None
    if segment is not None and compare is not None:
        fail_usage("--segment and --compare: give one (--compare draws two segments)")
    for wanted in ([segment] if segment is not None else []) + list(compare or ()):
        try:
            observed.find_segment(wanted)
        except KeyError as error:
            fail_usage(f"--observed: {error.args[0]}")
    from cjm.render.overlay import EvidenceOptions

    return EvidenceOptions(segment=segment, compare=tuple(compare or ()), by=by, top=top, min_share=min_share,
                           top_edges=top_edges)


def _read_observed(path: Path, views: list[str]):
    """The observed file, or exit 2 before anything is drawn: its problems at file:line:col."""
    observed = read_observed_option(path)
    unpainted = [v for v in views if v not in PAINTS_OBSERVED]
    if unpainted:
        typer.echo(f"cjm: warning: --observed is drawn in the {', '.join(PAINTS_OBSERVED[:-1])} and {PAINTS_OBSERVED[-1]} views only, "
                   f"not in {', '.join(unpainted)}", err=True)
    return observed


def _warn_observed(valid, observed, file: str) -> None:
    from cjm.render.overlay import observed_warnings

    for _, m in valid:
        for warning in observed_warnings(m.journey, observed, file):
            typer.echo(f"cjm: warning: {m.file}: {warning}", err=True)


def _view_names(requested: list[str]) -> list[str]:
    from cjm.render import VIEWS

    names: list[str] = []
    for name in requested:
        if name not in VIEWS:
            close = difflib.get_close_matches(name, list(VIEWS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            fail_usage(f"unknown view '{name}'{hint} (views: {', '.join(VIEWS)})")
        if name not in names:
            names.append(name)
    return names


def _view_module(name: str):
    from cjm.render import view_module

    try:
        return view_module(name)
    except ImportError as exc:
        fail_usage(f"the {name} view cannot be loaded: {exc}")


def _format_for(view: str, formats: tuple[str, ...], requested: str | None, file: str | None) -> str:
    """The --format if the view writes it; else what -o FILE ends with, if the view writes that; else svg or the view's first."""
    from cjm.render import EXTENSIONS

    if requested is not None:
        fmt = requested.lower()
        if fmt not in formats:
            fail_usage(f"the {view} view cannot write {requested}; it writes {', '.join(formats)}")
        return fmt
    if file is not None:
        suffix = Path(file).suffix.lower().lstrip(".")
        by_extension = {ext: fmt for fmt, ext in EXTENSIONS.items()}
        guessed = by_extension.get(suffix, suffix)
        if guessed in formats:
            return guessed
    return "svg" if "svg" in formats else formats[0]


def _check_text_formats(formats: dict[str, str]) -> None:
    from cjm.render import TEXT_FORMATS

    for view, fmt in formats.items():
        if fmt not in TEXT_FORMATS:
            text = sorted(TEXT_FORMATS)
            fail_usage(f"{fmt} is binary and cannot go to standard output (-o -); "
                       f"write it to a file, or use a text format ({', '.join(text)})")


def _check_persona(loaded, persona: str) -> None:
    ids = [p.id for p in loaded.personas]
    if persona in ids:
        return
    close = difflib.get_close_matches(persona, ids, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    known = f"personas: {', '.join(ids)}" if ids else "the map has no personas"
    fail_usage(f"{loaded.file}: no persona '{persona}'{hint} ({known})")


def _stem(path: Path) -> str:
    from cjm.project import MAP_SUFFIXES

    name = path.name
    for suffix in MAP_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return path.stem


def _destination(map_path: Path, view: str, fmt: str, output: str | None, folder: bool) -> Path:
    from cjm.render import extension

    name = f"{_stem(map_path)}.{view}.{extension(fmt)}"
    if output is None:
        return Path(name)
    return Path(output) / name if folder else Path(output)


def _check_destinations(jobs: list[Job], loaded) -> None:
    """Refuse before writing anything when two pictures would land on one file, or one on a map."""
    maps = {os.path.abspath(m.path): m.file for m in loaded}
    taken: dict[str, Job] = {}
    for job in jobs:
        if job.destination is None:
            continue
        key = os.path.abspath(job.destination)
        if key in maps:
            fail_usage(f"{job.destination}: is a map; refusing to overwrite it with a picture")
        if key in taken:
            other = taken[key]
            fail_usage(f"{loaded[other.index].file} and {loaded[job.index].file} would both be written to "
                       f"{job.destination}; render them separately or into different folders with -o")
        taken[key] = job


def _report_invalid(loaded) -> None:
    """Invalid maps: the diagnostics validate prints, on standard error (standard output may carry a picture)."""
    from cjm.report import Report, reporter

    if all(m.valid for m in loaded):
        return
    report = Report(
        command="validate",
        files=[m.file for m in loaded],
        diagnostics=[d for m in loaded for d in m.diagnostics],
        invalid_files=[m.file for m in loaded if not m.valid],
    )
    sys.stderr.write(reporter("text")(report, color=use_color(sys.stderr)))
    sys.stderr.flush()


def _lint(loaded, valid) -> dict[int, tuple]:
    from cjm.lint.config import ConfigError
    from cjm.lint.engine import lint_findings

    try:
        return {i: tuple(lint_findings(m)) for i, m in valid}
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"cjm: error: {problem}", err=True)
        raise typer.Exit(EXIT_USAGE)


def _with_findings(options, found: tuple | None):
    from dataclasses import replace

    return replace(options, findings=found) if found else options


def _write(job: Job, data: bytes, file: str) -> bool:
    from cjm.io import write_output

    target = "-" if job.destination is None else str(job.destination)
    try:
        write_output(target, data)
    except OSError as exc:
        typer.echo(f"cjm: error: cannot write {target}: {exc.strerror or exc}", err=True)
        return False
    if job.destination is not None:
        typer.echo(f"{file} -> {job.destination}", err=True)
    return True
