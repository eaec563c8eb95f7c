"""Churn model artifacts: skops model file, model card (JSON + Markdown), version hashes."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import skops.io as sio

from ml.errors import FeatureSchemaMismatchError, MLError

MODEL_FILE = "model.skops"
CARD_JSON = "model_card.json"
CARD_MD = "model_card.md"

#: Types skops may rebuild beyond its defaults; anything else in a file is refused.
TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


def json_safe(value: Any) -> Any:
    """Recursively turn NaN/inf into None and dates into ISO strings, for strict JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def stable_hash(payload: Any, length: int = 16) -> str:
    """Short sha256 of a JSON-serialisable payload (keys sorted)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def save_model(model: Any, card: dict[str, Any], directory: Path) -> Path:
    """Write the model (skops; none for BG/NBD, refitted when scoring) and its card; returns
    the Markdown card path."""
    directory.mkdir(parents=True, exist_ok=True)
    if model is not None:
        sio.dump(model, directory / MODEL_FILE)
    (directory / CARD_JSON).write_text(json.dumps(card, indent=2, default=str))
    card_path = directory / CARD_MD
    card_path.write_text(render_card(card))
    return card_path


def read_card(directory: Path) -> dict[str, Any]:
    """The JSON model card saved next to a model."""
    return json.loads((directory / CARD_JSON).read_text())


def check_schema(card: dict[str, Any], schema: list[tuple[str, str]], directory: Path) -> None:
    """Refuse a model trained on a feature schema other than `schema`, saying what differs."""
    saved = [tuple(item) for item in card["feature_schema"]]
    current = [tuple(item) for item in schema]
    if saved == current:
        return
    saved_names, current_names = [n for n, _ in saved], [n for n, _ in current]
    missing = [n for n in saved_names if n not in current_names]
    extra = [n for n in current_names if n not in saved_names]
    details = []
    if missing:
        details.append(f"missing now: {', '.join(missing)}")
    if extra:
        details.append(f"new now: {', '.join(extra)}")
    if not missing and not extra:
        details.append("types differ" if saved_names == current_names else "column order differs")
    raise FeatureSchemaMismatchError(
        f"the churn model in {directory} (version {card['model_version']}) was trained on a "
        f"different feature schema ({'; '.join(details)}); retrain it: delete {directory} "
        "and run the build again."
    )


def load_model(directory: Path, schema: list[tuple[str, str]]) -> tuple[Any, dict[str, Any]]:
    """Load a saved model after checking its feature schema; skops with explicit trusted types."""
    card = read_card(directory)
    check_schema(card, schema, directory)
    path = directory / MODEL_FILE
    if card.get("chosen_model") == "bgnbd_p_no_purchase":
        return None, card
    untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise MLError(
            f"{path} contains types that are not trusted ({', '.join(sorted(untrusted))}); "
            "refusing to load it: delete the directory and retrain."
        )
    return sio.load(path, trusted=TRUSTED_TYPES), card


def render_card(card: dict[str, Any]) -> str:
    """Markdown model card: window, features, metrics vs baselines, version."""
    metrics = card["metrics"]
    chosen = metrics.get("chosen_model", "gradient_boosting")
    lines = [
        f"# Churn model {card['model_version']}: scores from {chosen}",
        "",
        f"- Trained at: {card['trained_at']}",
        f"- As of: {card['as_of']} (no row dated on or after it was used)",
        f"- Training cutoff: {card['train_cutoff']} (labels {card['train_cutoff']}.."
        f"{card['validation_cutoff']}, exclusive end)",
        f"- Validation cutoff: {card['validation_cutoff']} (labels {card['validation_cutoff']}.."
        f"{card['as_of']}, exclusive end); final model refitted on it",
        f"- Label: no purchase in the {card['parameters']['horizon_days']} days after a cutoff",
        f"- Rows per fit: {metrics['rows_per_fit']} of {metrics['training_customers']} training "
        f"customers (stratified by label); {_calibration(card['parameters'], metrics, chosen)}",
        f"- Parameters: `{json.dumps(card['parameters'], sort_keys=True)}`",
        "",
        "## Out-of-time validation",
        "",
        "| scorer | ROC AUC | PR AUC | Brier |",
        "|---|---|---|---|",
    ]
    intervals = metrics.get("auc_intervals", {})
    lines[-2:] = [
        f"| scorer | ROC AUC | {metrics.get('confidence', 0.95):.0%} CI | PR AUC | Brier |",
        "|---|---|---|---|---|",
    ]
    for name, values in metrics["scorers"].items():
        ci = intervals.get(name)
        ci_text = f"{ci['lower']:.4f} to {ci['upper']:.4f}" if ci else "n/a"
        lines.append(
            f"| {name} | {values['roc_auc']:.4f} | {ci_text} | {values['pr_auc']:.4f} | "
            f"{_fmt(values['brier'])} |"
        )
    lines += ["", "AUC margin of the model over each baseline:", ""]
    lines += [f"- {name}: {margin:+.4f}" for name, margin in metrics["auc_margins"].items()]
    if "chosen_model" in metrics:
        lines += [
            "",
            f"**Model used for scoring: {metrics['chosen_model']}**: {metrics['choice_reason']}.",
        ]
    window = metrics.get("calibration_window")
    measured = (
        f"{chosen} fitted at {window['fitted_at']}, labels of the {window['horizon_days']} days "
        f"from {window['labels_from']}: the validation window, not the scored future"
        if window
        else "validation window"
    )
    lines += [
        "",
        f"Expected calibration error (deciles) of the model used, {measured}: "
        f"{metrics['expected_calibration_error']:.4f}",
        "",
        "| decile | customers | mean predicted | observed churn |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['decile']} | {r['customers']} | {r['mean_predicted']:.3f} | "
        f"{r['observed_rate']:.3f} |"
        for r in metrics["calibration_table"]
    ]
    lines += _band_lines(metrics.get("risk_bands"))
    kept = set(card.get("kept_features", [name for name, _ in card["feature_schema"]]))
    dropped = card.get("dropped_features", {})
    lines += ["", "## Features", ""]
    lines += [
        f"- `{name}` ({dtype})" + ("" if name in kept else f": dropped, {dropped.get(name)}")
        for name, dtype in card["feature_schema"]
    ]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _calibration(parameters: dict[str, Any], metrics: dict[str, Any], chosen: str) -> str:
    if chosen != "gradient_boosting":
        return f"probabilities straight from {chosen} (the booster and its calibration unused)"
    if metrics["rows_per_fit"] < parameters["cross_fit_below_rows"]:
        return "probabilities calibrated by 3-fold cross-fitting"
    share = parameters["calibration_fraction"]
    return f"probabilities calibrated on a held-out {share:.0%} of them"


def _band_lines(bands: dict[str, Any] | None) -> list[str]:
    if not bands:
        return []
    lines = [
        "",
        f"## Risk bands: {bands['rule']}",
        "",
        "Cut-offs are the quantiles of the scores being banded (recomputed at every scoring); "
        "on the validation window:",
        "",
        "| band | customers | share | mean predicted | observed churn |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['band']} | {r['customers']} | {r['share']:.1%} | {r['mean_predicted']:.3f} | "
        f"{r['observed_rate']:.3f} |"
        for r in bands["validation_table"]
    ]
    return lines
