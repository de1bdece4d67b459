//! Building, signing and opening a knowledge pack.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use caretaker_core::EquipmentKind;
use chrono::{Datelike as _, Duration, NaiveDate};
use ed25519_dalek::Signature;
use rand::seq::SliceRandom as _;
use serde::{Deserialize, Serialize};

use crate::error::FederationError;
use crate::fields::{EXCLUDED, shared_feature};
use crate::keys::{KeyPair, PublicKey, strict_hex};
use crate::manifest::{FieldNote, Manifest};
use crate::trusted::TrustedKeys;

/// The first line of every pack, naming its format.
pub const FORMAT: &str = "caretaker knowledge pack 1";

/// One learning sample, as the co-op computed it (nothing here is written as is).
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRow {
    /// The machine's local id: replaced by a pseudonym, never written.
    pub machine: String,
    /// Its kind.
    pub kind: EquipmentKind,
    /// The day its features were computed as of: rounded down to the Monday.
    pub day: NaiveDate,
    /// Whether it failed within the horizon after `day`.
    pub fails: bool,
    /// One value per feature of the table (NaN where undefined).
    pub values: Vec<f64>,
}

/// A co-op's learning samples, from which a pack is built.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampleTable {
    /// Feature names, in the order of each row's values; only the shared ones are kept.
    pub features: Vec<String>,
    /// The samples.
    pub rows: Vec<SampleRow>,
    /// Failures recorded over the samples' weeks, by kind.
    pub failures_by_kind: BTreeMap<EquipmentKind, usize>,
}

/// How a pack is built.
#[derive(Debug, Clone, PartialEq)]
pub struct PackOptions {
    /// The co-op's display name; `None` writes "anonymous".
    pub coop: Option<String>,
    /// The label's horizon, in days.
    pub horizon_days: i64,
    /// Today (its week is written).
    pub today: NaiveDate,
}

/// One row as a pack holds it: pseudonym, kind, week, failed (0 or 1), values.
pub type PackRow = (String, String, NaiveDate, u8, Vec<Option<f64>>);

/// A pack's contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// What it holds, in plain words.
    pub manifest: Manifest,
    /// Names of each row's values.
    pub features: Vec<String>,
    /// The rows, ordered by week, kind and pseudonym.
    pub rows: Vec<PackRow>,
}

/// A pack whose signature matched a trusted key.
#[derive(Debug, Clone)]
pub struct VerifiedPack {
    /// The name its signer is trusted under.
    pub name: String,
    /// The signer.
    pub signer: PublicKey,
    /// The contents.
    pub pack: Pack,
    /// The file's bytes, exactly as signed.
    pub bytes: Vec<u8>,
}

/// The Monday of `day`'s week.
fn week_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// A value as a pack holds it, `None` where undefined: the season of the week's
/// Monday (not of the day), age in whole weeks, counts of days in whole days, the
/// rest to three decimals.
fn rounded(feature: &str, v: f64, week: NaiveDate) -> Option<f64> {
    if !v.is_finite() {
        return None;
    }
    let angle = std::f64::consts::TAU * f64::from(week.ordinal0()) / 365.25;
    let r = match feature {
        "season_sin" => angle.sin(),
        "season_cos" => angle.cos(),
        "age_days" => (v / 7.0).round() * 7.0,
        f if f.starts_with("days_since") => v.round(),
        _ => v,
    };
    let r = (r * 1000.0).round() / 1000.0;
    Some(if r == 0.0 { 0.0 } else { r })
}

