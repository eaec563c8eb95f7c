"""What `retention demo` prints: the rich summary, and one JSON object with --json."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rich.console import Console

from retention.cli.demo import print_summary, stdout_to_stderr


def test_stdout_to_stderr_moves_subprocess_and_python_output(capfd) -> None:
    with stdout_to_stderr():
        subprocess.run([sys.executable, "-c", "print('from a subprocess')"], check=True)
        print("from python", flush=True)
    print("after", flush=True)
    out, err = capfd.readouterr()
    assert "from a subprocess" in err and "from python" in err
    assert out == "after\n"


@pytest.mark.xdist_group("report")
def test_summary_is_one_json_object(pipeline) -> None:
    data = json.loads(json.dumps(pipeline.summary.to_dict(), default=str))
    assert data["customers"] == 1_500
    assert data["report_path"].endswith("report.html")
    assert set(data["churn_auc"]) >= {"churn model", "120-day rule"}
    assert {row["destination"] for row in data["destinations"]} >= {"klaviyo", "mailchimp"}


@pytest.mark.xdist_group("report")
def test_rich_summary_names_what_was_built_and_where(pipeline) -> None:
    console = Console(record=True, width=160)
    print_summary(console, pipeline.summary)
    text = console.export_text()
    auc = pipeline.summary.churn_auc
    assert f"churn model {auc['churn model']:.3f} vs 120-day rule {auc['120-day rule']:.3f}" in text
    for segment in pipeline.summary.rfm_segments:
        assert segment in text
    for row in pipeline.summary.destinations:
        assert row["destination"] in text
    assert str(pipeline.report_path) in text and str(pipeline.db_path) in text
    assert "make dev" in text
