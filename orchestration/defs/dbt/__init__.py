"""dbt models, tests and seeds as Dagster assets and asset checks."""
