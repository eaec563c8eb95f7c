"""Event-driven fast path: new raw rows -> triggered audiences rebuilt and synced at once."""
