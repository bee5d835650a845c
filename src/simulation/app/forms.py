"""The Run form: the levers the page shows, and the configuration they make, built as the ``lieux`` command does.

The values of the form are strings, as typed. They become Hydra overrides (``key=value``) and go through the
same path as the command line: Hydra composes ``configs/config.yaml`` with them (config groups ``territory`` and
``scenario``, Hydra's parsing of values), then :func:`simulation.config.to_config` validates the result. A bad
value therefore gets the CLI's own one-line message (:func:`simulation.cli.hydra_error_message` for errors of
the composition, the :class:`~simulation.errors.UserError` text for the schema's checks), which the page shows
beside the field it concerns (:func:`field_errors`).
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException, OverrideParseException
from omegaconf.errors import OmegaConfBaseException

from simulation import cli
from simulation.config import SimConfig, to_config
from simulation.core.errors import ConfigError, UserError

# Territories offered by the page (``files`` needs two paths: give them in the "other overrides" field).
TERRITORIES: tuple[str, ...] = ("synthetic", "nievre")
DEFAULT_TERRITORY = "synthetic"  # fast and needs no data; the CLI's default is nievre
DEFAULT_SCENARIO = "baseline"
# Field names of the form besides the levers.
TERRITORY = "territory"
SCENARIO = "scenario"
EXTRA = "extra"  # other overrides, key=value separated by spaces, as on the command line
FORM = "form"  # an error that concerns no single field
# Top-level keys that the Run view cannot honour (experiments and Hydra's own settings have their own tools).
_REFUSED_PREFIXES: tuple[str, ...] = ("experiment", "hydra", "seeds", "resume", "output", "+", "~")

# Hydra's global state admits one composition at a time; the server answers several sessions in threads.
_compose_lock = threading.Lock()


@dataclass(frozen=True)
class Lever:
    """One numeric key of the configuration shown on the Run form.

    Attributes:
        key: the dotted configuration key (as on the command line).
        label: the label shown, with its unit.
        default: the schema's default, as text.
        territory: the territory the lever applies to (None: every territory).
    """

    key: str
    label: str
    default: str
    territory: str | None = None


def _default(key: str) -> str:
    obj: object = SimConfig()
    for part in key.split("."):
        obj = getattr(obj, part)
    return str(obj)


LEVERS: tuple[Lever, ...] = (
    Lever("weeks", "Weeks counted (weeks)", _default("weeks")),
    Lever("warmup_weeks", "Warm-up weeks, not counted (weeks)", _default("warmup_weeks")),
    Lever(
        "population.sample_rate",
        "Sample rate (share of adults simulated, 0-1)",
        _default("population.sample_rate"),
    ),
    Lever(
        "policy.remote_days_per_week",
        "Remote days allowed (days per week)",
        _default("policy.remote_days_per_week"),
    ),
    Lever("seed", "Seed (integer >= 0)", _default("seed")),
    Lever(
        "territory.synthetic.adults",
        "Adults of the synthetic territory (persons)",
        _default("territory.synthetic.adults"),
        territory="synthetic",
    ),
)
LEVER_KEYS: tuple[str, ...] = tuple(lever.key for lever in LEVERS)


class FormError(UserError):
    """A value of the form is wrong; the message is the CLI's line for the same override.

    Args:
        message: the one-line message (as ``lieux`` prints it after ``lieux: error:``).
        key: the configuration key it concerns, when known.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        self.message = message
        self.key = key
        super().__init__(message)


def available_scenarios() -> list[str]:
    """The scenarios of ``configs/scenario/`` (file names without ``.yaml``), sorted, ``baseline`` first."""
    names = cli._available("scenario")
    return sorted(names, key=lambda n: (n != DEFAULT_SCENARIO, n))


def scenario_description(name: str) -> str:
    """The ``description`` of a scenario file, or an empty string when it has none or is unreadable.

    Args:
        name: a scenario name of :func:`available_scenarios`.
    """
    path = Path(cli.CONFIG_DIR) / "scenario" / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    return str(data.get("description") or "") if isinstance(data, dict) else ""


def default_values() -> dict[str, str]:
    """The form as first shown: the app's territory and scenario, the schema's defaults, no other override."""
    values = {TERRITORY: DEFAULT_TERRITORY, SCENARIO: DEFAULT_SCENARIO, EXTRA: ""}
    values.update({lever.key: lever.default for lever in LEVERS})
    return values


def levers_for(territory: str) -> list[Lever]:
    """The levers shown for a territory (those of another territory are hidden and not sent)."""
    return [lever for lever in LEVERS if lever.territory in (None, territory)]


def _key_of(override: str) -> str:
    return override.split("=", 1)[0].strip()


