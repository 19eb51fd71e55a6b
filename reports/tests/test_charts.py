from reports.charts import PALETTE, bar_chart
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