impl Pack {
    /// Builds a pack from the co-op's samples: shared features only, weeks for
    /// days, pseudonyms for machines (a fresh random draw each time).
    pub fn build(table: &SampleTable, options: &PackOptions) -> Result<Self, FederationError> {
        let kept: Vec<usize> = (0..table.features.len())
            .filter(|&j| shared_feature(&table.features[j]).is_some())
            .collect();
        let features: Vec<String> = kept.iter().map(|&j| table.features[j].clone()).collect();
        let machines: BTreeSet<&str> = table.rows.iter().map(|r| r.machine.as_str()).collect();
        let mut numbers: Vec<usize> = (1..=machines.len()).collect();
        numbers.shuffle(&mut rand::rngs::OsRng);
        let pseudonym: BTreeMap<&str, String> = machines
            .iter()
            .zip(numbers)
            .map(|(m, n)| (*m, format!("m{n:04}")))
            .collect();
        let mut rows = Vec::with_capacity(table.rows.len());
        for r in &table.rows {
            if r.values.len() != table.features.len() {
                return Err(FederationError::Build(format!(
                    "a row has {} values for {} features",
                    r.values.len(),
                    table.features.len()
                )));
            }
            let week = week_of(r.day);
            let values = kept
                .iter()
                .map(|&j| rounded(&table.features[j], r.values[j], week))
                .collect();
            rows.push((
                pseudonym[r.machine.as_str()].clone(),
                r.kind.name().to_owned(),
                week,
                u8::from(r.fails),
                values,
            ));
        }
        // Shuffled first, so that the order within a week says nothing of the days.
        rows.shuffle(&mut rand::rngs::OsRng);
        rows.sort_by(|a, b| (a.2, &a.1, &a.0).cmp(&(b.2, &b.1, &b.0)));
        let manifest = Manifest {
            coop: options
                .coop
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "anonymous".into()),
            made_week: week_of(options.today),
            horizon_days: options.horizon_days,
            rows: rows.len(),
            machines: machines.len(),
            rows_failed: rows.iter().filter(|r| r.3 == 1).count(),
            failures_by_kind: table
                .failures_by_kind
                .iter()
                .map(|(k, n)| (k.name().to_owned(), *n))
                .collect(),
            first_week: rows.first().map(|r| r.2),
            last_week: rows.last().map(|r| r.2),
            fields_included: fields_included(&features, options.horizon_days),
            fields_excluded: EXCLUDED.iter().map(|s| (*s).to_owned()).collect(),
        };
        Ok(Self {
            manifest,
            features,
            rows,
        })
    }

    /// The signed part: the manifest readable at the top, then one row per line.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = String::from("{\n\"manifest\": ");
        out.push_str(&serde_json::to_string_pretty(&self.manifest).expect("serialisable"));
        out.push_str(",\n\"features\": ");
        out.push_str(&compact(&self.features));
        out.push_str(",\n\"rows\": [");
        for (i, row) in self.rows.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(&compact(row));
        }
        out.push_str("\n]\n}\n");
        out.into_bytes()
    }

    /// The pack file: the format line, the signer, the signature, a blank line, the payload.
    pub fn seal(&self, key: &KeyPair) -> Vec<u8> {
        let payload = self.payload();
        let signature = key.sign(&payload);
        let mut out = header(&key.public(), &signature).into_bytes();
        out.extend_from_slice(&payload);
        out
    }

    /// Reads a pack's contents without checking its signature (for packs already
    /// accepted into the library).
    pub fn read_accepted(bytes: &[u8], path: &Path) -> Result<(PublicKey, Self), FederationError> {
        let (signer, _, payload) = split(bytes, path)?;
        Ok((signer, parse_payload(payload, path)?))
    }

    /// Checks that every byte of a pack is as its own signer signed it, whoever
    /// that is (a hub keeps packs without trusting anyone); returns the signer.
    pub fn check_signed(bytes: &[u8], path: &Path) -> Result<PublicKey, FederationError> {
        let (signer, signature, payload) = split(bytes, path)?;
        if !signer.verifies(payload, &signature) {
            return Err(FederationError::Tampered {
                path: path.to_owned(),
            });
        }
        parse_payload(payload, path)?;
        Ok(signer)
    }

    /// Opens a pack file: every byte must be as its signer signed it, and the
    /// signer must be trusted; then its contents must be what a pack may hold.
    pub fn open(
        bytes: &[u8],
        path: &Path,
        trusted: &TrustedKeys,
    ) -> Result<VerifiedPack, FederationError> {
        let (signer, signature, payload) = split(bytes, path)?;
        if !signer.verifies(payload, &signature) {
            return Err(FederationError::Tampered {
                path: path.to_owned(),
            });
        }
        let Some(name) = trusted.name_of(&signer) else {
            return Err(FederationError::Untrusted {
                path: path.to_owned(),
                key: signer.to_string(),
                trusted: trusted.path().to_owned(),
            });
        };
        Ok(VerifiedPack {
            name: name.to_owned(),
            signer,
            pack: parse_payload(payload, path)?,
            bytes: bytes.to_vec(),
        })
    }
}

