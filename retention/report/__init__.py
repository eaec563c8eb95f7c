"""The HTML report: plots of segments, cohorts, sales, CLV, churn model, CX and syncs.

`retention.report.build.write_report` renders it; this package import stays light so the
CLI starts fast (plotly and pandas load only when a report is written).
"""
