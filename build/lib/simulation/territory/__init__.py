"""The territory: zones and places, from files, built for the Nièvre, or generated synthetically.

- :mod:`~simulation.territory.tables`: :class:`Territory` and the columns of its tables (docs/INTERFACES.md);
- :mod:`~simulation.territory.rules`: where places are when no file lists them (:func:`generate_places`);
- :mod:`~simulation.territory.sources`: one module per ``territory.kind`` (``files``, ``synthetic``, ``nievre``),
  registered by kind; :func:`load_territory` dispatches.
"""

from simulation.territory.rules import PlaceRules, centre_index, generate_places
from simulation.territory.sources import load_territory, register, sources
from simulation.territory.sources.files import load_files, read_places_csv, read_zones_csv
from simulation.territory.sources.nievre import load_nievre
from simulation.territory.sources.synthetic import synthetic_territory
from simulation.territory.tables import (
    LABELS,
    NETWORK_ID,
    PLACE_COLUMNS,
    PLACES_OPTIONAL,
    PLACES_REQUIRED,
    ZONE_COLUMNS,
    ZONES_OPTIONAL,
    ZONES_REQUIRED,
    Territory,
    format_providers,
    parse_providers,
    places_to_csv_frame,
    write_places_csv,
    write_zones_csv,
)

__all__ = [
    "LABELS",
    "NETWORK_ID",
    "PLACES_OPTIONAL",
    "PLACES_REQUIRED",
    "PLACE_COLUMNS",
    "ZONES_OPTIONAL",
    "ZONES_REQUIRED",
    "ZONE_COLUMNS",
    "PlaceRules",
    "Territory",
    "centre_index",
    "format_providers",
    "generate_places",
    "load_files",
    "load_nievre",
    "load_territory",
    "parse_providers",
    "places_to_csv_frame",
    "read_places_csv",
    "read_zones_csv",
    "register",
    "sources",
    "synthetic_territory",
    "write_places_csv",
    "write_zones_csv",
]