/// The fields of each row, with their meanings.
fn fields_included(features: &[String], horizon: i64) -> Vec<FieldNote> {
    let note = |name: &str, meaning: String| FieldNote {
        name: name.to_owned(),
        meaning,
    };
    let mut out = vec![
        note(
            "machine",
            "a pseudonym (m0001, ...) drawn for this pack only".into(),
        ),
        note(
            "kind",
            "the kind of equipment (boiler, elevator, ...)".into(),
        ),
        note("week", "the Monday of the week the row describes".into()),
        note(
            "failed",
            format!("1 if the machine failed within {horizon} days after that week, else 0"),
        ),
    ];
    for f in features {
        out.push(note(f, shared_feature(f).unwrap_or_default().to_owned()));
    }
    out
}

fn header(signer: &PublicKey, signature: &Signature) -> String {
    format!(
        "{FORMAT}\nsigned-by: {signer}\nsignature: {}\n\n",
        hex::encode(signature.to_bytes())
    )
}

/// Splits a pack file into signer, signature and payload; the header must be
/// exactly as [`Pack::seal`] writes it, so that no byte of it can change unnoticed.
fn split<'a>(
    bytes: &'a [u8],
    path: &Path,
) -> Result<(PublicKey, Signature, &'a [u8]), FederationError> {
    let not_a_pack = |why: &str| FederationError::NotAPack {
        path: path.to_owned(),
        why: why.to_owned(),
    };
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| not_a_pack("no header"))?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| not_a_pack("header is not text"))?;
    let mut lines = head.split('\n');
    if lines.next() != Some(FORMAT) {
        return Err(not_a_pack(&format!("the first line must be {FORMAT:?}")));
    }
    let field = |line: Option<&'a str>, name: &str| -> Result<&'a str, FederationError> {
        line.and_then(|l| l.strip_prefix(name))
            .ok_or_else(|| not_a_pack(&format!("missing {name:?} line")))
    };
    let signer = field(lines.next(), "signed-by: ")?;
    let signature = field(lines.next(), "signature: ")?;
    if lines.next().is_some() {
        return Err(not_a_pack("unexpected header line"));
    }
    let signer =
        PublicKey::parse(signer).map_err(|why| not_a_pack(&format!("signed-by: {why}")))?;
    let signature: [u8; 64] = strict_hex(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| not_a_pack("signature: must be 128 lowercase hex digits"))?;
    let signature = Signature::from_bytes(&signature);
    if header(&signer, &signature).as_bytes() != &bytes[..end + 2] {
        return Err(not_a_pack("the header is not in its one written form"));
    }
    Ok((signer, signature, &bytes[end + 2..]))
}

/// The payload, checked: only shared features, known kinds, rows as long as the features.
fn parse_payload(payload: &[u8], path: &Path) -> Result<Pack, FederationError> {
    let not_a_pack = |why: String| FederationError::NotAPack {
        path: path.to_owned(),
        why,
    };
    let pack: Pack = serde_json::from_slice(payload).map_err(|e| not_a_pack(e.to_string()))?;
    if let Some(f) = pack.features.iter().find(|f| shared_feature(f).is_none()) {
        return Err(not_a_pack(format!(
            "feature {f:?} is not one a pack may hold"
        )));
    }
    for row in &pack.rows {
        if EquipmentKind::parse(&row.1).is_err() {
            return Err(not_a_pack(format!("unknown kind {:?}", row.1)));
        }
        if row.4.len() != pack.features.len() || row.3 > 1 {
            return Err(not_a_pack("a row does not fit the features".into()));
        }
    }
    if pack.manifest.rows != pack.rows.len() {
        return Err(not_a_pack(
            "the manifest's row count is not the rows'".into(),
        ));
    }
    Ok(pack)
}

/// A part of the payload as compact JSON.
fn compact(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("serialisable")
}
