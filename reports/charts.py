"""Bar charts as inline SVG, drawn on the server.

No chart library is used on purpose: pygal writes its styles into a `<style>` element and
matplotlib into `style="…"` attributes, and the strict Content-Security-Policy
(`style-src 'self'`, no inline styles) would drop both. These charts use SVG presentation
attributes only (fill, x, y, width, height), need no script, and carry a `<title>` and
`<desc>` for assistive technology; the table beside each chart holds the same numbers.

The chart and its table are written out here rather than by template loops: a year's
figures hold thousands of numbers (one bar per person with a break-the-glass opening),
and a template tag per number, each localised, cost more than the queries behind them.
Numbers are written as the template would localise them (no thousands separator unless
settings.USE_THOUSAND_SEPARATOR, the locale's decimal separator).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import Figure

# Colours with at least 3:1 contrast against white; the legend names each series in text.
PALETTE = ("#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58840")
WIDTH = 640
LABEL_WIDTH = 230
# Characters of a row label that fit in LABEL_WIDTH at 12px; longer labels end in "…" (the table has them whole).
LABEL_CHARS = 30
VALUE_WIDTH = 50
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 12
TOP = 8
LEGEND_ROW = 22


@dataclass
class Bar:
    x: int
    y: int
    width: float
    height: int
    colour: str
    value: int
    series: str
    label: str

    @property
    def text_x(self) -> float:
        return self.x + self.width + 4

    @property
    def text_y(self) -> int:
        return self.y + 13


@dataclass
class Chart:
    key: str
    title: str
    description: str
    width: int
    height: int
    label_width: int
    bars: list[Bar] = field(default_factory=list)
    labels: list[tuple[int, str]] = field(default_factory=list)  # (y of the text baseline, text)
    legend: list[tuple[int, str, str]] = field(default_factory=list)  # (x, colour, series name)
    legend_y: int = 0


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def bar_chart(figure: Figure) -> Chart:
    """Horizontal grouped bars: one group per row of `figure`, one bar per charted series."""
    series = figure.series
    count = len(series)
    group_height = count * BAR_HEIGHT + (count - 1) * BAR_GAP
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    largest = max((_number(row[1 + j]) for row in figure.rows for j in range(count)), default=0) or 1
    chart = Chart(
        key=figure.key,
        title=figure.title,
        description=figure.description,
        width=WIDTH,
        height=0,
        label_width=LABEL_WIDTH,
    )
    y = TOP
    for row in figure.rows:
        label = str(row[0])
        chart.labels.append(
            (y + group_height // 2 + 5, label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…")
        )
        for j, name in enumerate(series):
            value = _number(row[1 + j])
            chart.bars.append(
                Bar(
                    x=LABEL_WIDTH,
                    y=y + j * (BAR_HEIGHT + BAR_GAP),
                    width=round(area * value / largest, 1),
                    height=BAR_HEIGHT,
                    colour=PALETTE[j % len(PALETTE)],
                    value=int(value) if value == int(value) else value,
                    series=name,
                    label=label,
                )
            )
        y += group_height + GROUP_GAP
    chart.legend_y = y + 10
    x = LABEL_WIDTH
    for j, name in enumerate(series):
        chart.legend.append((x, PALETTE[j % len(PALETTE)], name))
        x += 24 + 8 * len(name)
    chart.height = chart.legend_y + LEGEND_ROW
    return chart


def _numbers():
    """A function writing a number as `{{ value }}` would in the current locale."""
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    plain = not settings.USE_THOUSAND_SEPARATOR

    def number(value) -> str:
        if plain and type(value) is int:
            return str(value)
        if plain and type(value) is float and "e" not in repr(value):
            return repr(value).replace(".", decimal)
        return str(formats.localize(value))

    return number


def svg(chart: Chart) -> SafeString:
    """The chart as inline SVG markup: presentation attributes only, a title and a description."""
    number = _numbers()
    key = escape(chart.key)
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title-{key} chart-desc-{key}" '
        f'viewBox="0 0 {chart.width} {chart.height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">\n',
        f'  <title id="chart-title-{key}">{escape(chart.title)}</title>\n',
        f'  <desc id="chart-desc-{key}">{escape(chart.description)} The table beside the chart gives every number.'
        "</desc>\n",
    ]
    label_x = chart.label_width - 8
    parts += [
        f'  <text x="{label_x}" y="{y}" text-anchor="end" font-size="12" fill="#0b0c0c">{escape(text)}</text>\n'
        for y, text in chart.labels
    ]
    for bar in chart.bars:
        value = number(bar.value)
        parts.append(
            f"  <g><title>{escape(bar.label)}, {escape(bar.series)}: {value}</title>"
            f'<rect x="{bar.x}" y="{bar.y}" width="{number(bar.width)}" height="{bar.height}" fill="{bar.colour}">'
            f'</rect><text x="{number(bar.text_x)}" y="{bar.text_y}" font-size="12" fill="#0b0c0c">{value}</text></g>\n'
        )
    parts += [
        f'  <rect x="{x}" y="{chart.legend_y}" width="12" height="12" fill="{colour}"></rect>'
        f'<text x="{x + 16}" y="{chart.legend_y + 11}" font-size="12" fill="#0b0c0c">{escape(name)}</text>\n'
        for x, colour, name in chart.legend
    ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped or a number)


def table_rows(figure: Figure) -> SafeString:
    """The figure's rows as table rows: the label a row heading, each number a cell."""
    number = _numbers()

    def cell(value) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number(value)
        return escape(value)

    rows = [
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f'<td class="number">{cell(value)}</td>' for value in row[1:])
        + "</tr>"
        for row in figure.rows
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 (every value is escaped or a number)
