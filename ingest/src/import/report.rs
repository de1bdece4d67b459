//! What an import tells: why each refused row was refused and where it was,
//! and the totals of one or more files.
use std::collections::BTreeMap;
use std::fmt;

/// Why one row was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImportReason {
    /// The CSV record could not be read (unterminated quote, not UTF-8, too many fields).
    MalformedRow,
    /// A required field is empty or absent.
    MissingField,
    /// No such sensor in the registry (or the equipment has no sensor with that metric).
    UnknownSensor,
    /// No such equipment in the registry.
    UnknownEquipment,
    /// The metric name is not one Caretaker knows.
    UnknownMetric,
    /// The equipment has several sensors with that metric: name the sensor instead.
    AmbiguousSensor,
    /// The time does not parse, is more than a day ahead, or is before 1990.
    BadTimestamp,
    /// The value is not a number.
    BadValue,
    /// The value is NaN or infinite.
    NonFinite,
    /// The value is outside what the metric can physically be.
    OutOfRange,
    /// The event kind is not one Caretaker knows.
    UnknownEventKind,
    /// The event's unit is not in the registry.
    UnknownUnit,
    /// The event's cost is not a finite, non-negative number.
    BadCost,
}

impl ImportReason {
    /// The reason's name in reports (`unknown_sensor`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::MalformedRow => "malformed_row",
            Self::MissingField => "missing_field",
            Self::UnknownSensor => "unknown_sensor",
            Self::UnknownEquipment => "unknown_equipment",
            Self::UnknownMetric => "unknown_metric",
            Self::AmbiguousSensor => "ambiguous_sensor",
            Self::BadTimestamp => "bad_timestamp",
            Self::BadValue => "bad_value",
            Self::NonFinite => "non_finite",
            Self::OutOfRange => "out_of_range",
            Self::UnknownEventKind => "unknown_event_kind",
            Self::UnknownUnit => "unknown_unit",
            Self::BadCost => "bad_cost",
        }
    }
}

impl fmt::Display for ImportReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A CSV line (the header is line 1).
    Line(u64),
    /// A Parquet row (the first is row 1).
    Row(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "{n}"),
            Self::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One row worth showing: the file, where in it, and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct RowNote {
    /// The file, as given.
    pub file: String,
    /// Where in the file.
    pub place: Place,
    /// What was wrong or what happened, in plain words.
    pub detail: String,
}

impl fmt::Display for RowNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.place, self.detail)
    }
}

/// Rows refused for one reason: how many, and the first few.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RejectedRows {
    /// How many rows.
    pub count: u64,
    /// The first [`super::ImportSettings::examples`] of them.
    pub examples: Vec<RowNote>,
}

/// What an import was about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImportKind {
    /// Readings into the Parquet store.
    #[default]
    Readings,
    /// Events into the operational store.
    Events,
}

/// The validation report of one or more files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Readings or events.
    pub kind: ImportKind,
    /// Files read.
    pub files: usize,
    /// Rows read (blank CSV lines not counted).
    pub rows: u64,
    /// Rows that passed every check.
    pub valid: u64,
    /// Valid rows that were new and stored.
    pub imported: u64,
    /// Valid rows already stored (readings: with the same value).
    pub duplicates: u64,
    /// Valid readings already stored with another value (the stored one is kept).
    pub conflicts: u64,
    /// The first few conflicts.
    pub conflict_examples: Vec<RowNote>,
    /// Refused rows by reason.
    pub rejected: BTreeMap<ImportReason, RejectedRows>,
}

impl ImportReport {
    /// The report of one file, before its first row.
    pub(super) fn new(kind: ImportKind) -> Self {
        Self {
            kind,
            files: 1,
            ..Self::default()
        }
    }

    /// Rows refused, all reasons together.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().map(|r| r.count).sum()
    }

    /// Adds another file's report to this one, keeping at most `examples` examples per reason.
    pub fn merge(&mut self, other: ImportReport, examples: usize) {
        self.kind = other.kind;
        self.files += other.files;
        self.rows += other.rows;
        self.valid += other.valid;
        self.imported += other.imported;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        for note in other.conflict_examples {
            if self.conflict_examples.len() < examples {
                self.conflict_examples.push(note);
            }
        }
        for (reason, rows) in other.rejected {
            let mine = self.rejected.entry(reason).or_default();
            mine.count += rows.count;
            for note in rows.examples {
                if mine.examples.len() < examples {
                    mine.examples.push(note);
                }
            }
        }
    }

    /// Counts a refused row, keeping its note while fewer than `examples` are kept.
    pub(super) fn reject(
        &mut self,
        reason: ImportReason,
        note: impl FnOnce() -> RowNote,
        examples: usize,
    ) {
        let rows = self.rejected.entry(reason).or_default();
        rows.count += 1;
        if rows.examples.len() < examples {
            rows.examples.push(note());
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (things, files) = (
            match self.kind {
                ImportKind::Readings => "readings",
                ImportKind::Events => "events",
            },
            if self.files == 1 { "file" } else { "files" },
        );
        writeln!(f, "rows read: {} ({} {files})", self.rows, self.files)?;
        writeln!(f, "imported: {} new {things}", self.imported)?;
        match self.kind {
            ImportKind::Readings => {
                writeln!(
                    f,
                    "duplicates: {} (already stored with the same value)",
                    self.duplicates
                )?;
                writeln!(
                    f,
                    "conflicts: {} (already stored with another value; the value stored first was kept)",
                    self.conflicts
                )?;
                for note in &self.conflict_examples {
                    writeln!(f, "  {note}")?;
                }
            }
            ImportKind::Events => {
                writeln!(f, "duplicates: {} (already stored)", self.duplicates)?;
            }
        }
        writeln!(f, "rejected: {}", self.rejected_total())?;
        for (reason, rows) in &self.rejected {
            writeln!(f, "  {reason}: {}", rows.count)?;
            for note in &rows.examples {
                writeln!(f, "    {note}")?;
            }
            let more = rows.count.saturating_sub(rows.examples.len() as u64);
            if more > 0 {
                writeln!(f, "    ... and {more} more")?;
            }
        }
        Ok(())
    }
}
