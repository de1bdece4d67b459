"""Read the files Caretaker keeps in its data directory, without ever writing there.

The notebooks in this folder share these readers so that each file format is read in
one place. The formats are described in ``docs/data-directory.md``:

- ``registry.toml``: the co-op, its buildings, equipment and sensors (expected ranges);
- ``readings/date=YYYY-MM-DD/*.parquet``: the readings store (sensor, ts, value);
- ``quarantine/YYYY-MM-DD.jsonl``: every refused message with its reason;
- ``caretaker.sqlite``: the operational store (events: failures, services...);
- ``reports/backtest-*.json``: backtest reports (``caretaker backtest``);
- ``models/CURRENT`` and ``models/VERSION/card.json``: the model in use and its card;
- a plan exported with ``caretaker plan --out FILE`` (or asked of the running API).

Environment variables:

===========================  ===============================================================
``CARETAKER_DATA_DIR``        the data directory (default: ``caretaker-demo/`` beside this folder)
``CARETAKER_BACKTEST``        a backtest report (default: the newest ``reports/backtest-*.json``)
``CARETAKER_BACKTEST_PRINTED``  what ``caretaker backtest`` printed, saved to a file
``CARETAKER_LOOKBACK``        look-back forecasts (``caretaker score --format csv`` on past days)
``CARETAKER_PLAN``            an exported plan (default: ``reports/plan.json`` in the data directory)
``CARETAKER_API``             the API's address, e.g. ``http://127.0.0.1:8080`` (with a token)
``CARETAKER_TOKEN``           a committee token for the API
===========================  ===============================================================
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import matplotlib as mpl
import polars as pl

NOTEBOOKS = Path(__file__).resolve().parent
REPOSITORY = NOTEBOOKS.parent

# Okabe and Ito's palette: told apart with every common kind of colour blindness.
COLOURS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}


def use_house_style() -> None:
    """Colour-blind-safe colours, readable sizes, grid lines, dates that fit."""
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(
                color=[COLOURS[c] for c in ("blue", "orange", "green", "vermillion", "sky", "purple", "black")]
            ),
            "figure.figsize": (10, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.titlesize": 12,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "figure.constrained_layout.use": True,
            "image.cmap": "cividis",
        }
    )


def date_axis(ax) -> None:
    """Dates on the x axis that stay readable at any zoom."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# --- the data directory -------------------------------------------------------------


def data_dir() -> Path:
    """The data directory: ``CARETAKER_DATA_DIR``, or the demo's ``caretaker-demo/``."""
    configured = os.environ.get("CARETAKER_DATA_DIR")
    path = Path(configured) if configured else REPOSITORY / "caretaker-demo"
    if not (path / "registry.toml").is_file():
        raise FileNotFoundError(
            f"no Caretaker data directory at {path} (it has no registry.toml): "
            "run `caretaker demo` once, or set CARETAKER_DATA_DIR to your co-op's data directory"
        )
    return path


def registry(data: Path) -> dict:
    """The co-op registry as a dictionary (``tomllib``)."""
    with open(data / "registry.toml", "rb") as f:
        return tomllib.load(f)


def time_zone(reg: dict) -> str:
    """The co-op's time zone as the registry gives it; UTC when it names none."""
    coop = reg.get("coop", {})
    return coop.get("time_zone") or coop.get("timezone") or "UTC"


def equipment_table(reg: dict) -> pl.DataFrame:
    """One row per piece of equipment: id, building, kind, name, costs, criticality."""
    rows = [
        {
            "equipment": e["id"],
            "building": e["building"],
            "kind": e["kind"],
            "name": e.get("name", e["id"]),
            "replacement_cost": float(e.get("replacement_cost", 0)),
            "failure_cost": float(e.get("failure_cost", 0)),
            "criticality": int(e.get("criticality", 0)),
        }
        for e in reg.get("equipment", [])
    ]
    return pl.DataFrame(rows)


def sensor_table(reg: dict) -> pl.DataFrame:
    """One row per sensor: its equipment and building, metric, unit, expected range, interval."""
    equipment = {e["id"]: e for e in reg.get("equipment", [])}
    rows = []
    for s in reg.get("sensor", []):
        e = equipment.get(s["equipment"], {})
        low, high = s.get("expected_range", [None, None])
        rows.append(
            {
                "sensor": s["id"],
                "equipment": s["equipment"],
                "building": e.get("building"),
                "kind": e.get("kind"),
                "metric": s["metric"],
                "unit": s.get("unit", ""),
                "low": None if low is None else float(low),
                "high": None if high is None else float(high),
                "interval_s": int(s.get("interval_s", 300)),
            }
        )
    return pl.DataFrame(rows)


