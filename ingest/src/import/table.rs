//! Opening an input file: its format, its columns (and their Parquet types),
//! and its rows handed to the checks as [`Cell`]s of the wanted columns.
use std::path::{Path, PathBuf};

#[cfg(feature = "pipeline")]
use polars::prelude::DataType;

use super::csv_rows::{self, CsvRow, CsvRows};
#[cfg(feature = "pipeline")]
use super::parquet_rows;
use super::{ImportError, Place};

/// A file format, known from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl FileFormat {
    /// The format of `path` from its extension (`.csv`, `.parquet`, any case).
    pub fn of(path: &Path) -> Result<Self, ImportError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" => Ok(Self::Csv),
            "parquet" => Ok(Self::Parquet),
            _ => Err(ImportError::FileType {
                path: path.to_owned(),
            }),
        }
    }
}

/// What a row holds in one wanted column.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code))]
pub(super) enum Cell<'a> {
    /// Empty, null or absent.
    Null,
    /// Text, trimmed and not empty.
    Text(&'a str),
    /// A time already in epoch milliseconds (Parquet timestamps, dates, integers).
    Millis(i64),
    /// A number (Parquet numeric columns).
    Number(f64),
}

/// How a wanted column is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    Text,
    Time,
    Number,
}

/// Columns wanted from a table: which column (if the file has it) and how.
pub(super) type Wants = [(Option<usize>, Want)];

/// Most columns any import wants.
pub(super) const MAX_WANTS: usize = 8;

/// A row as the checks see it.
pub(super) enum RowData<'a> {
    /// The wanted cells, in the order of the wants.
    Cells(&'a [Cell<'a>]),
    /// Why the row could not be read.
    Malformed(String),
}

/// What the checks do with each row.
pub(super) type EachRow<'e> = dyn FnMut(Place, RowData<'_>) -> Result<(), ImportError> + 'e;

/// An opened input file: its format and column names.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) path: PathBuf,
    pub(super) format: FileFormat,
    /// Column names as in the file.
    columns: Vec<String>,
    /// Polars types of the columns (Parquet only).
    #[cfg(feature = "pipeline")]
    dtypes: Vec<DataType>,
    /// File size in bytes (CSV) or rows (Parquet), for progress.
    pub(super) size: u64,
}

impl Table {
    /// Opens `path` and reads its header (CSV) or schema (Parquet).
    pub(super) fn open(path: &Path) -> Result<Self, ImportError> {
        let format = FileFormat::of(path)?;
        let io = |source| ImportError::Io {
            path: path.to_owned(),
            source,
        };
        #[cfg(feature = "pipeline")]
        let (columns, dtypes, size) = match format {
            FileFormat::Csv => {
                let size = std::fs::metadata(path).map_err(io)?.len();
                (csv_rows::header(path).map_err(io)?, Vec::new(), size)
            }
            FileFormat::Parquet => {
                let schema = parquet_rows::schema(path)?;
                (schema.columns, schema.dtypes, schema.rows)
            }
        };
        // Without the `pipeline` feature (no Polars), CSV only.
        #[cfg(not(feature = "pipeline"))]
        let (columns, size) = match format {
            FileFormat::Csv => {
                let size = std::fs::metadata(path).map_err(io)?.len();
                (csv_rows::header(path).map_err(io)?, size)
            }
            FileFormat::Parquet => {
                return Err(ImportError::FileType {
                    path: path.to_owned(),
                });
            }
        };
        Ok(Self {
            path: path.to_owned(),
            format,
            columns,
            #[cfg(feature = "pipeline")]
            dtypes,
            size,
        })
    }

