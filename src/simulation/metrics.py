"""KPI names and their aggregation from the recorded arrays (MODEL.md section 9)."""

from __future__ import annotations

# The KPIs of summary.json, in the order they are printed. Units: rates are shares in [0, 1]; counts are per
# run (all counted weeks); person_km in km; travel in hours; co2 in tonnes; money in EUR over the counted weeks.
KPI_NAMES: tuple[str, ...] = (
    "occupancy_rate",
    "occupancy_rate_work",
    "occupancy_rate_mediation",
    "occupancy_rate_workshop",
    "utilisation_rate",
    "contacts",
    "needs_human",
    "unmet_need_rate",
    "mean_delay_days",
    "needs_per_trip",
    "person_km_total",
    "person_km_work",
    "person_km_service",
    "person_km_workshop",
    "travel_hours_total",
    "co2_t",
    "network_cost_eur",
    "public_cost_eur",
    "provider_cost_eur",
    "cost_per_contact_eur",
    "revenue_eur",
    "subsidy_eur",
    "places_open_end",
    "places_closed",
    "multifunctional_places",
    "mixed_encounters",
    "access_share_20min",
)