def extra_overrides(text: str) -> list[str]:
    """Split the "other overrides" field into ``key=value`` overrides, as a shell splits a command line.

    Args:
        text: e.g. ``"policy.sharing_clause=true economics.allocation=equal"``.

    Raises:
        FormError: unbalanced quotes, or a key the Run view does not take (experiments, Hydra's settings,
            outputs: use ``lieux`` for those).
    """
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise FormError(f"cannot split the overrides '{text}': {exc}") from None
    for token in tokens:
        key = _key_of(token)
        if key.startswith(_REFUSED_PREFIXES) or key in (TERRITORY, SCENARIO):
            raise FormError(
                f"'{token}': '{key}' cannot be set here; expected model keys (the territory and the scenario "
                "have their own fields; use lieux for experiments and output folders)",
                key,
            )
    return tokens


def form_overrides(values: Mapping[str, str]) -> list[str]:
    """The Hydra overrides of a filled form, in the order the command line would take them.

    Blank levers are left out (the default applies). Levers of another territory are left out.

    Args:
        values: field name -> text (:func:`default_values` gives every field).

    Raises:
        FormError: the "other overrides" field cannot be split or names a refused key.
    """
    territory = str(values.get(TERRITORY) or DEFAULT_TERRITORY)
    overrides = [f"territory={territory}", f"scenario={values.get(SCENARIO) or DEFAULT_SCENARIO}"]
    for lever in levers_for(territory):
        text = str(values.get(lever.key, "")).strip()
        if text:
            overrides.append(f"{lever.key}={text}")
    return overrides + extra_overrides(str(values.get(EXTRA, "") or ""))


def _error_key(exc: BaseException) -> str | None:
    if isinstance(exc, ConfigError):
        return exc.key
    if isinstance(exc, OverrideParseException):
        return _key_of(str(exc.override or ""))
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else exc
    key = getattr(cause, "full_key", None)
    return str(key) if key else None


def compose_config(overrides: Sequence[str]) -> SimConfig:
    """The validated configuration of ``lieux <overrides>``: Hydra's composition of configs/, then to_config.

    Args:
        overrides: command-line overrides, e.g. ``["territory=synthetic", "weeks=2"]``.

    Raises:
        FormError: a wrong override, with the message ``lieux`` prints for it and the key it concerns.
    """
    try:
        with _compose_lock, initialize_config_dir(version_base="1.3", config_dir=str(cli.CONFIG_DIR)):
            composed = compose(config_name="config", overrides=list(overrides))
        return to_config(cli._plain(composed))
    except UserError as exc:
        raise FormError(cli._one_line(str(exc)), _error_key(exc)) from None
    except (HydraException, OmegaConfBaseException) as exc:
        raise FormError(cli.hydra_error_message(exc), _error_key(exc)) from None


def _field_of(key: str | None, values: Mapping[str, str]) -> str:
    """The form field an error's key belongs to."""
    if key in LEVER_KEYS:
        return key
    if key in (TERRITORY, SCENARIO):
        return key
    if key and any(_key_of(t) == key for t in str(values.get(EXTRA, "")).split()):
        return EXTRA
    return FORM


def check_form(values: Mapping[str, str]) -> tuple[SimConfig | None, dict[str, str]]:
    """The configuration of a filled form, or every wrong field with the CLI's message for it.

    The whole form is composed once (about 0.3 s); only when it fails is each field composed alone, so that
    every wrong field gets its own message (Hydra and the schema stop at the first error).

    Args:
        values: field name -> text.

    Returns:
        ``(config, {})`` for a valid form, else ``(None, errors)``: field name (a lever's key, ``territory``,
        ``scenario``, ``extra`` or ``form``) -> message.
    """
    try:
        return compose_config(form_overrides(values)), {}
    except FormError as exc:
        first = exc
    territory = str(values.get(TERRITORY) or DEFAULT_TERRITORY)
    base = [f"territory={territory}", f"scenario={values.get(SCENARIO) or DEFAULT_SCENARIO}"]
    errors: dict[str, str] = {}
    try:
        compose_config(base)
    except FormError as exc:
        errors[_field_of(exc.key, values)] = exc.message
        return None, errors
    for lever in levers_for(territory):
        text = str(values.get(lever.key, "")).strip()
        if not text:
            continue
        try:
            compose_config([*base, f"{lever.key}={text}"])
        except FormError as exc:
            errors[lever.key] = exc.message
    try:
        extra = extra_overrides(str(values.get(EXTRA, "") or ""))
        if extra:
            compose_config(base + extra)
    except FormError as exc:
        errors[EXTRA] = exc.message
    if not errors:  # only the combination is wrong (e.g. two keys checked against each other)
        errors[_field_of(first.key, values)] = first.message
    return None, errors


def field_errors(values: Mapping[str, str]) -> dict[str, str]:
    """Every wrong field of the form with the CLI's message (empty for a valid form); see :func:`check_form`."""
    return check_form(values)[1]


def config_from_form(values: Mapping[str, str]) -> SimConfig:
    """The configuration of a filled form.

    Raises:
        FormError: the first wrong value (:func:`field_errors` lists them all).
    """
    return compose_config(form_overrides(values))
