"""Charts as inline SVG, drawn on the server: no chart library, no script, nothing fetched.

Each chart is returned as `Markup` for the templates: every text in it (names, labels) went through
markupsafe's `escape` here, and the numbers are formatted by us."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_L, PAD_R, PAD_T, PAD_B = 640, 220, 44, 12, 14, 34
SERIES_CLASSES = ("s0", "s1", "s2", "s3")


def _frame(inner: str, label: str) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{inner}</svg>')


def line_chart(label: str, x_labels: list[str], series: dict[str, list[float | None]], *, percent: bool = True,
               empty: str = "") -> Markup:
    """Lines over x_labels; values in 0..1 when percent (shown 0-100 %). None leaves a gap."""
    if not x_labels:
        return Markup(f'<p class="empty">{escape(empty)}</p>')
    values = [v for vs in series.values() for v in vs if v is not None]
    top = 1.0 if percent else max(values or [1.0]) * 1.1 or 1.0
    bottom = 0.0 if not percent else max(0.0, min(values or [0.0]) - 0.1)
    bottom = round(bottom * 10) / 10 if percent else 0.0
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    step = plot_w / max(1, len(x_labels) - 1)

    def x(i: int) -> float:
        return PAD_L + (i * step if len(x_labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return PAD_T + plot_h * (1 - (v - bottom) / ((top - bottom) or 1))

    parts = []
    for k in range(5):
        v = bottom + (top - bottom) * k / 4
        text = f"{v * 100:.0f}%" if percent else f"{v:.0f}"
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                     f'<text class="axis" x="{PAD_L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{text}</text>')
    every = max(1, len(x_labels) // 12)
    for i, name in enumerate(x_labels):
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x(i):.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                         f'{escape(name[-5:])}</text>')
    for n, (name, vs) in enumerate(series.items()):
        css = SERIES_CLASSES[n % len(SERIES_CLASSES)]
        runs, run = [], []
        for i, v in enumerate(vs):
            if v is None:
                runs, run = runs + ([run] if run else []), []
            else:
                run.append(f"{x(i):.1f},{y(v):.1f}")
        runs += [run] if run else []
        for points in runs:
            parts.append(f'<polyline class="line {css}" points="{" ".join(points)}"><title>{escape(name)}</title>'
                         f'</polyline>')
        for i, v in enumerate(vs):
            if v is not None:
                shown = f"{v * 100:.1f}%" if percent else f"{v:g}"
                parts.append(f'<circle class="dot {css}" cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5">'
                             f'<title>{escape(name)} {escape(x_labels[i])}: {shown}</title></circle>')
    legend = "".join(f'<span class="key {SERIES_CLASSES[n % 4]}">{escape(name)}</span>'
                     for n, name in enumerate(series))
    return _frame("".join(parts), label) + Markup(f'<div class="legend">{legend}</div>')


def bar_chart(label: str, x_labels: list[str], values: list[int], *, empty: str = "") -> Markup:
    if not x_labels:
        return Markup(f'<p class="empty">{escape(empty)}</p>')
    top = max(values or [1]) * 1.1 or 1
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    slot = plot_w / len(x_labels)
    parts = [f'<text class="axis" x="{PAD_L - 6}" y="{PAD_T + 4}" text-anchor="end">{top / 1.1:.0f}</text>']
    for i, (name, v) in enumerate(zip(x_labels, values)):
        h = plot_h * v / top
        parts.append(f'<rect class="bar" x="{PAD_L + i * slot + slot * 0.15:.1f}" y="{PAD_T + plot_h - h:.1f}" '
                     f'width="{slot * 0.7:.1f}" height="{h:.1f}"><title>{escape(name)}: {v}</title></rect>')
        if i % max(1, len(x_labels) // 12) == 0:
            parts.append(f'<text class="axis" x="{PAD_L + (i + 0.5) * slot:.1f}" y="{HEIGHT - 12}" '
                         f'text-anchor="middle">{escape(name[-5:])}</text>')
    return _frame("".join(parts), label)


def street_map(label: str, compounds: list[dict], open_cases: dict[str, int], stations: list[dict],
               legend: tuple[str, str, str]) -> Markup:
    """Compounds (grey), open cases per compound (red, area ~ count) and charging stations (green squares),
    projected from the demo coordinates onto a plain equirectangular plane."""
    points = [(c["lat"], c["lng"]) for c in compounds] + [(s["lat"], s["lng"]) for s in stations]
    if not points:
        return Markup()
    w, h, pad = 640, 420, 24
    lats, lngs = [p[0] for p in points], [p[1] for p in points]
    lat0, lat1, lng0, lng1 = min(lats), max(lats), min(lngs), max(lngs)
    scale = min((w - 2 * pad) / ((lng1 - lng0) or 1e-3), (h - 2 * pad) / ((lat1 - lat0) or 1e-3))

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return pad + (lng - lng0) * scale, h - pad - (lat - lat0) * scale

    parts = []
    for c in compounds:
        x, y = xy(c["lat"], c["lng"])
        parts.append(f'<circle class="compound" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(c["name"])}</title>'
                     f'</circle>')
    for s in stations:
        x, y = xy(s["lat"], s["lng"])
        parts.append(f'<rect class="station" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">'
                     f'<title>{escape(s["name"])}</title></rect>')
    labels: list[str] = []
    for c in compounds:
        n = open_cases.get(c["id"], 0)
        if n:
            x, y = xy(c["lat"], c["lng"])
            r = 4 + 2.5 * n ** 0.5
            parts.append(f'<circle class="open-case" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}">'
                         f'<title>{escape(c["name"])}: {n}</title></circle>')
            # a compound with open cases is named on the map (a bare dot means nothing on a phone, where
            # there is no hover to show the title)
            labels.append(f'<text class="map-label" x="{x + r + 2:.1f}" y="{y + 4:.1f}">{escape(c["name"])} {n}</text>')
    keys = (f'<span class="key open-case">{escape(legend[0])}</span><span class="key station">{escape(legend[1])}'
            f'</span><span class="key compound">{escape(legend[2])}</span>')
    return Markup(f'<svg class="map" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}{"".join(labels)}</svg><div class="legend">{keys}</div>')