    /// The first column named any of `names` (case-insensitive, trimmed).
    pub(super) fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            self.columns
                .iter()
                .position(|c| c.trim().eq_ignore_ascii_case(name))
        })
    }

    /// The error for a file without the columns `expected` lists.
    pub(super) fn columns_error(&self, expected: &'static str) -> ImportError {
        let found = if self.columns.is_empty() {
            "nothing: the file is empty or its header cannot be read".to_owned()
        } else {
            self.columns.join(", ")
        };
        ImportError::Columns {
            path: self.path.clone(),
            found,
            expected,
        }
    }

    /// Checks that Parquet columns have types that can mean what `wants` asks.
    #[cfg(not(feature = "pipeline"))]
    pub(super) fn check_types(&self, _wants: &Wants) -> Result<(), ImportError> {
        Ok(())
    }

    /// Checks that Parquet columns have types that can mean what `wants` asks.
    #[cfg(feature = "pipeline")]
    pub(super) fn check_types(&self, wants: &Wants) -> Result<(), ImportError> {
        if self.format != FileFormat::Parquet {
            return Ok(());
        }
        for &(col, want) in wants {
            let Some(c) = col else { continue };
            let dtype = &self.dtypes[c];
            let (ok, expected) = match want {
                Want::Text => (
                    matches!(dtype, DataType::String | DataType::Null)
                        || dtype.is_integer()
                        || dtype.is_categorical()
                        || dtype.is_enum(),
                    "text",
                ),
                Want::Time => (
                    matches!(
                        dtype,
                        DataType::Datetime(..) | DataType::Date | DataType::String | DataType::Null
                    ) || dtype.is_integer(),
                    "a timestamp, a date, an integer (epoch milliseconds) or text",
                ),
                Want::Number => (
                    matches!(dtype, DataType::String | DataType::Boolean | DataType::Null)
                        || dtype.is_primitive_numeric(),
                    "a number",
                ),
            };
            if !ok {
                return Err(ImportError::ColumnType {
                    path: self.path.clone(),
                    column: self.columns[c].clone(),
                    dtype: dtype.to_string(),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Calls `each` for every row with the wanted cells, and `progress` now and
    /// then with the bytes (CSV) or rows (Parquet) read so far.
    pub(super) fn scan(
        &self,
        wants: &Wants,
        each: &mut EachRow<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        assert!(wants.len() <= MAX_WANTS, "at most {MAX_WANTS} columns");
        match self.format {
            FileFormat::Csv => self.scan_csv(wants, each, progress),
            #[cfg(feature = "pipeline")]
            FileFormat::Parquet => {
                parquet_rows::scan(&self.path, &self.columns, wants, each, progress)
            }
            #[cfg(not(feature = "pipeline"))]
            FileFormat::Parquet => Err(ImportError::FileType {
                path: self.path.clone(),
            }),
        }
    }

    fn scan_csv(
        &self,
        wants: &Wants,
        each: &mut EachRow<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), ImportError> {
        let io = |source| ImportError::Io {
            path: self.path.clone(),
            source,
        };
        let mut rows = CsvRows::open(&self.path).map_err(io)?;
        if rows.next().map_err(io)?.is_none() {
            return Ok(());
        }
        // Wanted fields that held a line break as `\r\n`, kept as `\n`.
        let mut unix_breaks: [String; MAX_WANTS] = Default::default();
        // Rows until the next progress report.
        let mut countdown = 0u32;
        loop {
            if countdown == 0 {
                progress(rows.bytes_read());
                countdown = 16_384;
            }
            let Some((line, row)) = rows.next().map_err(io)? else {
                break;
            };
            let place = Place::Line(line);
            let fields = match row {
                CsvRow::Blank => continue,
                CsvRow::Malformed(why) => {
                    countdown -= 1;
                    each(place, RowData::Malformed(why.to_owned()))?;
                    continue;
                }
                CsvRow::Fields(fields) => fields,
            };
            countdown -= 1;
            let n_fields = fields.len();
            let n_columns = self.columns.len();
            if n_fields > n_columns && fields.iter().skip(n_columns).any(|f| !f.trim().is_empty()) {
                let why = format!("{n_fields} fields, but the header has {n_columns} columns");
                each(place, RowData::Malformed(why))?;
                continue;
            }
            let wanted = |col: Option<usize>| col.and_then(|c| fields.get(c)).map(str::trim);
            for (kept, &(col, _)) in unix_breaks.iter_mut().zip(wants) {
                if let Some(field) = wanted(col).filter(|f| f.contains('\r')) {
                    *kept = field.replace("\r\n", "\n");
                }
            }
            let mut cells = [Cell::Null; MAX_WANTS];
            for (i, (cell, &(col, _))) in cells.iter_mut().zip(wants).enumerate() {
                *cell = match wanted(col) {
                    None | Some("") => Cell::Null,
                    Some(field) if field.contains('\r') => Cell::Text(&unix_breaks[i]),
                    Some(field) => Cell::Text(field),
                };
            }
            each(place, RowData::Cells(&cells[..wants.len()]))?;
        }
        progress(rows.bytes_read());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EventsFile, ReadingsFile};
    use super::*;

    #[test]
    fn unrecognisable_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let err = ReadingsFile::open(&write("a.txt", "sensor,ts,value\n")).unwrap_err();
        assert!(
            err.to_string().contains("expected a .csv or .parquet file"),
            "{err}"
        );
        let err = ReadingsFile::open(&write("b.csv", "when,what\n1,2\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("no recognisable columns (found: when, what)"),
            "{err}"
        );
        let err = ReadingsFile::open(&write("c.csv", "")).unwrap_err();
        assert!(err.to_string().contains("the file is empty"), "{err}");
        let err = ReadingsFile::open(&write("c2.csv", "\"sensor,ts,value\n")).unwrap_err();
        assert!(
            err.to_string().contains("its header cannot be read"),
            "{err}"
        );
        let err = ReadingsFile::open(&dir.path().join("missing.csv")).unwrap_err();
        assert!(matches!(err, ImportError::Io { .. }), "{err}");
        let err = ReadingsFile::open(&write("d.parquet", "not parquet")).unwrap_err();
        assert!(matches!(err, ImportError::Parquet { .. }), "{err}");
        let err = EventsFile::open(&write("e.csv", "ts,equipment\n")).unwrap_err();
        assert!(
            err.to_string()
                .contains("ts (or timestamp), equipment, kind"),
            "{err}"
        );
    }
}
