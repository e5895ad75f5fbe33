"""Where the touchpoints of the ``columns`` diagram layout go: stages as columns, wrapped into rows.

The ``line`` layout puts every touchpoint on one line, left to right, which for 30 touchpoints is
a picture 11 times wider than high: fitted to a screen or a slide its text is 4 px high. The
``columns`` layout reads like the journey map grid instead: stages side by side, each stage's
touchpoints stacked top to bottom in journey order; a stage with many touchpoints takes several
columns side by side, and when the stages are too many for one row they wrap into the next
row, whole. The k-th touchpoints of a row's columns share a line, so the picture is a grid.

``plan`` chooses how many touchpoints a column holds (the same for every stage) and where rows
break, from the sizes of the boxes (a touchpoint with what stands beside it), aiming at a
landscape picture (``ASPECT``) no wider than ``MAX_WIDTH`` points, so that fitted to 1,600 px its
11 pt touchpoint text stays above 9 px. ``place`` turns the plan into coordinates (points, y
downwards): Graphviz is then run with ``neato -n2``, which keeps those positions and routes the
edges around the nodes. Pure arithmetic: nothing here runs a program.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

ASPECT = 1.5  # width : height aimed at (between a 4:3 slide and a 16:9 screen)
MAX_WIDTH = 24 * 72.0  # points: 1,600 px over 24 in is 0.93 px a point, so 11 pt text is 10 px
COLUMN_GAP = 26.0  # points between columns of a stage
LEVEL_GAP = 22.0  # points between touchpoints stacked in a column
BESIDE_GAP = 14.0  # points between a touchpoint and the notes beside it
STAGE_PAD = 10.0  # points of stage box around its columns
STAGE_GAP = 14.0  # points between stage boxes, across and down
MIN_STAGE_WIDTH = 150.0


@dataclass(frozen=True)
class Box:
    """A touchpoint with what stands beside it in its line (or an empty stage's placeholder)."""

    stage: int
    main: tuple[float, float]  # width, height of the touchpoint node, points
    beside: tuple[tuple[float, float], ...] = ()  # notes to its right, in order

    @property
    def width(self) -> float:
        return self.main[0] + sum(BESIDE_GAP + w for w, _ in self.beside)

    @property
    def height(self) -> float:
        return max([self.main[1]] + [h for _, h in self.beside])


@dataclass(frozen=True)
class Column:
    stage: int
    boxes: tuple[int, ...]  # indices into the boxes given to ``plan``


@dataclass(frozen=True)
class Plan:
    per_column: int
    columns: tuple[Column, ...]
    rows: tuple[tuple[int, ...], ...]  # column indices, row by row; a stage's columns stay in one row
    width: float  # estimated, points
    height: float


@dataclass
class Placed:
    """Centres of every box's nodes (main first, then beside), stage boxes and the picture's size."""

    centres: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # box -> [(x, y), ...]
    stages: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)  # stage -> x0, y0, x1, y1
    label_width: dict[int, float] = field(default_factory=dict)  # stage -> the width its label may use
    cells: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)  # box -> x0, y0, x1, y1 of its line in its column
    width: float = 0.0
    height: float = 0.0


def plan(boxes: list[Box], *, label_height: float = 60.0, aspect: float = ASPECT, max_width: float = MAX_WIDTH) -> Plan:
    """The columns and rows whose picture is closest to ``aspect`` without passing ``max_width``."""
    if not boxes:
        return Plan(1, (), (), 0.0, 0.0)
    by_stage: dict[int, list[int]] = {}
    for i, box in enumerate(boxes):
        by_stage.setdefault(box.stage, []).append(i)
    tallest = max(len(members) for members in by_stage.values())
    best: Plan | None = None
    best_score = math.inf
    for per_column in range(1, tallest + 1):
        candidate = _plan_for(boxes, by_stage, per_column, max_width, label_height)
        score = abs(math.log(candidate.width / max(candidate.height, 1e-9) / aspect))
        if candidate.width > max_width:
            score += 10 + (candidate.width - max_width) / 72  # only when nothing fits
        if score < best_score - 1e-9:
            best, best_score = candidate, score
    assert best is not None
    return best


