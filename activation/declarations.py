"""Sync declarations loaded one by one: a mistake in one sync leaves every other sync usable.

`activation.config.load_syncs` stops at the first invalid declaration (right for one named
sync). Building, listing and running all syncs instead isolate each invalid entry as a
`BrokenSync` carrying its one-line error, so one typo blocks only its own sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from activation.config import (
    SyncConfig,
    _check_exposure,
    _exposures,
    _load_yaml,
    _parse_sync,
)
from activation.errors import SyncConfigError


@dataclass(frozen=True)
class BrokenSync:
    """A declared sync that cannot run: its name and model as written, and why."""

    name: str
    model: str
    source_file: str
    error: str


@dataclass
class SyncDeclarations:
    """Every declared sync: the valid ones and, apart, the ones with a mistake."""

    syncs: list[SyncConfig]
    broken: list[BrokenSync]

    def names(self) -> list[str]:
        """Every declared sync name, valid or broken."""
        return [s.name for s in self.syncs] + [b.name for b in self.broken]


def load_sync_declarations(dbt_project_dir: Path | str) -> SyncDeclarations:
    """Every sync under `models/audiences/*.yml`, each validated on its own.

    Invalid fields, a repeated name or a missing exposure make only that sync a BrokenSync. A
    file that is not valid YAML still raises SyncConfigError: dbt cannot parse the project then.
    """
    folder = Path(dbt_project_dir) / "models" / "audiences"
    files = [
        (path, _load_yaml(path)) for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    ]
    exposures = _exposures(files)
    found = SyncDeclarations(syncs=[], broken=[])
    seen: dict[str, Path] = {}
    for path, doc in files:
        for model in doc.get("models") or []:
            if not isinstance(model, dict):
                continue
            meta = ((model.get("config") or {}).get("meta") or {}).get("activation") or {}
            model_name = str(model.get("name"))
            for entry in meta.get("syncs") or []:
                name = str(entry.get("name", "unnamed")) if isinstance(entry, dict) else "unnamed"
                try:
                    sync = _parse_sync(path, model_name, entry)
                    if sync.name in seen:
                        raise SyncConfigError(
                            f"{path}: sync '{sync.name}' (model {model_name}): the name is "
                            f"already used in {seen[sync.name]}; sync names must be unique"
                        )
                    _check_exposure(path, sync, exposures)
                except SyncConfigError as exc:
                    found.broken.append(BrokenSync(name, model_name, str(path), str(exc)))
                    continue
                seen[sync.name] = path
                found.syncs.append(sync)
    return found
