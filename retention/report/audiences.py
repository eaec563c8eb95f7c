"""The marketer's view of the syncs: each audience, its lists, their sizes and last outcomes."""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from retention.report import figures, labels, plain, queries
from retention.report.labels import Money
from retention.report.model import NoRows, Section, Table

_SENTENCE_END = re.compile(r"(?<=[a-z0-9)])\.\s")
OUTCOMES = ("added", "updated", "removed", "failed", "skipped_no_consent", "skipped_suppressed")
DRIFT = ("missing_at_provider", "unexpected_at_provider")


def audience_name(model: str, description: str | None) -> str:
    """`VIP early access` from a description opening `VIP early access: ...`, else the model."""
    head, sep, _ = (description or "").partition(":")
    if sep and 0 < len(head.strip()) <= 40 and "\n" not in head.strip():
        return head.strip().replace("->", "\u2192")
    return labels.words(re.sub(r"^aud_", "", model))


def purpose(description: str | None) -> str:
    """Who an audience is for: the first sentence of its description after the `Name:` opening.

    A short leading grain statement (`one row per customer and abandonment.`) is skipped for the
    sentence after it, and a `Who:` prefix dropped. dbt variables become their values in words
    (`trigger_lookback_days (7)` -> `7 days`), see `plain.in_words`.
    """
    text = " ".join((description or "").split())
    head, sep, rest = text.partition(":")
    if sep and len(head) <= 40:
        text = rest.strip()
    sentences = _SENTENCE_END.split(text)
    grain = sentences[0].lower().startswith("one row per") and len(sentences[0]) < 60
    if grain and len(sentences) > 1:
        sentences = sentences[1:]
    first = sentences[0].strip().rstrip(".").removeprefix("Who: ")
    if not first:
        return ""
    return plain.in_words(first[0].upper() + first[1:] + ".")


def _is_identifier(target: str) -> bool:
    return labels.is_snake_case(target) or "/" in target or "." in target


def list_name(target: str | None, sync_name: str) -> str:
    """The list / segment name as the marketer sees it in the ESP, for tables.

    Targets that are identifiers at the vendor (a template or attribute such as
    `abandoned_cart_reminder`) are kept verbatim, as code, so they can be searched for there.
    """
    if not target:
        return labels.words(sync_name)
    return f"`{target}`" if _is_identifier(target) else target


def chart_name(target: str | None, sync_name: str) -> str:
    """The list name for chart labels, where code cannot be shown: identifiers as words."""
    if not target:
        return labels.words(sync_name)
    if _is_identifier(target):
        return labels.words(re.sub(r"[/.\-]+", "_", target))
    return target


def _history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    df = queries.audience_history(con)
    if df.empty:
        raise NoRows("activation.sync_runs has no finished sync run")
    descriptions = queries.audience_descriptions(con)
    models = df["audience_model"].fillna("")
    df["audience"] = [audience_name(m, descriptions.get(m)) if m else "" for m in models]
    df["purpose"] = [purpose(descriptions.get(m)) for m in models]
    df["list"] = [list_name(t, s) for t, s in zip(df["target"], df["sync_name"], strict=True)]
    df["destination_name"] = df["destination"].map(labels.destination)
    df["label"] = [
        f"{chart_name(t, s)} · {d}"
        for t, s, d in zip(df["target"], df["sync_name"], df["destination_name"], strict=True)
    ]
    return df


def _per_list(df: pd.DataFrame) -> pd.DataFrame:
    """One row per sync: the latest size, its change since the previous run and the history."""
    rows = []
    for _, runs in df.groupby("sync_name", sort=False):
        sizes = [int(v) for v in runs["size"]]
        last = runs.iloc[-1]
        rows.append(
            {
                "audience": last["audience"] or last["label"],
                "what_it_is_for": last["purpose"],
                "list_or_target": last["list"],
                "destination": last["destination_name"],
                "members_now": sizes[-1],
                "change_since_last_sync": sizes[-1] - sizes[-2] if len(sizes) > 1 else None,
                "size_over_time": sizes,
                "last_synced": last["run_at"],
                "label": last["label"],
            }
        )
    table = pd.DataFrame(rows).sort_values(
        ["audience", "list_or_target", "destination"], key=lambda c: c.str.lower()
    )
    return table.reset_index(drop=True)


def _change(value: object) -> str:
    return "first sync" if value is None or pd.isna(value) else labels.signed(value)


