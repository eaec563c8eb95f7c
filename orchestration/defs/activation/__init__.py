"""One sync asset per declared sync, audience checks and the hourly sync schedule."""
