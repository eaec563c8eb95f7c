"""Typed settings for the churn and CLV models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RiskThresholds(BaseModel):
    """Risk bands from the score distribution: the `high_share` of scored customers with the
    highest churn probability are high, the next `medium_share` medium, the rest low.

    Fixed probability cut-offs put most customers of a high-churn store (CDNOW: 81%) in
    "high"; shares keep each band a usable audience whatever the store's base rate. Bands are
    by rank (ties broken by customer id); the validation window's lowest probability per band
    and each band's predicted vs observed churn are in the run metrics (`risk_bands`).
    """

    model_config = ConfigDict(frozen=True)

    high_share: float = Field(
        0.2, gt=0.0, lt=1.0, description="Share of scored customers rated high."
    )
    medium_share: float = Field(
        0.3, gt=0.0, lt=1.0, description="Share of scored customers rated medium."
    )

    @model_validator(mode="after")
    def _fits(self) -> RiskThresholds:
        if self.high_share + self.medium_share >= 1.0:
            raise ValueError(
                f"risk band shares need high + medium < 1, got {self.high_share} + "
                f"{self.medium_share}"
            )
        return self


class DataMinimums(BaseModel):
    """Least history a store needs before a model is fitted, modelled on Klaviyo's predictive
    analytics requirements (500 buyers, repeat buyers, 180 days of order history).

    Below any of them the model is not fitted and every customer gets a not-scored row whose
    reason names the minimum that was missed.
    """

    model_config = ConfigDict(frozen=True)

    min_buyers: int = Field(500, ge=2, description="Customers with a purchase before as_of.")
    min_repeat_buyers: int = Field(
        50, ge=0, description="Customers with purchases on at least two days before as_of."
    )
    min_history_days: int = Field(180, ge=0, description="Days from the first purchase to as_of.")


class ChurnConfig(BaseModel):
    """Churn model settings (label horizon, baseline rule, risk bands, model size)."""

    model_config = ConfigDict(frozen=True)

    horizon_days: int = Field(90, ge=7, description="Churn = no purchase in this many days.")
    rule_days: int = Field(120, ge=1, description="Baseline rule: churned after N idle days.")
    thresholds: RiskThresholds = Field(default_factory=RiskThresholds)
    random_state: int = Field(0, description="Seed for sampling, the model and calibration.")
    max_iter: int = Field(200, ge=10, description="Boosting iterations (early stopping on).")
    max_training_rows: int = Field(
        250_000,
        ge=1_000,
        description="Customers per fit; larger cutoffs are sampled, stratified by churn label.",
    )
    calibration_fraction: float = Field(
        0.25, ge=0.1, le=0.5, description="Held-out share of the fit rows used for calibration."
    )
    cross_fit_below_rows: int = Field(
        50_000,
        ge=0,
        description="Fits on fewer rows calibrate by 3-fold cross-fitting (cheap there, steadier "
        "on small stores); larger fits calibrate on one held-out split.",
    )
    calibration: str = Field("isotonic", pattern="^(isotonic|sigmoid)$")
    minimums: DataMinimums = Field(default_factory=DataMinimums)
    min_feature_rows: int = Field(
        20,
        ge=1,
        description="A feature is used only when at least this many training customers have a "
        "value for it and it takes two or more values (empty/constant features are dropped).",
    )
    bootstrap_samples: int = Field(
        300, ge=20, description="Paired bootstrap resamples of the validation customers."
    )
    bootstrap_max_rows: int = Field(
        20_000,
        ge=1_000,
        description="Validation customers the bootstrap resamples from (a random subset above "
        "it: wider, conservative intervals at a bounded cost).",
    )
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Level of bootstrap intervals.")


class ClvConfig(BaseModel):
    """CLV settings: time unit of the fit, discounting and horizons."""

    model_config = ConfigDict(frozen=True)

    unit_days: float = Field(7.0, gt=0.0, description="Time unit of the BG/NBD fit, in days.")
    annual_discount_rate: float = Field(0.10, ge=0.0, lt=1.0)
    horizon_days: int = Field(365, ge=1, description="CLV horizon.")
    discount_periods_per_year: int = Field(12, ge=1, description="Discounting granularity.")
    minimums: DataMinimums = Field(default_factory=DataMinimums)
    interval_draws: int = Field(
        200, ge=20, description="Simulated futures per customer for the predictive intervals."
    )
    interval_level: float = Field(0.9, gt=0.5, lt=1.0, description="Level of the CLV interval.")
    random_state: int = Field(0, description="Seed of the interval draws and the bootstrap.")
    backtest_days: int = Field(
        365,
        ge=28,
        description="Backtest window: models fitted at as_of - backtest_days are compared with "
        "what customers bought in [as_of - backtest_days, as_of); half the store's history "
        "when that is shorter.",
    )
    max_abs_bias: float = Field(
        0.10, gt=0.0, description="Warn when the backtest's total-spend bias exceeds this."
    )
    bootstrap_samples: int = Field(
        300, ge=20, description="Paired bootstrap resamples of the backtest customers."
    )
    bootstrap_max_rows: int = Field(
        20_000, ge=1_000, description="Backtest customers the bootstrap resamples from."
    )
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Level of bootstrap intervals.")
