"""What a data team sees in the Dagster UI: described jobs and automations, owners, no paths."""

from __future__ import annotations

import dagster as dg
import yaml

from activation.config import load_syncs
from orchestration.defs.activation.assets import sync_key
from orchestration.defs.policies import owners_for
from retention.core.settings import DBT_PROJECT_DIR, PROJECT_ROOT


def test_every_job_schedule_and_sensor_is_described(defs) -> None:
    repository = defs.get_repository_def()
    described = [
        *((job.name, job.description) for job in repository.get_all_jobs()),
        *((s.name, s.description) for s in repository.schedule_defs),
        *((s.name, s.description) for s in repository.sensor_defs),
    ]
    missing = [name for name, text in described if not text and not name.startswith("__")]
    assert not missing, missing


def test_no_absolute_paths_in_descriptions(defs) -> None:
    graph = defs.resolve_asset_graph()
    texts = [graph.get(key).description or "" for key in graph.get_all_asset_keys()]
    repository = defs.get_repository_def()
    texts += [job.description or "" for job in repository.get_all_jobs()]
    texts += [s.description or "" for s in [*repository.schedule_defs, *repository.sensor_defs]]
    offending = [text for text in texts if str(PROJECT_ROOT) in text]
    assert not offending, offending[:3]


def _exposure_owners() -> dict[str, str]:
    owners = {}
    for path in (DBT_PROJECT_DIR / "models" / "audiences").glob("*.yml"):
        for exposure in yaml.safe_load(path.read_text()).get("exposures") or []:
            owners[exposure["name"]] = exposure["owner"]["email"]
    return owners


def test_sync_and_audience_assets_are_owned_by_their_exposure_owner(defs) -> None:
    graph = defs.resolve_asset_graph()
    # an exposure's real owner, else (a placeholder such as marketing@example.com) the team's
    owners = {
        name: owners_for(dg.AssetSpec("x", owners=[owner], group_name="activation"))[0]
        for name, owner in _exposure_owners().items()
    }
    for sync in load_syncs(DBT_PROJECT_DIR):
        assert graph.get(sync_key(sync.name)).owners == [owners[sync.name]], sync.name
        audience = graph.get(dg.AssetKey(["audiences", sync.model]))
        assert owners[sync.name] in audience.owners, sync.model


def test_every_job_is_documented_in_the_readme(defs) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for job in defs.get_repository_def().get_all_jobs():
        if not job.name.startswith("__"):
            assert f"`{job.name}`" in readme, job.name
    assert isinstance(defs, dg.Definitions)
