"""Sync declarations: `meta.activation.syncs` in `models/audiences/*.yml`, each with an exposure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from activation.errors import SyncConfigError
from activation.experiment import ExperimentName, HoldoutShare, Variants, check_experiments

DESTINATION_NAMES = (
    "klaviyo",
    "mailchimp",
    "sendlane",
    "iterable",
    "braze",
    "attentive",
    "twilio",
    "whatsapp",
    "webhook",
    "file",
)
_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class SyncConfig(BaseModel):
    """One declared sync: audience model + destination + target + mode + mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    model: str = Field(pattern=_IDENT)
    destination: Literal[DESTINATION_NAMES]  # type: ignore[valid-type]
    target: str = Field(min_length=1)
    mode: Literal["upsert", "mirror"] = "upsert"
    channel: Literal["email", "sms", "whatsapp"]
    primary_key: str = Field("customer_id", pattern=_IDENT)
    identifiers: dict[str, str] = Field(min_length=1)
    fields: dict[str, str] = Field(default_factory=dict)
    max_removal_share: float = Field(0.2, gt=0, le=1)
    max_failed_share: float | None = Field(None, ge=0, le=1)  # None: env or 0.1 (outcome.py)
    # size guards (activation.guards; None: the channel's default, SMS/WhatsApp strictest):
    # growth per run as a share of the baseline size, growth in members always allowed, and
    # the largest first run without `--approve-growth`
    max_growth_share: float | None = Field(None, gt=0)
    growth_floor: int | None = Field(None, ge=0)
    max_first_run_size: int | None = Field(None, ge=1)
    # an upsert sync whose audience is empty at quiet times (triggered audiences: abandoned
    # cart, shipment updates, ...): an empty run is not blocked (mirror syncs never allow it)
    allow_empty: bool = False
    holdout_share: HoldoutShare | None = None  # activation/experiment.py: holdout, A/B variants
    variants: Variants | None = None
    experiment: ExperimentName | None = None
    options: Any = None
    source_file: str = ""

    @model_validator(mode="after")
    def _empty_only_for_upsert(self) -> SyncConfig:
        if self.allow_empty and self.mode == "mirror":
            raise ValueError(
                "allow_empty applies to upsert syncs only: an empty mirror audience would "
                "remove every member; remove allow_empty or use mode: upsert"
            )
        return self

    @property
    def consent_column(self) -> str:
        """The audience column that must be true before anyone is contacted on this channel."""
        return f"has_{self.channel}_consent"

    @property
    def columns(self) -> list[str]:
        """Audience columns this sync reads (identifiers and fields)."""
        return sorted({*self.identifiers.values(), *self.fields.values()})


_BASE_KEYS = set(SyncConfig.model_fields) - {"options", "source_file", "model"}


def _where(path: Path, sync_name: str, model: str) -> str:
    return f"{path}: sync '{sync_name}' (model {model})"


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
    return loc, err["msg"]


def _parse_sync(path: Path, model: str, entry: Any) -> SyncConfig:
    from activation.destinations import DESTINATIONS

    if not isinstance(entry, dict):
        raise SyncConfigError(
            f"{path}: model {model}: each item of meta.activation.syncs must be a mapping"
        )
    name = str(entry.get("name", "<unnamed>"))
    where = _where(path, name, model)
    base = {k: v for k, v in entry.items() if k in _BASE_KEYS}
    extra = {k: v for k, v in entry.items() if k not in _BASE_KEYS}
    try:
        sync = SyncConfig(model=model, source_file=str(path), **base)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        raise SyncConfigError(f"{where}: field '{loc}': {msg}") from None
    destination = DESTINATIONS[sync.destination]
    allowed = sorted(destination.Options.model_fields)
    try:
        options = destination.Options.model_validate(extra)
    except ValidationError as exc:
        loc, msg = _first_error(exc)
        if msg.startswith("Extra inputs"):
            msg = (
                f"not a field of a {sync.destination} sync; allowed: {sorted(_BASE_KEYS) + allowed}"
            )
        raise SyncConfigError(f"{where}: field '{loc}': {msg}") from None
    sync = sync.model_copy(update={"options": options})
    for field, allowed_text in destination.check_sync(sync):
        raise SyncConfigError(f"{where}: field '{field}': allowed is {allowed_text}")
    return sync


def _exposures(files: list[tuple[Path, dict]]) -> dict[str, tuple[Path, list[str]]]:
    found: dict[str, tuple[Path, list[str]]] = {}
    for path, doc in files:
        for exposure in doc.get("exposures") or []:
            if isinstance(exposure, dict) and "name" in exposure:
                depends = [str(d) for d in exposure.get("depends_on") or []]
                found[str(exposure["name"])] = (path, depends)
    return found


def _load_yaml(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SyncConfigError(f"{where}: not valid YAML ({problem}); fix the file") from None
    if not isinstance(doc, dict):
        raise SyncConfigError(f"{path}: expected a mapping with `models:` / `exposures:`")
    return doc


def load_syncs(dbt_project_dir: Path | str) -> list[SyncConfig]:
    """Every sync declared under `models/audiences/*.yml` of `dbt_project_dir`, validated.

    Raises SyncConfigError naming the file, sync, field and what is allowed when a declaration
    is invalid, names repeat, or a sync has no exposure of the same name depending on its model.
    """
    folder = Path(dbt_project_dir) / "models" / "audiences"
    files = [
        (path, _load_yaml(path)) for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    ]
    exposures = _exposures(files)
    syncs: list[SyncConfig] = []
    seen: dict[str, Path] = {}
    for path, doc in files:
        for model in doc.get("models") or []:
            if not isinstance(model, dict):
                continue
            meta = ((model.get("config") or {}).get("meta") or {}).get("activation") or {}
            for entry in meta.get("syncs") or []:
                sync = _parse_sync(path, str(model.get("name")), entry)
                if sync.name in seen:
                    raise SyncConfigError(
                        f"{_where(path, sync.name, sync.model)}: the name is already used in "
                        f"{seen[sync.name]}; sync names must be unique across the project"
                    )
                seen[sync.name] = path
                syncs.append(sync)
    for sync in syncs:
        _check_exposure(Path(sync.source_file), sync, exposures)
    check_experiments(syncs)
    return syncs


def _check_exposure(
    path: Path, sync: SyncConfig, exposures: dict[str, tuple[Path, list[str]]]
) -> None:
    where = _where(path, sync.name, sync.model)
    if sync.name not in exposures:
        raise SyncConfigError(
            f"{where}: no exposure named '{sync.name}'; add one under `exposures:` with "
            f"type: application, owner and depends_on: [ref('{sync.model}')]"
        )
    exposure_path, depends = exposures[sync.name]
    ref = re.compile(rf"""ref\(\s*['"]{re.escape(sync.model)}['"]\s*\)""")
    if not any(ref.search(d) for d in depends):
        raise SyncConfigError(
            f"{where}: exposure '{sync.name}' in {exposure_path} must list "
            f"ref('{sync.model}') in depends_on"
        )
