"""Reading data back out of a plotted figure: the digitiser of Hoffmann et al.'s Figure 4.

Hoffmann et al. (2022) did not publish the losses of their training runs, but Figure 4 (left)
plots them: every run is a marker at (training FLOP C, parameters N) whose fill colour encodes
its final loss on a colour bar. In a vector (SVG) copy of the figure nothing is lost to pixels:
each marker is a small filled shape translated to its centre, so its position can be read to a
hundredth of a point. This module turns such an SVG into a table of (N, C, loss):

* **loss** from the colour bar, an embedded raster image with tick marks and numeric labels.
  The ticks fix the bar's logarithmic scale. The bar shows the colour map's K colours in order
  (K = 256 in Figure 4), each for an equal step of that scale between the ends of the bar's
  frame; a marker's loss is read at the middle of the step painted in its colour. That is
  exact up to half a step (0.2 % of the loss in Figure 4), the resolution the figure carries.
* **N** from the y-axis tick labels ("100M", "1B", ...). The labels carry no tick marks, so each
  tick lies a fixed fraction of the font size above its label's baseline; that fraction is
  measured on the colour bar, whose labels have both (same font, same vertical alignment).
* **C** from reference lines: vertical lines drawn in the panel whose colour matches a legend
  entry with a numeric label (Hoffmann et al.'s IsoFLOP slices, "6e+18" ...). The x tick labels
  (10^18 ...) have no tick marks and their typeset width is not in the file, so they fix only
  the scale (points per decade); the digitiser checks that the reference lines agree with it.

An axis is fitted as log10(value) = intercept + slope * position by least squares; a label
that lies more than :data:`AXIS_TOLERANCE_PT` off the fitted line is reported and left out
(Figure 4's "40B" tick sits 1.1 % below 4e10 on both panels; the decade ticks agree to 1e-4 pt).

Usage (the command that made ``scalingzip/data/digitised/hoffmann2022_fig4.csv``)::

    python -m scalingzip.data.digitised.digitise chinchilla_figure_4.svg --out hoffmann2022_fig4.csv

References: Hoffmann et al. 2022 (``hoffmann2022training``), whose figure this reads;
Besiroglu et al. 2024 (``besiroglu2024chinchilla``), who first digitised it, by their own method.
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["AXIS_TOLERANCE_PT", "LogAxis", "DigitisedScatter", "digitise_scatter_svg", "write_points_csv", "main"]

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
AXIS_TOLERANCE_PT = 0.1  # a tick label further than this from the fitted axis line is left out
MARKER_RADIUS_PT = 10.0  # a marker's outline lies within this distance of its own origin
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SIZE_LABEL = re.compile(r"^(\d+(?:\.\d+)?)([KMBT])$")  # "100M", "1B", "40B"
_SIZE_UNIT = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


# --- geometry ----------------------------------------------------------------------------


def _parse_transform(text: str | None) -> np.ndarray:
    """A 3x3 affine matrix from an SVG ``transform`` attribute (matrix, translate, scale)."""
    m = np.eye(3)
    if not text:
        return m
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text):
        v = [float(a) for a in re.findall(_NUMBER, args)]
        if name == "matrix" and len(v) == 6:
            t = np.array([[v[0], v[2], v[4]], [v[1], v[3], v[5]], [0.0, 0.0, 1.0]])
        elif name == "translate" and len(v) in (1, 2):
            t = np.array([[1.0, 0.0, v[0]], [0.0, 1.0, v[1] if len(v) == 2 else 0.0], [0.0, 0.0, 1.0]])
        elif name == "scale" and len(v) in (1, 2):
            t = np.diag([v[0], v[-1], 1.0])
        else:
            raise ValueError(f"unsupported SVG transform {name}({args}); use matrix, translate or scale")
        m = m @ t
    return m


def _path_points(d: str) -> np.ndarray:
    """(k, 2) vertices and control points of an SVG path (commands M L H V C Z, either case)."""
    tokens = re.findall(rf"[MLHVCZmlhvcz]|{_NUMBER}", d)
    points: list[tuple[float, float]] = []
    x = y = 0.0
    command = ""
    i = 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "Zz":
                continue
        relative = command.islower()
        upper = command.upper()
        if upper in ("M", "L", "C"):
            dx, dy = float(tokens[i]), float(tokens[i + 1])
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            i += 2
            if upper == "M":
                command = "l" if relative else "L"  # further pairs after a moveto are linetos
        elif upper == "H":
            x = x + float(tokens[i]) if relative else float(tokens[i])
            i += 1
        elif upper == "V":
            y = y + float(tokens[i]) if relative else float(tokens[i])
            i += 1
        else:
            raise ValueError(f"unsupported or malformed SVG path data near {tokens[i]!r} in {d[:60]!r}")
        points.append((x, y))
    return np.array(points, dtype=np.float64).reshape(-1, 2)


def _apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ m[:2, :2].T + m[:2, 2]


@dataclass(frozen=True)
class _Shape:
    points: np.ndarray  # (k, 2) page coordinates (pt, y down)
    local: np.ndarray  # (k, 2) coordinates before the element's transforms
    ctm: np.ndarray  # 3x3, local -> page
    fill: str | None
    stroke: str | None


@dataclass(frozen=True)
class _Text:
    x: float  # page position of the first glyph's origin (pt)
    y: float  # baseline (pt, y down)
    text: str
    font_size: float


def _walk(root: ET.Element) -> Iterator[tuple[ET.Element, np.ndarray]]:
    """Every drawn element with its transform to page coordinates (defs and clip paths skipped)."""
    stack = [(root, np.eye(3))]
    while stack:
        element, parent = stack.pop()
        if element.tag in (SVG + "defs", SVG + "clipPath", SVG + "mask", SVG + "pattern"):
            continue
        ctm = parent @ _parse_transform(element.get("transform"))
        yield element, ctm
        stack.extend((child, ctm) for child in reversed(list(element)))


def _colour(value: str | None) -> str | None:
    if value is None or value.lower() in ("none", "transparent"):
        return None
    return value.lower()


def _collect(root: ET.Element) -> tuple[list[_Shape], list[_Text], list[tuple[np.ndarray, np.ndarray]]]:
    shapes, texts, images = [], [], []
    for element, ctm in _walk(root):
        if element.tag == SVG + "path" and element.get("d"):
            local = _path_points(element.get("d", ""))
            if len(local):
                shapes.append(_Shape(_apply(ctm, local), local, ctm, _colour(element.get("fill")),
                                     _colour(element.get("stroke"))))
        elif element.tag == SVG + "text":
            size = float(element.get("font-size", "nan"))
            for span in [element, *element.findall(SVG + "tspan")]:
                content = (span.text or "").strip()
                if not content:
                    continue
                xs = re.findall(_NUMBER, span.get("x", "0"))
                ys = re.findall(_NUMBER, span.get("y", "0"))
                x, y = _apply(ctm, np.array([[float(xs[0]), float(ys[0])]]))[0]
                texts.append(_Text(float(x), float(y), content, size))
        elif element.tag == SVG + "image":
            href = element.get(XLINK_HREF) or element.get("href") or ""
            w, h = float(element.get("width", "0")), float(element.get("height", "0"))
            x0, y0 = float(element.get("x", "0")), float(element.get("y", "0"))
            corners = _apply(ctm, np.array([[x0, y0], [x0 + w, y0 + h]]))
            images.append((corners, _decode_png(href)))
    return shapes, texts, images


def _decode_png(href: str) -> np.ndarray:
    """(rows, columns, 3) uint8 pixels of a base64 PNG data URI."""
    prefix = "data:image/png;base64,"
    if not href.replace(" ", "").startswith(prefix):
        raise ValueError("the colour bar must be an embedded PNG (data:image/png;base64,...)")
    from matplotlib.image import imread  # Pillow, through Matplotlib, decodes the PNG

    raw = base64.b64decode(href.split(",", 1)[1].strip())
    pixels = imread(io.BytesIO(raw), format="png")
    if pixels.dtype != np.uint8:
        pixels = np.round(np.asarray(pixels) * 255.0).astype(np.uint8)
    return pixels[..., :3]


# --- axes --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LogAxis:
    """A logarithmic axis: log10(value) = intercept + slope * position (position in pt)."""

    intercept: float
    slope: float  # decades per pt; negative where values grow upwards (SVG y points down)
    max_residual_pt: float  # largest distance of a used label from the fitted line
    rejected: tuple[str, ...] = ()  # labels left out (further than AXIS_TOLERANCE_PT)

    def value(self, position: np.ndarray | float) -> np.ndarray:
        """The value plotted at a page position (pt)."""
        return 10.0 ** (self.intercept + self.slope * np.asarray(position, dtype=np.float64))

    def position(self, value: np.ndarray | float) -> np.ndarray:
        """The page position (pt) of a value."""
        return (np.log10(np.asarray(value, dtype=np.float64)) - self.intercept) / self.slope


def _fit_log_axis(what: str, positions: Sequence[float], values: Sequence[float], labels: Sequence[str]) -> LogAxis:
    """Least squares of log10(value) on position; drop the worst label while it is off the line."""
    pos, logv, names = np.asarray(positions, float), np.log10(np.asarray(values, float)), list(labels)
    keep = np.ones(len(pos), dtype=bool)
    while True:
        if keep.sum() < 2 or np.ptp(pos[keep]) == 0:
            raise ValueError(f"the {what} axis needs at least two labelled ticks at different positions; "
                             f"found {[n for n, k in zip(names, keep) if k]}")
        slope, intercept = np.polyfit(pos[keep], logv[keep], 1)
        residual_pt = np.abs((logv - intercept) / slope - pos)
        worst = int(np.argmax(np.where(keep, residual_pt, -1.0)))
        if residual_pt[worst] <= AXIS_TOLERANCE_PT or keep.sum() <= 2:
            break
        keep[worst] = False
    if residual_pt[keep].max() > AXIS_TOLERANCE_PT:
        raise ValueError(f"the {what} axis labels do not lie on one logarithmic scale "
                         f"(residuals {np.round(residual_pt, 3).tolist()} pt); is the axis linear?")
    return LogAxis(intercept=float(intercept), slope=float(slope), max_residual_pt=float(residual_pt[keep].max()),
                   rejected=tuple(n for n, k in zip(names, keep) if not k))


def _is_number(text: str) -> bool:
    return re.fullmatch(_NUMBER, text) is not None


# --- the digitiser -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DigitisedScatter:
    """The markers of a scatter plot whose colour encodes a third quantity, read from its SVG."""

    x_pt: np.ndarray  # (n,) marker centres on the page, pt from the left
    y_pt: np.ndarray  # (n,) pt from the top
    fill: tuple[str, ...]  # (n,) marker fill colours, "#rrggbb"
    C: np.ndarray  # (n,) training compute, FLOP (the x axis)
    N: np.ndarray  # (n,) parameters (the y axis)
    loss: np.ndarray  # (n,) final loss, nats/token (the colour)
    colour_distance: np.ndarray  # (n,) RGB distance (0-255 units) to the nearest colour on the bar; 0 = exact
    C_axis: LogAxis
    N_axis: LogAxis
    loss_axis: LogAxis
    label_offset_em: float  # tick position minus label baseline, in font sizes, measured on the colour bar
    colour_step: float  # ratio of losses between neighbouring colours of the bar (the resolution)

    @property
    def D(self) -> np.ndarray:
        """Training tokens, D = C / (6 N) (the approximation the figure's x axis is built on)."""
        return self.C / (6.0 * self.N)


def _colour_bar(images: list, shapes: list[_Shape], texts: list[_Text]) -> tuple:
    if len(images) != 1:
        raise ValueError(f"expected exactly one embedded image (the colour bar); found {len(images)}")
    (x0, y0), (x1, y1) = images[0][0]
    pixels = images[0][1]
    left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    # tick marks: short horizontal strokes with one end on the bar's left or right edge
    ticks = set()
    for s in shapes:
        if s.stroke is None or len(s.points) != 2 or abs(s.points[0, 1] - s.points[1, 1]) > 1e-6:
            continue
        length = abs(s.points[0, 0] - s.points[1, 0])
        touches = min(abs(s.points[:, 0] - left).min(), abs(s.points[:, 0] - right).min()) < 1.0
        if 0 < length < 10 and touches and top - 1 <= s.points[0, 1] <= bottom + 1:
            ticks.add(round(float(s.points[0, 1]), 4))
    labels = [t for t in texts if _is_number(t.text) and left - 80 < t.x < right + 80 and top - 15 < t.y < bottom + 15]
    if len(ticks) < 2 or len(labels) < 2:
        raise ValueError(f"the colour bar needs at least two tick marks with numeric labels; found {len(ticks)} "
                         f"ticks and {len(labels)} labels")
    pairs = []
    for tick in sorted(ticks):
        label = min(labels, key=lambda t: abs(t.y - tick))
        pairs.append((tick, label))
    offsets_em = np.array([(tick - label.y) / label.font_size for tick, label in pairs])
    if np.ptp(offsets_em) > 0.01:
        raise ValueError(f"colour-bar labels sit at inconsistent heights relative to their ticks: {offsets_em}")
    axis = _fit_log_axis("colour bar", [p[0] for p in pairs], [float(p[1].text) for p in pairs],
                         [p[1].text for p in pairs])
    column = pixels[:, pixels.shape[1] // 2, :].astype(np.int64)  # (rows, 3), top to bottom
    # the bar's frame: a closed path around the image (a raster is padded to whole pixels)
    frame = (top, bottom)
    for s in sorted(shapes, key=lambda s: s.fill is None):
        lo, hi = s.points.min(axis=0), s.points.max(axis=0)
        if len(s.points) >= 4 and np.all(np.abs(np.r_[lo, hi] - np.r_[left, top, right, bottom]) < 2.0):
            frame = (float(lo[1]), float(hi[1]))
            break
    return axis, float(np.median(offsets_em)), column, frame


def _loss_from_colour(fills: Sequence[str], column: np.ndarray, frame: tuple[float, float],
                      axis: LogAxis) -> tuple[np.ndarray, np.ndarray, float]:
    """Loss of each marker colour: the centre of that colour's step along the bar's frame.

    The bar shows the colour map's K colours in order, each for an equal step of the bar's
    scale; the raster may repeat rows when it is resampled, so steps are counted as runs of
    equal rows, and a colour's loss is read at the middle of its step within the bar's frame.
    """
    top, bottom = frame
    starts = np.r_[0, np.flatnonzero(np.any(np.diff(column, axis=0) != 0, axis=1)) + 1]
    steps = column[starts]  # (K, 3) the bar's colours, top to bottom
    if len({tuple(c) for c in steps.tolist()}) != len(steps):
        raise ValueError("the colour bar repeats a colour, so a colour does not name one value")
    centres = top + (np.arange(len(steps)) + 0.5) * (bottom - top) / len(steps)
    rgb = np.array([[int(f[i:i + 2], 16) for i in (1, 3, 5)] for f in fills], dtype=np.int64)
    d2 = ((rgb[:, None, :] - steps[None, :, :]) ** 2).sum(axis=2)  # (n, K)
    nearest = np.argmin(d2, axis=1)
    loss = axis.value(centres[nearest])
    distance = np.sqrt(d2[np.arange(len(fills)), nearest].astype(np.float64))
    step = 10.0 ** (abs(axis.slope) * (bottom - top) / len(steps))
    return loss, distance, step


def _size_axis(texts: list[_Text], x_max: float, offset_em: float) -> LogAxis:
    found = [(t, _SIZE_LABEL.match(t.text)) for t in texts if t.x < x_max]
    found = [(t, m) for t, m in found if m]
    positions = [t.y + offset_em * t.font_size for t, _ in found]
    values = [float(m.group(1)) * _SIZE_UNIT[m.group(2)] for _, m in found]
    return _fit_log_axis("model-size (y)", positions, values, [t.text for t, _ in found])


def _flop_axis(shapes: list[_Shape], texts: list[_Text], x_max: float) -> LogAxis:
    """Vertical reference lines in the panel, valued by the numeric legend entry of their colour."""
    legend: dict[str, float] = {}
    for s in shapes:
        p = s.points
        if s.stroke is None or len(p) != 2 or abs(p[0, 1] - p[1, 1]) > 1e-6 or not 10 < abs(p[1, 0] - p[0, 0]) < 60:
            continue
        end = p[:, 0].max()
        beside = [t for t in texts if _is_number(t.text) and 0 < t.x - end < 20 and abs(t.y - p[0, 1]) < t.font_size]
        if len(beside) == 1:
            legend[s.stroke] = float(beside[0].text)
    positions, values, names = [], [], []
    for s in shapes:
        p = s.points
        if (s.stroke in legend and len(p) == 2 and abs(p[0, 0] - p[1, 0]) < 1e-6 and abs(p[0, 1] - p[1, 1]) > 100
                and p[0, 0] < x_max):
            positions.append(float(p[0, 0]))
            values.append(legend[s.stroke])
            names.append(f"{legend[s.stroke]:g} FLOP line")
    axis = _fit_log_axis("compute (x)", positions, values, names)
    # cross-check with the decade labels 10^k: the spacing of their anchors is the scale exactly
    tens = sorted(t.x for t in texts if t.text == "10")
    exponents = [int(t.text) for t in texts if re.fullmatch(r"-?\d{1,3}", t.text) and t.text != "10"
                 and any(abs(u.y - t.y) < 2 * t.font_size and 0 < t.x - u.x < 3 * u.font_size for u in texts
                         if u.text == "10")]
    if len(tens) >= 2 and len(exponents) == len(tens):
        pt_per_decade = np.polyfit(sorted(exponents), tens, 1)[0]
        if abs(pt_per_decade * axis.slope - 1) > 1e-3:
            raise ValueError(f"the reference lines ({1 / axis.slope:.4f} pt per decade) disagree with the x tick "
                             f"labels ({pt_per_decade:.4f} pt per decade)")
    return axis


def digitise_scatter_svg(svg: str | Path | bytes) -> DigitisedScatter:
    """Read every marker of Hoffmann et al.'s Figure 4 (left) from an SVG copy of the figure.

    The figure is expected to hold: one scatter panel with markers drawn as small filled paths,
    each translated to its centre; one colour bar (an embedded PNG) right of that panel with
    tick marks and numeric labels; model-size tick labels ("1B", "10B", ...) on the panel's
    y axis; and vertical reference lines whose colours match numeric legend entries (FLOP).
    Markers are the filled shapes left of the colour bar.

    Args:
        svg: the SVG file's path, or its content as bytes.

    Returns:
        A :class:`DigitisedScatter`, markers in document order: N in parameters, C in FLOP,
        loss in nats/token (the colour bar's unit), D = C/(6N) in tokens.

    Raises:
        ValueError: if the file is not an SVG of that form (no colour bar, too few labelled
            ticks, labels off a logarithmic scale, no markers); the message names the part.
    """
    content = svg if isinstance(svg, bytes) else Path(svg).read_bytes()
    try:
        root = ET.fromstring(content)
    except ET.ParseError as err:
        raise ValueError(f"not a readable SVG file: {err}") from err
    shapes, texts, images = _collect(root)
    loss_axis, offset_em, column, frame = _colour_bar(images, shapes, texts)
    bar_left = float(min(images[0][0][:, 0]))
    markers = [s for s in shapes if s.fill is not None and s.fill.startswith("#") and len(s.fill) == 7
               and s.fill not in ("#ffffff",) and np.abs(s.local).max() <= MARKER_RADIUS_PT
               and np.abs(s.local).max() > 0 and _apply(s.ctm, np.zeros((1, 2)))[0, 0] < bar_left]
    if not markers:
        raise ValueError("no markers found: expected small filled paths, each translated to its centre")
    centres = np.array([_apply(s.ctm, np.zeros((1, 2)))[0] for s in markers])
    fills = tuple(s.fill for s in markers)
    C_axis = _flop_axis(shapes, texts, bar_left)
    N_axis = _size_axis(texts, bar_left, offset_em)
    loss, distance, step = _loss_from_colour(fills, column, frame, loss_axis)
    return DigitisedScatter(
        x_pt=centres[:, 0], y_pt=centres[:, 1], fill=fills,
        C=C_axis.value(centres[:, 0]), N=N_axis.value(centres[:, 1]), loss=loss,
        colour_distance=distance, C_axis=C_axis, N_axis=N_axis, loss_axis=loss_axis,
        label_offset_em=offset_em, colour_step=step,
    )


def write_points_csv(points: DigitisedScatter, path: str | Path) -> None:
    """Write the points as CSV: N, C, D, loss, then the marker's page position and colour.

    Numbers are written to 10 significant digits, so D = C/(6N) holds to about 1e-9.
    """
    lines = ["N,C,D,loss,x_pt,y_pt,fill"]
    for i in range(len(points.N)):
        lines.append(f"{points.N[i]:.10g},{points.C[i]:.10g},{points.D[i]:.10g},{points.loss[i]:.10g},"
                     f"{points.x_pt[i]:.5f},{points.y_pt[i]:.5f},{points.fill[i]}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="ascii")


def _compare(points: DigitisedScatter, reference_csv: Path) -> str:
    """Point-by-point relative differences against another extraction with columns x, y, Model Size,
    Training FLOP, loss (matched by marker position)."""
    import csv

    with reference_csv.open(newline="") as f:
        rows = list(csv.DictReader(f))
    ref = np.array([[float(r["x"]), float(r["y"]), float(r["Model Size"]), float(r["Training FLOP"]),
                     float(r["loss"])] for r in rows])
    ours = np.column_stack([points.x_pt, points.y_pt])
    match = np.array([int(np.argmin(((ref[:, :2] - p) ** 2).sum(axis=1))) for p in ours])
    gap = np.sqrt(((ref[match, :2] - ours) ** 2).sum(axis=1))
    out = [f"points: ours {len(ours)}, reference {len(ref)}, matched one-to-one: "
           f"{len(set(match.tolist())) == len(ours) == len(ref)}, largest position gap {gap.max():.2e} pt"]
    for name, column, mine in (("N", 2, points.N), ("C", 3, points.C), ("loss", 4, points.loss)):
        rel = np.abs(mine / ref[match, column] - 1)
        out.append(f"{name:>4}: max relative difference {rel.max():.3e}, median {np.median(rel):.3e}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: digitise an SVG of Figure 4 into a CSV (and optionally compare)."""
    parser = argparse.ArgumentParser(prog="python -m scalingzip.data.digitised.digitise", description=__doc__.split("\n")[0])
    parser.add_argument("svg", type=Path, help="the figure, as SVG")
    parser.add_argument("--out", type=Path, required=True, help="CSV to write")
    parser.add_argument("--compare", type=Path, help="another extraction's CSV (columns x, y, Model Size, "
                                                     "Training FLOP, loss) to compare with, point by point")
    args = parser.parse_args(argv)
    points = digitise_scatter_svg(args.svg)
    write_points_csv(points, args.out)
    sys.stdout.write(
        f"{len(points.N)} points -> {args.out}\n"
        f"C axis: {1 / points.C_axis.slope:.5f} pt/decade, worst label {points.C_axis.max_residual_pt:.1e} pt\n"
        f"N axis: {-1 / points.N_axis.slope:.5f} pt/decade, worst label {points.N_axis.max_residual_pt:.1e} pt, "
        f"left out {list(points.N_axis.rejected)}\n"
        f"loss bar: worst label {points.loss_axis.max_residual_pt:.1e} pt, label offset {points.label_offset_em:.4f} em, "
        f"colour step x{points.colour_step:.5f}, largest colour distance {points.colour_distance.max():.2f}\n")
    if args.compare:
        sys.stdout.write(_compare(points, args.compare) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
