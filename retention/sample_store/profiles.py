"""Customer profile columns: identity, contact details (some invalid), consents, birthdays."""

from __future__ import annotations

import numpy as np

from retention.sample_store.catalog import (
    ACQUISITION_CHANNELS,
    ACQUISITION_SHARES,
    COUNTRIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
)
from retention.sample_store.latent import Latent

Columns = dict[str, np.ndarray]
CONSENTS = np.array(["subscribed", "unsubscribed", "not_subscribed"])
EMAIL_ALIVE = (0.8, 0.08, 0.12)
EMAIL_LAPSED = (0.6, 0.28, 0.12)
SMS = (0.35, 0.08, 0.57)
WHATSAPP = (0.12, 0.03, 0.85)
PREFERRED = (("email", "sms", "whatsapp", None), (0.55, 0.2, 0.07, 0.18))
INVALID_SHARE = 0.02
NO_PHONE_SHARE = 0.3
NO_BIRTH_DATE_SHARE = 0.15


def customer_ids(latent: Latent, width: int) -> np.ndarray:
    """`C<zero-padded number>`."""
    return np.char.add("C", np.char.zfill(latent.number.astype(str), width))


def _digits(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    return np.char.zfill(rng.integers(0, 10**count, n).astype(str), count)


def _phones(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """Mixed national and international formats per country; a few too short to be valid."""
    n = len(country)
    a, b, c = _digits(rng, n, 3), _digits(rng, n, 3), _digits(rng, n, 4)
    style = rng.integers(0, 3, n)
    codes = list(COUNTRIES)
    out = np.full(n, "", dtype=object)
    cat = np.char.add
    formats = {
        "GB": (
            cat(cat("+44 7", a), cat(" ", cat(b, c))),
            cat(cat("07", a), cat(b, c)),
            cat(cat("+447", a), cat(b, c)),
        ),
        "US": (
            cat(cat("(", a), cat(") ", cat(cat(b, "-"), c))),
            cat(cat("+1 ", a), cat(" ", cat(cat(b, " "), c))),
            cat(cat(a, "-"), cat(cat(b, "-"), c)),
        ),
        "DE": (cat(cat("+49 151 ", a), cat(b, c)),) * 3,
        "FR": (
            cat(cat("+33 6 ", a), cat(" ", cat(b, c))),
            cat(cat("06", a), cat(b, c)),
            cat(cat("+336", a), cat(b, c)),
        ),
        "NL": (cat(cat("+31 6 ", a), cat(b, c)),) * 3,
        "IE": (
            cat(cat("+353 85 ", a), cat(" ", c)),
            cat(cat("085", a), c),
            cat(cat("+35385", a), c),
        ),
        "AU": (cat(cat("+61 4", a), cat(" ", cat(b, c))), cat(cat("04", a), cat(b, c))) * 2,
    }
    for i, code in enumerate(codes):
        for s in range(3):
            sel = (country == i) & (style == s)
            out[sel] = formats[code][s][sel]
    out[rng.random(n) < INVALID_SHARE] = "12345"
    out[rng.random(n) < NO_PHONE_SHARE] = None
    return out


def _emails(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, number: np.ndarray
) -> np.ndarray:
    """first.last<number>@domain, lower case; a few invalid (no @, or no domain)."""
    local = np.char.lower(np.char.add(np.char.add(first, "."), np.char.replace(last, " ", "")))
    local = np.char.add(local, number.astype(str))
    domain = np.array(EMAIL_DOMAINS)[rng.integers(0, len(EMAIL_DOMAINS), len(first))]
    email = np.char.add(np.char.add(local, "@"), domain).astype(object)
    bad = rng.random(len(first)) < INVALID_SHARE
    half = rng.random(len(first)) < 0.5
    email[bad & half] = np.char.add(local, domain)[bad & half]
    email[bad & ~half] = np.char.add(local, "@")[bad & ~half]
    return email


def build_customers(
    rng: np.random.Generator, latent: Latent, death: np.ndarray, horizon: float, width: int
) -> Columns:
    """Customer columns (times in days since the history start; birth_date in days too)."""
    n = len(latent.number)
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    codes = np.array(list(COUNTRIES))
    cities = np.array([[v[1][i % len(v[1])] for i in range(5)] for v in COUNTRIES.values()])
    city = cities[latent.country, rng.integers(0, 5, n)]
    lapsed = death < horizon - 60
    email_roll = rng.random(n)
    email = np.where(
        lapsed,
        np.searchsorted(np.cumsum(EMAIL_LAPSED), email_roll),
        np.searchsorted(np.cumsum(EMAIL_ALIVE), email_roll),
    )
    age_days = rng.uniform(18, 70, n) * 365.25
    birth = np.where(rng.random(n) < NO_BIRTH_DATE_SHARE, np.nan, horizon - age_days)
    preferred = np.array(PREFERRED[0], dtype=object)[rng.choice(4, size=n, p=PREFERRED[1])]
    return {
        "customer_id": customer_ids(latent, width),
        "email": _emails(rng, first, last, latent.number),
        "phone": _phones(rng, latent.country),
        "first_name": first,
        "last_name": last,
        "country": codes[latent.country],
        "city": city,
        "birth_date": birth,
        "signed_up_at": latent.signup,
        "acquisition_channel": np.array(ACQUISITION_CHANNELS)[
            rng.choice(len(ACQUISITION_CHANNELS), size=n, p=ACQUISITION_SHARES)
        ],
        "email_consent": CONSENTS[np.minimum(email, 2)],
        "sms_consent": CONSENTS[rng.choice(3, size=n, p=SMS)],
        "whatsapp_consent": CONSENTS[rng.choice(3, size=n, p=WHATSAPP)],
        "preferred_channel": preferred,
    }
