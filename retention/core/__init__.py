"""The base every layer imports: settings, errors, warehouse access and lock, raw contract."""
