import re

from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.charts import PALETTE, bar_chart, svg, table_rows
from reports.selectors import Figure

FIGURE = Figure(
    key="consents",
    title="Consent",
    description="Consents by team.",
    columns=("Team", "Recorded", "Withdrawn", "Average days"),
    rows=(("Outreach North", 4, 2, 1.5), ("Riverside Hostel", 2, 0, 3.0)),
    charted=2,
)


def test_a_chart_draws_one_bar_per_row_and_charted_series():
    chart = bar_chart(FIGURE)
    assert len(chart.bars) == 4
    assert [(bar.label, bar.series, bar.value) for bar in chart.bars] == [
        ("Outreach North", "Recorded", 4),
        ("Outreach North", "Withdrawn", 2),
        ("Riverside Hostel", "Recorded", 2),
        ("Riverside Hostel", "Withdrawn", 0),
    ]
    assert [name for _, _, name in chart.legend] == ["Recorded", "Withdrawn"]


def test_bars_are_proportional_to_the_largest_value():
    chart = bar_chart(FIGURE)
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == max(widths)
    assert widths[1] == widths[2] == widths[0] / 2
    assert widths[3] == 0


def test_each_series_has_its_own_colour_named_in_the_legend():
    chart = bar_chart(FIGURE)
    assert {bar.colour for bar in chart.bars} == set(PALETTE[:2])
    assert [colour for _, colour, _ in chart.legend] == list(PALETTE[:2])


def test_a_long_label_is_shortened_to_fit_beside_the_bars():
    from reports.charts import LABEL_CHARS

    long = Figure(
        key="referrals",
        title="Referrals sent",
        description="By partner.",
        columns=("Partner and purpose", "Sent"),
        rows=(("Riverside Housing Association – Referral to supported housing", 3),),
    )
    [(_, text)] = bar_chart(long).labels
    assert len(text) == LABEL_CHARS
    assert text.startswith("Riverside Housing")
    assert text.endswith("…")


# The chart and the table rows as the page's template wrote them before they were written
# in Python: the markup must say exactly the same, numbers and escaping included.
TEMPLATE_SVG = """<svg class="chart" role="img" \
aria-labelledby="chart-title-{{ chart.key }} chart-desc-{{ chart.key }}" \
viewBox="0 0 {{ chart.width }} {{ chart.height }}" width="100%" preserveAspectRatio="xMinYMin meet" \
xmlns="http://www.w3.org/2000/svg">
  <title id="chart-title-{{ chart.key }}">{{ chart.title }}</title>
  <desc id="chart-desc-{{ chart.key }}">{{ chart.description }} The table beside the chart gives every number.</desc>
  {% for y, text in chart.labels %}<text x="{{ chart.label_width|add:'-8' }}" y="{{ y }}" text-anchor="end" \
font-size="12" fill="#0b0c0c">{{ text }}</text>
  {% endfor %}
  {% for bar in chart.bars %}<g><title>{{ bar.label }}, {{ bar.series }}: {{ bar.value }}</title><rect \
x="{{ bar.x }}" y="{{ bar.y }}" width="{{ bar.width }}" height="{{ bar.height }}" fill="{{ bar.colour }}"></rect>\
<text x="{{ bar.text_x }}" y="{{ bar.text_y }}" font-size="12" fill="#0b0c0c">{{ bar.value }}</text></g>
  {% endfor %}
  {% for x, colour, name in chart.legend %}<rect x="{{ x }}" y="{{ chart.legend_y }}" width="12" height="12" \
fill="{{ colour }}"></rect><text x="{{ x|add:'16' }}" y="{{ chart.legend_y|add:'11' }}" font-size="12" \
fill="#0b0c0c">{{ name }}</text>
  {% endfor %}
</svg>"""
TEMPLATE_ROWS = """{% for row in item.rows %}<tr>{% for value in row %}{% if forloop.first %}\
<th scope="row">{{ value }}</th>{% else %}<td class="number">{{ value }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}"""


def _markup(markup: str) -> str:
    """The markup without the layout whitespace between elements."""
    return re.sub(r">\s+<", "><", markup.strip())


labels = st.text(alphabet=st.sampled_from("Ab <>&\"'–é1"), min_size=1, max_size=40)
numbers = st.one_of(
    st.integers(min_value=0, max_value=10**7), st.floats(min_value=0, max_value=10**5).map(lambda x: round(x, 1))
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(labels, numbers, numbers, st.one_of(numbers, st.just(""))), max_size=12),
    charted=st.sampled_from([None, 1, 2]),
    title=labels,
)
def test_the_chart_and_table_say_exactly_what_the_template_said(rows, charted, title):
    figure = Figure(
        key="break_glass_people",
        title=title,
        description="Openings <by> person & team.",
        columns=("Person", "Openings", "Refused", "Average"),
        rows=tuple(rows),
        charted=charted,
    )
    chart = bar_chart(figure)
    assert _markup(svg(chart)) == _markup(Template(TEMPLATE_SVG).render(Context({"chart": chart})))
    assert _markup(table_rows(figure)) == _markup(Template(TEMPLATE_ROWS).render(Context({"item": figure})))