def _plan_for(boxes: list[Box], by_stage: dict[int, list[int]], per_column: int, max_width: float,
              label_height: float) -> Plan:
    columns: list[Column] = []
    stage_columns: list[list[int]] = []
    for stage in sorted(by_stage):
        members = by_stage[stage]
        count = math.ceil(len(members) / per_column)
        base, extra = divmod(len(members), count)  # even columns: 7 in columns of 3 are 3 + 2 + 2
        mine = []
        start = 0
        for k in range(count):
            size = base + (1 if k < extra else 0)
            mine.append(len(columns))
            columns.append(Column(stage, tuple(members[start:start + size])))
            start += size
        stage_columns.append(mine)
    widths = [stage_width([columns[c] for c in mine], boxes) + STAGE_GAP for mine in stage_columns]
    count_rows = 1
    used = 0.0
    for width in widths:  # as few rows as fit in max_width, filled greedily ...
        if used and used + width > max_width:
            count_rows += 1
            used = 0.0
        used += width
    breaks = _balanced(widths, count_rows)  # ... then evened out, so the last row is not a stray stage
    rows = [[c for mine in stage_columns[a:b] for c in mine] for a, b in zip(breaks, breaks[1:])]
    row_w = [sum(widths[a:b]) for a, b in zip(breaks, breaks[1:])]
    height = sum(row_height([columns[c] for c in row], boxes) + label_height + 2 * STAGE_PAD + STAGE_GAP
                 for row in rows)
    return Plan(per_column, tuple(columns), tuple(tuple(r) for r in rows), max(row_w), height)


def _balanced(widths: list[float], parts: int) -> list[int]:
    """Where to cut ``widths`` into ``parts`` runs in order so the widest run is as narrow as it can be
    (the linear partition problem, by dynamic programming): the cut indices, 0 first and len last."""
    n = len(widths)
    parts = max(1, min(parts, n))
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)
    best = [[math.inf] * (n + 1) for _ in range(parts + 1)]
    cut = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for end in range(1, n + 1):
            for start in range(k - 1, end):
                cost = max(best[k - 1][start], prefix[end] - prefix[start])
                if cost < best[k][end] - 1e-9:
                    best[k][end], cut[k][end] = cost, start
    cuts = [n]
    for k in range(parts, 0, -1):
        cuts.append(cut[k][cuts[-1]])
    return cuts[::-1]


def main_width(column: Column, boxes: list[Box]) -> float:
    return max(boxes[b].main[0] for b in column.boxes)


def column_width(column: Column, boxes: list[Box]) -> float:
    return max(main_width(column, boxes) + boxes[b].width - boxes[b].main[0] for b in column.boxes)


def stage_width(columns: list[Column], boxes: list[Box]) -> float:
    inner = sum(column_width(c, boxes) for c in columns) + COLUMN_GAP * (len(columns) - 1)
    return max(MIN_STAGE_WIDTH, inner + 2 * STAGE_PAD)


def level_heights(columns: list[Column], boxes: list[Box]) -> list[float]:
    depth = max(len(c.boxes) for c in columns)
    return [max(boxes[c.boxes[k]].height for c in columns if k < len(c.boxes)) for k in range(depth)]


def row_height(columns: list[Column], boxes: list[Box]) -> float:
    levels = level_heights(columns, boxes)
    return sum(levels) + LEVEL_GAP * (len(levels) - 1)


def place(layout: Plan, boxes: list[Box], label_heights: dict[int, float]) -> Placed:
    """Coordinates of the plan: rows top to bottom, stages left to right, columns inside them.

    ``label_heights``: the height of each stage's label (its name and goal), drawn at the top of its box."""
    placed = Placed()
    y = 0.0
    for row in layout.rows:
        columns = [layout.columns[c] for c in row]
        levels = level_heights(columns, boxes)
        stages_here = list(dict.fromkeys(c.stage for c in columns))
        label = max(label_heights.get(s, 0.0) for s in stages_here)
        top = y + STAGE_PAD + label
        bottom = top + sum(levels) + LEVEL_GAP * (len(levels) - 1) + STAGE_PAD
        x = 0.0
        for stage in stages_here:
            mine = [c for c in columns if c.stage == stage]
            width = stage_width(mine, boxes)
            inner = sum(column_width(c, boxes) for c in mine) + COLUMN_GAP * (len(mine) - 1)
            cx = x + (width - inner) / 2
            for column in mine:
                level_y = top
                for k, b in enumerate(column.boxes):
                    box = boxes[b]
                    mid = level_y + levels[k] / 2
                    spots = [(cx + main_width(column, boxes) / 2, mid)]
                    bx = cx + main_width(column, boxes)
                    for w, _ in box.beside:
                        bx += BESIDE_GAP
                        spots.append((bx + w / 2, mid))
                        bx += w
                    placed.centres[b] = spots
                    placed.cells[b] = (cx, level_y, cx + column_width(column, boxes), level_y + levels[k])
                    level_y += levels[k] + LEVEL_GAP
                cx += column_width(column, boxes) + COLUMN_GAP
            placed.stages[stage] = (x, y, x + width, bottom)
            placed.label_width[stage] = width - 2 * STAGE_PAD
            x += width + STAGE_GAP
        placed.width = max(placed.width, x - STAGE_GAP)
        y = bottom + STAGE_GAP
    placed.height = max(0.0, y - STAGE_GAP)
    return placed
