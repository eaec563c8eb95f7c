"""A realistic, deterministic synthetic store in the canonical CSV contract."""

from retention.sample_store.generator import DEFAULT_END_DATE, generate_store

__all__ = ["DEFAULT_END_DATE", "generate_store"]
