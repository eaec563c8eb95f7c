"""Destination credentials and endpoints, resolved from the environment by Dagster (`EnvVar`)."""

import os

import dagster as dg


def destination_resource_key(destination: str) -> str:
    """The resource key of `destination` (e.g. `destination_klaviyo`)."""
    return f"destination_{destination}"


class DestinationResource(dg.ConfigurableResource):
    """API key and base URL of one destination (`<NAME>_API_KEY`, `<NAME>_BASE_URL`).

    Unset values fall back to the process environment at run time, where the sync engine applies
    its defaults (the vendor's real URL) and its own error for a missing key.
    """

    name: str
    api_key: str | None = None
    base_url: str | None = None

    def sync_env(self) -> dict[str, str]:
        """The environment the sync engine reads, with this resource's values on top."""
        env = dict(os.environ)
        prefix = self.name.upper()
        if self.api_key:
            env[f"{prefix}_API_KEY"] = self.api_key
        if self.base_url:
            env[f"{prefix}_BASE_URL"] = self.base_url
        return env


def destination_resource(destination: str) -> DestinationResource:
    """`destination`'s resource, its key and URL bound to env vars that are set at load time."""
    prefix = destination.upper()
    bound = {
        field: dg.EnvVar(f"{prefix}_{suffix}")
        for field, suffix in (("api_key", "API_KEY"), ("base_url", "BASE_URL"))
        if os.environ.get(f"{prefix}_{suffix}")
    }
    return DestinationResource(name=destination, **bound)
