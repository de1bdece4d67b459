//! Parquet rows as [`Cell`]s: the schema of a file, then its rows read by row
//! group, in slices of at most [`PARQUET_CHUNK_ROWS`].
use std::fs::File;
use std::path::Path;

use caretaker_core::Timestamp;
use polars::prelude::*;

use super::table::{Cell, EachRow, MAX_WANTS, RowData, Want, Wants};
use super::{ImportError, Place};

/// Most Parquet rows decoded at once (a larger row group is read in slices).
pub const PARQUET_CHUNK_ROWS: usize = 1 << 19;

/// What a Parquet file holds, read from its metadata.
pub(super) struct ParquetSchema {
    /// Column names.
    pub(super) columns: Vec<String>,
    /// Their Polars types.
    pub(super) dtypes: Vec<DataType>,
    /// Rows in the file.
    pub(super) rows: u64,
}

fn open(path: &Path) -> Result<File, ImportError> {
    File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })
}

fn polars_error(path: &Path) -> impl Fn(PolarsError) -> ImportError + '_ {
    move |source| ImportError::Parquet {
        path: path.to_owned(),
        source,
    }
}

/// The columns, types and row count of a Parquet file.
pub(super) fn schema(path: &Path) -> Result<ParquetSchema, ImportError> {
    let pq = polars_error(path);
    let mut reader = ParquetReader::new(open(path)?);
    let rows = reader.num_rows().map_err(&pq)?;
    let empty = reader.with_slice(Some((0, 0))).finish().map_err(&pq)?;
    Ok(ParquetSchema {
        columns: empty
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        dtypes: empty.dtypes(),
        rows: rows as u64,
    })
}

/// Calls `each` for every row with the wanted cells, and `progress` after each
/// slice with the rows read so far. `columns` are the file's column names.
pub(super) fn scan(
    path: &Path,
    columns: &[String],
    wants: &Wants,
    each: &mut EachRow<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    let pq = polars_error(path);
    let mut reader = ParquetReader::new(open(path)?);
    let metadata = reader.get_metadata().map_err(&pq)?.clone();
    let mut names: Vec<String> = Vec::new();
    for c in wants.iter().filter_map(|&(col, _)| col) {
        if !names.contains(&columns[c]) {
            names.push(columns[c].clone());
        }
    }
    let mut offset = 0usize;
    for group in &metadata.row_groups {
        let group_rows = group.num_rows();
        let mut done = 0;
        while done < group_rows {
            let len = (group_rows - done).min(PARQUET_CHUNK_ROWS);
            let mut reader = ParquetReader::new(open(path)?);
            reader.set_metadata(metadata.clone());
            let df = reader
                .with_columns(Some(names.clone()))
                .with_slice(Some((offset + done, len)))
                .finish()
                .map_err(&pq)?;
            emit_chunk(&df, columns, wants, (offset + done) as u64, each).map_err(|e| match e {
                ChunkError::Polars(source) => pq(source),
                ChunkError::Import(e) => e,
            })?;
            done += len;
            progress((offset + done) as u64);
        }
        offset += group_rows;
    }
    Ok(())
}

/// A wanted column of a chunk, converted for its want.
enum Prepared {
    Absent,
    Text(StringChunked),
    Millis(Vec<Option<i64>>),
    Number(Float64Chunked),
}

/// A prepared column's values, for access by row.
enum Values<'a> {
    Absent,
    Text(Vec<Option<&'a str>>),
    Millis(&'a [Option<i64>]),
    Number(Vec<Option<f64>>),
}

/// The wanted column `col` of `df`, converted for `want`.
fn prepare(
    df: &DataFrame,
    columns: &[String],
    col: Option<usize>,
    want: Want,
) -> PolarsResult<Prepared> {
    let Some(c) = col else {
        return Ok(Prepared::Absent);
    };
    let column = df.column(&columns[c])?;
    let dtype = column.dtype().clone();
    Ok(match (want, &dtype) {
        (Want::Text, _) | (Want::Time | Want::Number, DataType::String) => {
            Prepared::Text(column.cast(&DataType::String)?.str()?.clone())
        }
        (Want::Time, DataType::Datetime(unit, _)) => {
            let div = match unit {
                TimeUnit::Milliseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Nanoseconds => 1_000_000,
            };
            let physical = column.datetime()?.physical().clone();
            Prepared::Millis(scale(&physical, 1, div))
        }
        (Want::Time, DataType::Date) => {
            let days = column.cast(&DataType::Int64)?;
            Prepared::Millis(scale(days.i64()?, Timestamp::DAY, 1))
        }
        (Want::Time, _) => {
            let ms = column.cast(&DataType::Int64)?;
            Prepared::Millis(scale(ms.i64()?, 1, 1))
        }
        (Want::Number, _) => Prepared::Number(column.cast(&DataType::Float64)?.f64()?.clone()),
    })
}

/// Hands each row of a Parquet chunk (its first row is row `first` + 1 of the file) to `each`.
fn emit_chunk(
    df: &DataFrame,
    columns: &[String],
    wants: &Wants,
    first: u64,
    each: &mut EachRow<'_>,
) -> Result<(), ChunkError> {
    let prepared = wants
        .iter()
        .map(|&(col, want)| prepare(df, columns, col, want))
        .collect::<PolarsResult<Vec<_>>>()?;
    let values: Vec<Values<'_>> = prepared
        .iter()
        .map(|p| match p {
            Prepared::Absent => Values::Absent,
            Prepared::Text(ca) => Values::Text(ca.iter().collect()),
            Prepared::Millis(v) => Values::Millis(v),
            Prepared::Number(ca) => Values::Number(ca.iter().collect()),
        })
        .collect();
    for i in 0..df.height() {
        let mut cells = [Cell::Null; MAX_WANTS];
        for (cell, v) in cells.iter_mut().zip(&values) {
            *cell = match v {
                Values::Absent => Cell::Null,
                Values::Text(t) => match t[i].map(str::trim) {
                    Some(text) if !text.is_empty() => Cell::Text(text),
                    _ => Cell::Null,
                },
                Values::Millis(m) => m[i].map_or(Cell::Null, Cell::Millis),
                Values::Number(n) => n[i].map_or(Cell::Null, Cell::Number),
            };
        }
        let place = Place::Row(first + i as u64 + 1);
        each(place, RowData::Cells(&cells[..wants.len()])).map_err(ChunkError::Import)?;
    }
    Ok(())
}

/// Why a chunk could not be handed out: Polars failed, or a check did.
enum ChunkError {
    Polars(PolarsError),
    Import(ImportError),
}

impl From<PolarsError> for ChunkError {
    fn from(e: PolarsError) -> Self {
        Self::Polars(e)
    }
}

/// `values * mul / div` (rounded down), `None` where it overflows.
fn scale(values: &Int64Chunked, mul: i64, div: i64) -> Vec<Option<i64>> {
    values
        .iter()
        .map(|v| {
            v.and_then(|v| v.checked_mul(mul))
                .map(|v| v.div_euclid(div))
        })
        .collect()
}
