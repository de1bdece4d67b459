//! The manifest: what a pack holds and leaves out, in plain words.
use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A field of the pack and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldNote {
    /// The field's name.
    pub name: String,
    /// What it means.
    pub meaning: String,
}

/// What a pack holds, beside its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The co-op's display name, or "anonymous".
    pub coop: String,
    /// Monday of the week the pack was made.
    pub made_week: NaiveDate,
    /// A row is labelled "failed" if the machine failed within this many days after its week.
    pub horizon_days: i64,
    /// Rows (samples).
    pub rows: usize,
    /// Machines, each under a pseudonym drawn for this pack only.
    pub machines: usize,
    /// Rows labelled "failed within the horizon".
    pub rows_failed: usize,
    /// Failures recorded over the pack's weeks, by kind of equipment.
    pub failures_by_kind: BTreeMap<String, usize>,
    /// Monday of the first week sampled.
    pub first_week: Option<NaiveDate>,
    /// Monday of the last week sampled.
    pub last_week: Option<NaiveDate>,
    /// The fields of each row.
    pub fields_included: Vec<FieldNote>,
    /// What the pack never holds.
    pub fields_excluded: Vec<String>,
}

impl fmt::Display for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Knowledge pack of: {}", self.coop)?;
        writeln!(f, "Made in the week of {}.", self.made_week)?;
        match (self.first_week, self.last_week) {
            (Some(first), Some(last)) => writeln!(
                f,
                "{} rows about {} machines, from the week of {first} to the week of {last}.",
                self.rows, self.machines
            )?,
            _ => writeln!(f, "No rows.")?,
        }
        writeln!(
            f,
            "Each row says whether the machine failed within {} days after that week: {} rows say it did.",
            self.horizon_days, self.rows_failed
        )?;
        let failures: usize = self.failures_by_kind.values().sum();
        let by_kind: Vec<String> = self
            .failures_by_kind
            .iter()
            .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
            .collect();
        writeln!(
            f,
            "Failures over those weeks: {failures}{}{}.",
            if by_kind.is_empty() { "" } else { " (" },
            if by_kind.is_empty() {
                String::new()
            } else {
                by_kind.join(", ") + ")"
            }
        )?;
        writeln!(f, "\nEach row holds:")?;
        for field in &self.fields_included {
            writeln!(f, "  {:<26} {}", field.name, field.meaning)?;
        }
        writeln!(f, "\nThe pack never holds:")?;
        for line in &self.fields_excluded {
            writeln!(f, "  - {line}")?;
        }
        Ok(())
    }
}
