"""Destination connections as Dagster resources: explicit values, else the documented env vars."""

import dagster as dg
from pydantic import Field

from activation.connection import Connection


def destination_resource_key(destination: str) -> str:
    """The resource key of `destination` (e.g. `destination_klaviyo`)."""
    return f"destination_{destination}"


class DestinationResource(dg.ConfigurableResource):
    """API key and base URL of one destination.

    Values configured here win (a deployment may bind them with `dg.EnvVar`, or set them in the
    launchpad); unset ones are read from `<NAME>_API_KEY` / `<NAME>_BASE_URL` when the run
    starts, so a code location loaded before the keys were exported still picks them up, and
    a dry run needs no key at all. The sync engine gets only this destination's `Connection`.
    """

    name: str = Field(description="Destination name (klaviyo, mailchimp, ...).")
    api_key: str | None = Field(
        default=None, description="API key; empty = env <NAME>_API_KEY at run time."
    )
    base_url: str | None = Field(
        default=None, description="Base URL; empty = env <NAME>_BASE_URL, else the vendor's URL."
    )

    def connection(self) -> Connection:
        """This destination's credentials and limits for one sync run."""
        return Connection.from_env(self.name).with_overrides(
            api_key=self.api_key, base_url=self.base_url
        )


def destination_resource(destination: str) -> DestinationResource:
    """`destination`'s resource (values from its env vars when a run starts)."""
    return DestinationResource(name=destination)
