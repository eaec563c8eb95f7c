"""The synthetic store's fixed world: products, categories, sizes, promotions, people and places."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

CATEGORIES = (
    "skincare",
    "makeup",
    "haircare",
    "fragrance",
    "tops",
    "bottoms",
    "dresses",
    "accessories",
)
APPAREL = frozenset({"tops", "bottoms", "dresses"})
SIZES = ("XS", "S", "M", "L", "XL")
ONE_SIZE = "one-size"
PRODUCTS_PER_CATEGORY = 25
PRICE_RANGES = {
    "skincare": (18, 65),
    "makeup": (12, 45),
    "haircare": (10, 40),
    "fragrance": (45, 120),
    "tops": (20, 60),
    "bottoms": (35, 90),
    "dresses": (45, 140),
    "accessories": (15, 80),
}
NOUNS = {
    "skincare": ("Cleanser", "Serum", "Moisturiser", "Toner", "Eye Cream", "Face Mask", "SPF 50"),
    "makeup": ("Mascara", "Eyeliner", "Lipstick", "Foundation", "Blush", "Concealer", "Palette"),
    "haircare": ("Shampoo", "Conditioner", "Hair Oil", "Hair Mask", "Dry Shampoo", "Styling Cream"),
    "fragrance": ("Eau de Parfum", "Eau de Toilette", "Body Mist", "Perfume Oil", "Candle"),
    "tops": ("T-Shirt", "Blouse", "Knit Jumper", "Tank Top", "Shirt", "Hoodie"),
    "bottoms": ("Jeans", "Trousers", "Skirt", "Shorts", "Leggings", "Joggers"),
    "dresses": ("Midi Dress", "Maxi Dress", "Slip Dress", "Shirt Dress", "Wrap Dress"),
    "accessories": ("Tote Bag", "Belt", "Scarf", "Sunglasses", "Earrings", "Cap", "Wallet"),
}
ADJECTIVES = (
    "Hydrating",
    "Classic",
    "Everyday",
    "Radiant",
    "Soft",
    "Organic",
    "Signature",
    "Daily",
    "Luxe",
    "Essential",
    "Fresh",
    "Vintage",
    "Studio",
    "Bold",
    "Calm",
)
# Pairs (category, rank) -> (category, rank) bought together often; partner added with this prob.
AFFINITY = (
    (("skincare", 0), ("skincare", 1)),
    (("skincare", 2), ("skincare", 3)),
    (("makeup", 0), ("makeup", 1)),
    (("haircare", 0), ("haircare", 1)),
    (("tops", 0), ("bottoms", 0)),
    (("dresses", 0), ("accessories", 0)),
    (("fragrance", 0), ("skincare", 4)),
    (("bottoms", 1), ("tops", 2)),
)
AFFINITY_PROB = 0.45

MONTH_SEASONALITY = np.array([0.85, 0.8, 0.9, 0.95, 1.0, 0.95, 1.0, 0.95, 1.0, 1.05, 1.6, 1.9])


@dataclass(frozen=True)
class Promotion:
    """A yearly sale window (month/day inclusive) with its discount code and rate."""

    code: str
    rate: float
    start: tuple[int, int]
    end: tuple[int, int]


PROMOTIONS = (
    Promotion("BLACKFRIDAY25", 0.25, (11, 22), (11, 30)),
    Promotion("NEWYEAR20", 0.20, (12, 26), (12, 31)),
    Promotion("NEWYEAR20", 0.20, (1, 1), (1, 7)),
    Promotion("SPRING15", 0.15, (4, 10), (4, 17)),
    Promotion("SUMMER20", 0.20, (7, 1), (7, 14)),
)
# Codes outside sale windows: (code, rate).
WELCOME = ("WELCOME10", 0.10)
EVERGREEN = (("VIP15", 0.15), ("COMEBACK20", 0.20))
CODES = tuple(
    dict.fromkeys([p.code for p in PROMOTIONS] + [WELCOME[0]] + [c for c, _ in EVERGREEN])
)
CODE_RATES = {p.code: p.rate for p in PROMOTIONS} | {WELCOME[0]: WELCOME[1]} | dict(EVERGREEN)

FIRST_NAMES = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Grace",
    "Sophia",
    "Lily",
    "Emily",
    "Freya",
    "Chloe",
    "Ella",
    "Harper",
    "Zoe",
    "Ruby",
    "Noah",
    "Oliver",
    "George",
    "Leo",
    "Arthur",
    "Jack",
    "Harry",
    "Liam",
    "Lucas",
    "Ethan",
    "Mason",
    "Sofia",
    "Emma",
    "Hannah",
    "Lea",
    "Lena",
    "Manon",
    "Camille",
    "Sanne",
    "Aoife",
    "Saoirse",
    "Charlotte",
    "Matilda",
    "Aisha",
    "Priya",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walker",
    "Evans",
    "Thomas",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Miller",
    "Garcia",
    "Martin",
    "Lee",
    "Murphy",
    "Kelly",
    "Byrne",
    "Muller",
    "Schmidt",
    "Schneider",
    "Bernard",
    "Dubois",
    "Moreau",
    "de Jong",
    "Jansen",
    "Visser",
    "Khan",
    "Nguyen",
    "King",
    "Scott",
    "Young",
    "Hughes",
)
EMAIL_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.co.uk",
    "proton.me",
)
# country -> (share, cities, carrier, tracking suffix)
COUNTRIES = {
    "GB": (0.45, ("London", "Manchester", "Bristol", "Leeds", "Glasgow"), "Royal Mail", "GB"),
    "US": (0.25, ("New York", "Austin", "Chicago", "Seattle", "Denver"), "USPS", "US"),
    "DE": (0.08, ("Berlin", "Hamburg", "Munich", "Cologne"), "DHL", "DE"),
    "FR": (0.07, ("Paris", "Lyon", "Marseille", "Lille"), "Colissimo", "FR"),
    "NL": (0.05, ("Amsterdam", "Rotterdam", "Utrecht"), "PostNL", "NL"),
    "IE": (0.05, ("Dublin", "Cork", "Galway"), "An Post", "IE"),
    "AU": (0.05, ("Sydney", "Melbourne", "Brisbane"), "Australia Post", "AU"),
}
ACQUISITION_CHANNELS = (
    "organic_search",
    "paid_social",
    "paid_search",
    "referral",
    "email_popup",
    "influencer",
)
ACQUISITION_SHARES = (0.3, 0.22, 0.18, 0.1, 0.12, 0.08)
QUIZ_CHOICES = {
    "beauty": ("skin_type", ("dry", "oily", "combination", "normal", "sensitive")),
    "fragrance": ("scent", ("floral", "woody", "fresh", "oriental")),
    "apparel": ("style", ("casual", "classic", "boho", "sporty", "minimal")),
}
COMMENTS = {
    "detractor": ("Parcel arrived late.", "Item was damaged.", "Sizing was off.", "Slow support."),
    "passive": ("Fine, nothing special.", "Good but pricey.", "Delivery took a while."),
    "promoter": ("Love it!", "Great quality.", "Fast delivery, thanks!", "Will buy again."),
}


@dataclass(frozen=True)
class Catalog:
    """Products as parallel arrays (index = product number) plus per-category lookups."""

    product_id: np.ndarray
    name: np.ndarray
    category: np.ndarray  # category index
    list_price: np.ndarray
    popularity_cdf: dict[int, np.ndarray]  # category index -> cumulative weights over its products
    partner: np.ndarray  # product index -> affinity partner index or -1


def build_catalog(seed: int) -> Catalog:
    """About 200 products in 8 categories with list prices, popularity and affinity partners."""
    rng = np.random.default_rng([seed, 7])
    n_cat = len(CATEGORIES)
    n = n_cat * PRODUCTS_PER_CATEGORY
    category = np.repeat(np.arange(n_cat), PRODUCTS_PER_CATEGORY)
    names, prices = [], []
    for c, cat in enumerate(CATEGORIES):
        low, high = PRICE_RANGES[cat]
        for rank in range(PRODUCTS_PER_CATEGORY):
            noun = NOUNS[cat][rank % len(NOUNS[cat])]
            adjective = ADJECTIVES[(rank * 7 + c * 3) % len(ADJECTIVES)]
            names.append(f"{adjective} {noun}")
            prices.append(round(rng.uniform(low, high)) - 0.01)
    weights = 1.0 / (np.arange(PRODUCTS_PER_CATEGORY) + 1.0) ** 0.9
    cdf = np.cumsum(weights) / weights.sum()
    partner = np.full(n, -1)
    for (ca, ra), (cb, rb) in AFFINITY:
        a = CATEGORIES.index(ca) * PRODUCTS_PER_CATEGORY + ra
        partner[a] = CATEGORIES.index(cb) * PRODUCTS_PER_CATEGORY + rb
    return Catalog(
        product_id=np.array([f"P{i + 1:03d}" for i in range(n)]),
        name=np.array(names),
        category=category,
        list_price=np.array(prices),
        popularity_cdf={c: cdf for c in range(n_cat)},
        partner=partner,
    )


@dataclass(frozen=True)
class Calendar:
    """Per-day lookups over the history: seasonality and the sale window (code index or -1)."""

    start: date
    days: int
    season: np.ndarray
    promo_code: np.ndarray


def build_calendar(start: date, days: int) -> Calendar:
    """Seasonality (Nov/Dec peaks) and sale windows for every day from `start`."""
    dates = [start + timedelta(days=i) for i in range(days + 1)]
    season = np.array([MONTH_SEASONALITY[d.month - 1] for d in dates])
    promo = np.full(days + 1, -1)
    for i, d in enumerate(dates):
        for p in PROMOTIONS:
            if p.start <= (d.month, d.day) <= p.end:
                promo[i] = CODES.index(p.code)
    return Calendar(start, days, season, promo)
