"""Where the service blueprint wraps: its columns cut into bands stacked top to bottom.

A blueprint with every touchpoint in one row is as wide as its journey is long (22 touchpoints
make a picture about 4.7 times wider than high), and fitted to a page or a slide its text is too
small to read. So the columns are cut into bands, each a whole blueprint strip of its own, the
way the printed map page cuts its grid (``map_print.grid_parts``):

- a band holds whole stages; a stage wider than a band is cut into near-equal pieces (the
  larger first, so the last piece leaves the most room for the stages after it), and a band
  ends where the next stage does not fit beside what is there;
- a map whose one-row picture is no wider than ``MAX_ASPECT`` keeps its one row;
- otherwise the columns a band may hold are tried from one up, and of the cuts they give the one
  whose picture is nearest ``ASPECT`` is drawn, preferring those no wider than ``MAX_ASPECT``
  (and of two as near, the one with fewer bands). Each band is as wide as its own columns and
  the picture as its widest band, so no band is wider than it needs to be.

Pure arithmetic on column indices: ``size`` (given by the caller) measures the picture of a cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

ASPECT = 1.5  # width : height aimed at (between a 4:3 slide and a 16:9 screen), as the flow diagram
MAX_ASPECT = 2.0  # wider than this, a picture fitted to a page leaves its text too small

Ranges = list[tuple[int, int]]  # [first column, end column) of each band, top to bottom


def cut(stages: Sequence[int], per_band: int) -> Ranges:
    """Bands of at most ``per_band`` columns, cut at stage boundaries where a stage fits in a band
    (``stages``: the stage index of each column, in order)."""
    ranges: Ranges = []
    start = i = 0
    while i < len(stages):
        end = i
        while end < len(stages) and stages[end] == stages[i]:
            end += 1
        if end - start > per_band and i > start:  # the stage does not fit beside what is there
            ranges.append((start, i))
            start = i
        if end - start > per_band:  # a stage wider than a band: near-equal pieces, the larger first
            pieces = math.ceil((end - start) / per_band)
            small, extra = divmod(end - start, pieces)
            for k in range(pieces - 1):
                ranges.append((start, start + small + (k < extra)))
                start = ranges[-1][1]
        i = end
    if start < len(stages) or not ranges:
        ranges.append((start, len(stages)))
    return ranges


def choose(stages: Sequence[int], size: Callable[[Ranges], tuple[float, float]]) -> Ranges:
    """The bands to draw: ``size(ranges)`` is the width and height of the picture they make."""
    whole = cut(stages, max(1, len(stages)))
    width, height = size(whole)
    if width <= MAX_ASPECT * height:
        return whole
    found: dict[tuple[tuple[int, int], ...], float] = {tuple(whole): width / height}  # cut -> its aspect
    for per_band in range(1, len(stages)):
        ranges = tuple(cut(stages, per_band))
        if ranges in found:
            continue
        width, height = size(list(ranges))
        found[ranges] = width / height
        if width > 2 * MAX_ASPECT * height:  # more columns a band only make it wider still
            break
    score = lambda ranges: (found[ranges] > MAX_ASPECT, abs(math.log(found[ranges] / ASPECT)), len(ranges))  # noqa: E731
    return list(min(found, key=score))
