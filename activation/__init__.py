"""activation package."""