# --- the readings store -------------------------------------------------------------

_PART = re.compile(r"^part-(\d+)\.parquet$")
_COMPACT = re.compile(r"^compact-(\d+)-(\d+)\.parquet$")


def store_files(data: Path) -> list[Path]:
    """The readings store's files as Caretaker reads them: hidden temporary files and
    parts already merged into a ``compact-`` file are left out."""
    files = []
    for day in sorted((data / "readings").glob("date=*")):
        spans = []
        for f in day.iterdir():
            m = _PART.match(f.name)
            if m:
                spans.append((int(m[1]), int(m[1]), f))
                continue
            m = _COMPACT.match(f.name)
            if m:
                spans.append((int(m[1]), int(m[2]), f))
        for first, last, f in spans:
            covered = any(
                (a, b) != (first, last) and a <= first and last <= b for a, b, _ in spans
            )
            if not covered:
                files.append(f)
    return files


def readings(data: Path, sensors=None, start=None, end=None) -> pl.DataFrame:
    """Stored readings (sensor, ts as UTC, value), optionally of some sensors, in [start, end)."""
    files = store_files(data)
    if not files:
        return pl.DataFrame(
            schema={"sensor": pl.String, "ts": pl.Datetime("ms", "UTC"), "value": pl.Float64}
        )
    scan = pl.scan_parquet(files, hive_partitioning=False).select("sensor", "ts", "value")
    scan = scan.with_columns(pl.col("ts").dt.replace_time_zone("UTC") if _naive(scan) else pl.col("ts"))
    if sensors is not None:
        scan = scan.filter(pl.col("sensor").is_in(list(sensors)))
    if start is not None:
        scan = scan.filter(pl.col("ts") >= _utc(start))
    if end is not None:
        scan = scan.filter(pl.col("ts") < _utc(end))
    return scan.sort("sensor", "ts").collect()


def _naive(scan: pl.LazyFrame) -> bool:
    return scan.collect_schema()["ts"].time_zone is None


def _utc(when):
    """A datetime (naive ones are UTC) as a Polars literal in UTC."""
    import datetime as dt

    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return pl.lit(when).cast(pl.Datetime("ms", "UTC"))


def local(frame: pl.DataFrame, tz: str, column: str = "ts") -> pl.DataFrame:
    """The column in the co-op's local time (naive, for plotting and tables)."""
    return frame.with_columns(
        pl.col(column).dt.convert_time_zone(tz).dt.replace_time_zone(None)
    )


# --- quarantine and events ---------------------------------------------------------------


def gateway_of(topic: str) -> str:
    """Who sent a message, from its topic: the gateway of ``caretaker/NAME/readings``,
    Zigbee2MQTT, a ChirpStack application, or the topic itself."""
    parts = topic.split("/")
    if len(parts) >= 2 and parts[0] == "caretaker":
        return parts[1]
    if parts[0] == "zigbee2mqtt":
        return "zigbee2mqtt"
    if len(parts) >= 2 and parts[0] == "application":
        return f"chirpstack application {parts[1]}"
    return f"other topic ({parts[0]})"


def quarantine(data: Path) -> pl.DataFrame:
    """Every quarantined message: received_at (UTC), topic, gateway, reason, detail, payload_bytes.

    ``gateway`` is the gateway logged in on Caretaker's own MQTT listener (the line's
    ``gateway`` field); for a message from another broker, guessed from its topic."""
    rows = []
    for f in sorted((data / "quarantine").glob("*.jsonl")):
        with open(f, encoding="utf-8") as lines:
            for line in lines:
                line = line.strip()
                if line:
                    rows.append(json.loads(line))
    schema = {
        "received_at": pl.String,
        "topic": pl.String,
        "sender": pl.String,
        "reason": pl.String,
        "detail": pl.String,
        "payload_bytes": pl.Int64,
    }
    frame = pl.DataFrame(
        [{**{k: r.get(k) for k in schema}, "sender": r.get("gateway")} for r in rows],
        schema=schema,
    )
    return frame.with_columns(
        pl.col("received_at").str.to_datetime(time_zone="UTC", time_unit="ms"),
        pl.coalesce(
            pl.col("sender"),
            pl.col("topic").map_elements(gateway_of, return_dtype=pl.String),
        ).alias("gateway"),
    ).drop("sender")


