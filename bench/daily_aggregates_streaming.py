"""The alternative to keeping daily aggregates: compute them from every raw reading
with Polars' streaming engine, each time a reader needs them.

Usage: daily_aggregates_streaming.py DATA_DIR

Computes, in one query over `DATA_DIR/readings/date=*/*.parquet`, what
`caretaker_ingest::aggregates` keeps per sensor and day (count, sum, sum of
squares, min, max, changes of value in time order), collected with
`engine="streaming"`, and prints the number of sensor-days. Run under
/usr/bin/time by bench/daily-aggregates.sh for its wall time and peak RSS.
"""

import sys

import polars as pl

DAY_MS = 86_400_000


def main() -> None:
    readings = pl.scan_parquet(f"{sys.argv[1]}/readings/date=*/*.parquet", hive_partitioning=False)
    daily = (
        readings.select(
            pl.col("sensor").cast(pl.String),
            pl.col("ts").dt.epoch("ms").alias("ts"),
            pl.col("value"),
        )
        .with_columns((pl.col("ts") // DAY_MS).alias("day"))
        .group_by("sensor", "day")
        .agg(
            pl.col("value").count().cast(pl.Float64).alias("count"),
            pl.col("value").sum().alias("sum"),
            (pl.col("value") * pl.col("value")).sum().alias("sum_sq"),
            pl.col("value").min().alias("min"),
            pl.col("value").max().alias("max"),
            pl.col("value").sort_by("ts").diff().abs().gt(0).sum().cast(pl.Float64).alias("changes"),
        )
        .collect(engine="streaming")
    )
    print(f"{daily.height} sensor-days")


if __name__ == "__main__":
    main()
