"""Churn model and CLV predictions, scored between the dbt marts and the models that read them."""
