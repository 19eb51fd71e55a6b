"""`manage.py bench --quick` as a smoke test: it builds, measures, load-tests and writes the
JSON shape the benchmark issue fixes. Timings are benchmark figures, never asserted here.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import NoReverseMatch, reverse

OPERATION_KEYS = {"p50_ms", "p95_ms", "queries", "peak_mb"}
MEASURED = {
    "client_page",
    "client_page_ungated",
    "timeline_page",
    "timeline_page_filtered",
    "caseload_page",
    "caseload_page_manager",
    "duplicate_check",
    "decide_share",
    "referral_send",
    "referral_pdf",
    "transmission_recheck",
    "deadlines_sweep",
    "reports_page",
    "sar_pack",
    "retention_list",
    "retention_anonymise",
    "import_dry_run",
    "import_confirmed",
    "seal_audit",
    "verify_audit",
}


def test_the_ungated_client_page_is_not_routed_by_the_project():
    with pytest.raises(NoReverseMatch):
        reverse("bench_client_ungated", args=[1])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_quick_measures_everything_and_writes_the_json_shape(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark loads its data with PostgreSQL COPY")
    path = tmp_path / "bench.json"
    out = io.StringIO()

    call_command("bench", "--quick", "--json", str(path), stdout=out)

    report = json.loads(path.read_text())
    assert set(report) == {"dataset", "operations", "ratios", "http", "machine", "profiles", "targets"}
    # Issue 16's table has a row for every target, each judged met or missed.
    target_rows = [line for line in report["targets"].splitlines()[2:] if line.startswith("| ")]
    assert len(target_rows) == 14
    assert all(line.endswith(("| met |", "| **missed** |")) for line in target_rows)
    assert report["dataset"]["clients"] == 1_000
    assert report["dataset"]["audit_events"] == 20_000
    assert set(report["operations"]) >= MEASURED
    for name, figures in report["operations"].items():
        assert set(figures) - {"extra"} == OPERATION_KEYS, name
        assert figures["p50_ms"] > 0, name
        assert figures["p95_ms"] >= figures["p50_ms"], name
    # The timeline reads one page whatever the length of the client's story.
    operations = report["operations"]
    assert operations["timeline_page"]["queries"] == operations["client_page"]["queries"]
    # What the measurements did, they really did.
    assert operations["import_confirmed"]["extra"]["rows_imported"] == report["dataset"]["import_rows"]
    assert operations["retention_anonymise"]["extra"]["clients"] == report["dataset"]["anonymise"]
    assert operations["retention_list"]["extra"]["clients_listed"] >= report["dataset"]["anonymise"]
    assert operations["retention_anonymise"]["extra"]["page_errors_during"] == 0
    # The gate is in the measured path: its check and audit row are one statement that takes
    # the place of the ungated page's client fetch, so it costs the same queries, never fewer.
    assert operations["client_page"]["queries"] >= operations["client_page_ungated"]["queries"]
    assert set(report["ratios"]) == {"client_page_gated_vs_ungated"}
    assert report["ratios"]["client_page_gated_vs_ungated"] > 0
    assert set(report["http"]) == {"rps", "p95_ms", "errors"}
    assert report["http"]["errors"] == 0
    assert report["http"]["rps"] > 0
    printed = out.getvalue()
    assert "| client_page |" in printed
    assert "gated / ungated" in printed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_refuses_a_database_that_already_has_clients(own_client):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark loads its data with PostgreSQL COPY")
    with pytest.raises(CommandError, match="empty database"):
        call_command("bench", "--quick", "--no-http", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_bench_only_runs_the_named_steps_and_what_they_need(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the benchmark loads its data with PostgreSQL COPY")
    path = tmp_path / "bench.json"

    call_command(
        "bench", "--quick", "--no-http", "--only", "transmission_recheck", "--json", str(path), stdout=io.StringIO()
    )

    report = json.loads(path.read_text())
    # The re-check needs a sent referral, so referral_send runs too; nothing else does.
    assert set(report["machine"]["step_seconds"]) == {"referral_send", "transmission_recheck"}
    assert "transmission_recheck" in report["operations"]
    assert "client_page" not in report["operations"]