def audience_sizes(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Per audience: what it is for, its lists, size now, change since last sync, history."""
    df = _history(con)
    per_list = _per_list(df)
    section.figures.append(figures.audience_current(per_list))
    runs_per_sync = int(df.groupby("sync_name").size().max())
    if runs_per_sync > 1:
        section.figures.append(figures.audience_over_time(df))
    changes = per_list["change_since_last_sync"].dropna()
    section.stats += [
        ("audiences", f"{per_list['audience'].nunique():,}"),
        ("lists and targets", f"{len(per_list):,}"),
        ("members now", f"{int(per_list['members_now'].sum()):,}"),
        ("change since last sync", labels.signed(changes.sum()) if len(changes) else "first sync"),
    ]
    if runs_per_sync == 1:
        section.notes.append(
            "Every list has been synced once so far; sizes over time appear after the next "
            "`retention sync`."
        )
    # The audience and its purpose are written once, on the first of its lists.
    repeated = per_list["audience"].duplicated()
    shown = per_list.assign(
        audience=per_list["audience"].mask(repeated, ""),
        what_it_is_for=per_list["what_it_is_for"].mask(repeated, ""),
    ).drop(columns="label")
    section.tables.append(
        Table(
            "Audiences and the lists they fill",
            shown,
            formats={
                "members_now": lambda v: f"{int(v):,}",
                "change_since_last_sync": _change,
            },
            sparklines=("size_over_time",),
        )
    )


def _verbatim(text: object) -> str:
    """A vendor's error text shown as code (it is quoted, not written for the reader)."""
    if text is None or pd.isna(text) or not str(text):
        return ""
    return "`" + str(text).replace("`", "'") + "`"


def _drift(missing: int, unexpected: int) -> str:
    """`3 missing, 1 unexpected`, or `none`."""
    parts = [f"{n:,} {word}" for n, word in ((missing, "missing"), (unexpected, "unexpected")) if n]
    return ", ".join(parts) or "none"


def last_syncs(con: duckdb.DuckDBPyConnection, section: Section, money: Money) -> None:
    """Outcome of each sync's latest run per destination, and the rows that failed."""
    runs = _history(con).merge(
        queries.sync_runs(con)[
            ["sync_name", "started_at", "finished_at", "status", *OUTCOMES, *DRIFT, "message"]
        ],
        left_on=["sync_name", "run_at"],
        right_on=["sync_name", "started_at"],
    )
    latest = (
        runs.groupby("sync_name")
        .tail(1)
        .fillna({c: 0 for c in (*OUTCOMES, *DRIFT)})
        .sort_values(["destination_name", "list"])
    )
    per_destination = (
        latest.groupby("destination_name")[list(OUTCOMES)]
        .sum()
        .reset_index()
        .rename(columns={"destination_name": "destination"})
    )
    section.figures.append(figures.sync_outcomes(per_destination, OUTCOMES))
    drifted = (latest["missing_at_provider"] + latest["unexpected_at_provider"]) > 0
    not_ok = (latest["status"] != "success") | drifted
    latest = latest.assign(status=latest["status"].where(~drifted, latest["status"] + ", drift"))
    section.stats += [
        ("destinations", f"{len(per_destination):,}"),
        ("lists and targets", f"{len(latest):,}"),
        ("failed rows", f"{int(latest['failed'].sum()):,}"),
        ("members missing at the provider", f"{int(latest['missing_at_provider'].sum()):,}"),
        ("syncs not ok", f"{int(not_ok.sum()):,}"),
    ]
    if latest["missing_at_provider"].sum() or latest["unexpected_at_provider"].sum():
        section.notes.append(
            "Some lists no longer match what was synced (the provider lost members, or holds "
            "members the sync never sent). Run `retention sync NAME --full-resync` for each "
            "list marked drift to send its members again; people who unsubscribed are never "
            "re-added."
        )
    # one column each for the skipped and drifted counts, so the table fits a laptop screen
    table = latest.drop(columns="destination").rename(
        columns={"list": "list_or_target", "destination_name": "destination"}
    )
    table = table.assign(
        skipped=table["skipped_no_consent"] + table["skipped_suppressed"],
        drift_at_provider=[
            _drift(int(missing), int(unexpected))
            for missing, unexpected in zip(
                table["missing_at_provider"], table["unexpected_at_provider"], strict=True
            )
        ],
    )[
        ["list_or_target", "destination", "status", "added", "updated", "removed", "failed"]
        + ["skipped", "drift_at_provider", "finished_at", "message"]
    ]
    section.tables.append(Table("Latest run of each list", table, formats={"message": _verbatim}))
    failed = queries.failed_rows(con)
    names = dict(zip(latest["sync_name"], latest["label"], strict=True))
    failed = failed.assign(sync_name=failed["sync_name"].map(lambda s: names.get(s, s)))
    failed = failed.rename(columns={"sync_name": "list_or_target"}).drop(columns="destination")
    caption = "Failed rows in the latest runs (first 50)" if len(failed) else "No failed rows"
    section.tables.append(Table(caption, failed, formats={"error": _verbatim}))