def events(data: Path) -> pl.DataFrame:
    """The maintenance history (failures, services, alarms, resident reports) from the
    operational store, read from a private copy so that the data directory is untouched."""
    db = data / "caretaker.sqlite"
    schema = {
        "ts": pl.Datetime("ms", "UTC"),
        "equipment": pl.String,
        "kind": pl.String,
        "code": pl.String,
        "description": pl.String,
        "cost": pl.Float64,
    }
    if not db.is_file():
        return pl.DataFrame(schema=schema)
    with tempfile.TemporaryDirectory() as tmp:
        # SQLite in WAL mode keeps recent writes in the -wal file: copy both.
        for suffix in ("", "-wal"):
            src = Path(f"{db}{suffix}")
            if src.is_file():
                shutil.copyfile(src, Path(tmp) / f"store.sqlite{suffix}")
        con = sqlite3.connect(Path(tmp) / "store.sqlite")
        try:
            rows = con.execute(
                "SELECT ts_ms, equipment_id, kind, code, description, cost FROM events ORDER BY ts_ms"
            ).fetchall()
        finally:
            con.close()
    frame = pl.DataFrame(
        rows,
        schema={
            "ts": pl.Int64,
            "equipment": pl.String,
            "kind": pl.String,
            "code": pl.String,
            "description": pl.String,
            "cost": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))


# --- forecasts -----------------------------------------------------------------------------


def backtest_report(data: Path) -> tuple[Path, dict]:
    """The backtest report: ``CARETAKER_BACKTEST``, or the newest in ``reports/``."""
    configured = os.environ.get("CARETAKER_BACKTEST")
    if configured:
        path = Path(configured)
    else:
        reports = sorted((data / "reports").glob("backtest-*.json"))
        if not reports:
            raise FileNotFoundError(
                f"no backtest report in {data / 'reports'}: run `caretaker backtest` first"
            )
        path = reports[-1]
    with open(path, encoding="utf-8") as f:
        return path, json.load(f)


def model_card(data: Path) -> dict | None:
    """The card of the model in use (``models/CURRENT``), or None before the first training."""
    current = data / "models" / "CURRENT"
    if not current.is_file():
        return None
    version = current.read_text().strip()
    with open(data / "models" / version / "card.json", encoding="utf-8") as f:
        return json.load(f)


def printed_backtest() -> str | None:
    """What ``caretaker backtest`` printed, if it was saved (``CARETAKER_BACKTEST_PRINTED``)."""
    configured = os.environ.get("CARETAKER_BACKTEST_PRINTED")
    if not configured:
        return None
    return Path(configured).read_text(encoding="utf-8")


def lookback_scores(data: Path) -> pl.DataFrame | None:
    """Forecasts of the model in use on past days (``caretaker score --at DAY --format csv``,
    concatenated), from ``CARETAKER_LOOKBACK`` or ``reports/lookback.csv``; None if absent."""
    configured = os.environ.get("CARETAKER_LOOKBACK")
    path = Path(configured) if configured else data / "reports" / "lookback.csv"
    if not path.is_file():
        return None
    frame = pl.read_csv(path, infer_schema_length=0)
    return frame.filter(pl.col("equipment") != "equipment").with_columns(
        pl.col("as_of").str.to_datetime(time_zone="UTC", time_unit="ms"),
        pl.col("probability").cast(pl.Float64),
        pl.col("horizon_days").cast(pl.Int64),
        (pl.col("down") == "true").alias("down"),
    )


# --- the plan ------------------------------------------------------------------------------


def plans(data: Path, budgets) -> dict:
    """Plans at several budgets: from ``CARETAKER_PLAN`` (default ``reports/plan.json``,
    written by ``caretaker plan --budget ... --out FILE``), or, when that file does not
    exist and ``CARETAKER_API`` and ``CARETAKER_TOKEN`` are set, from the running API's
    ``GET /api/v1/plan?budget=...`` for each of ``budgets``."""
    configured = os.environ.get("CARETAKER_PLAN")
    path = Path(configured) if configured else data / "reports" / "plan.json"
    if path.is_file():
        with open(path, encoding="utf-8") as f:
            export = json.load(f)
        export["source"] = str(path)
        return export
    api, token = os.environ.get("CARETAKER_API"), os.environ.get("CARETAKER_TOKEN")
    if not (api and token):
        raise FileNotFoundError(
            f"no plan at {path}: export one with `caretaker plan --budget 5000 --budget 20000 --out {path}`, "
            "or set CARETAKER_API and CARETAKER_TOKEN (a committee token) to ask the running API"
        )
    answers = []
    for budget in budgets:
        url = f"{api.rstrip('/')}/api/v1/plan?{urllib.parse.urlencode({'budget': budget})}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answers.append(json.load(response))
    return {
        "source": api,
        "as_of": None,
        "model_version": None,
        "currency": answers[0]["currency"] if answers else "",
        "budgets": list(budgets),
        "plans": answers,
    }
