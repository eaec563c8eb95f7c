"""What each RFM segment means and what to do next, from the `rfm_segment_rules` seed."""

from __future__ import annotations

import duckdb
import pandas as pd

from retention.report.reader import frame, has_table

# The seed has no next-action column; these follow its segment names. A `next_action` column in
# the seed takes precedence, so analysts can change the advice where they change the rules.
NEXT_ACTIONS = {
    "Champions": "Reward them: early access, loyalty perks, ask for reviews and referrals.",
    "Loyal Customers": "Upsell higher-value products and invite them to the loyalty programme.",
    "Potential Loyalist": "Offer membership or a loyalty programme; recommend related products.",
    "New Customers": "Welcome them and help them succeed with the first purchase (onboarding).",
    "Promising": "Build the relationship: brand story, best sellers, a small first-repeat offer.",
    "Need Attention": "Win them back with a limited-time offer based on past purchases.",
    "About To Sleep": "Re-engage with popular products and a discount before they lapse.",
    "Can't Lose Them": "Win them back personally: new arrivals, a strong offer, ask what went "
    "wrong.",
    "At Risk": "Send personalised win-back emails with offers and reminders of what they liked.",
    "Hibernating": "Offer relevant products and special discounts; do not over-mail.",
    "Lost": "Try one reactivation campaign; otherwise stop spending on them.",
}


def segment_rules(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Segment -> meaning and next action (columns segment, meaning, next_action), may be empty.

    Meanings are the seed's `description`; the action is the seed's `next_action` if it has
    one, else `NEXT_ACTIONS`.
    """
    if not has_table(con, "seeds", "rfm_segment_rules"):
        return pd.DataFrame(columns=["segment", "meaning", "next_action"])
    rules = frame(con, "select * from seeds.rfm_segment_rules order by priority")
    actions = (
        rules["next_action"] if "next_action" in rules else rules["rfm_segment"].map(NEXT_ACTIONS)
    )
    return pd.DataFrame(
        {
            "segment": rules["rfm_segment"],
            "meaning": rules.get("description", pd.Series("", index=rules.index)).fillna(""),
            "next_action": actions.fillna(""),
        }
    )
