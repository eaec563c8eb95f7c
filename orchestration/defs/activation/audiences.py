"""Which dbt model each sync reads, looked up in the dbt manifest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from activation.config import SyncConfig
from activation.declarations import BrokenSync, SyncDeclarations
from activation.errors import SyncConfigError
from orchestration.defs.activation.assets import TRIGGERED_TAG
from orchestration.defs.dbt.translator import RetentionDbtTranslator, owner_of


@dataclass(frozen=True)
class AudienceModel:
    """A dbt model some sync reads: its asset key and whether it is triggered (hourly)."""

    name: str
    key: dg.AssetKey
    triggered: bool


def audience_models(
    manifest: Mapping[str, Any], syncs: Sequence[SyncConfig]
) -> dict[str, AudienceModel]:
    """The audience model of every sync, by model name.

    A model is triggered (synced hourly as well as daily) when it has the dbt tag `triggered`.
    Raises SyncConfigError when a sync names a model the dbt project does not have.
    """
    translator = RetentionDbtTranslator()
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    found: dict[str, AudienceModel] = {}
    for sync in syncs:
        node = models.get(sync.model)
        if node is None:
            raise SyncConfigError(
                f"{sync.source_file}: sync '{sync.name}' reads model '{sync.model}', which is not "
                "in the dbt project; fix the model name or add the model"
            )
        found[sync.model] = AudienceModel(
            name=sync.model,
            key=translator.get_asset_key(node),
            triggered=TRIGGERED_TAG in (node.get("tags") or []),
        )
    return found


def _model_names(manifest: Mapping[str, Any]) -> set[str]:
    return {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def without_unknown_models(
    manifest: Mapping[str, Any], declarations: SyncDeclarations
) -> SyncDeclarations:
    """`declarations` with syncs whose model is not in the dbt project moved to `broken`."""
    models = _model_names(manifest)
    broken = list(declarations.broken)
    for sync in declarations.syncs:
        if sync.model not in models:
            broken.append(
                BrokenSync(
                    sync.name,
                    sync.model,
                    sync.source_file,
                    f"{sync.source_file}: sync '{sync.name}' reads model '{sync.model}', which "
                    "is not in the dbt project; fix the model name or add the model",
                )
            )
    return SyncDeclarations([s for s in declarations.syncs if s.model in models], broken)


def exposure_owners(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    """Exposure name -> Dagster owners (see `owner_of`)."""
    owners: dict[str, list[str]] = {}
    for exposure in (manifest.get("exposures") or {}).values():
        owner = owner_of(exposure)
        if owner:
            owners[exposure["name"]] = [owner]
    return owners
