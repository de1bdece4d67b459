//! The fields a pack may carry, and what it never carries, in plain words.

/// The features a pack may carry, with what each means: only statistics that mean
/// the same on every machine of every co-op (departures from the machine's own
/// normal and from its siblings, cycling, age, maintenance and failure history,
/// alarms and reports counted, sensor health, season). Any other column is
/// dropped when a pack is built and refused when one is imported.
pub const SHARED_FEATURES: &[(&str, &str)] = &[
    (
        "strongest_departure_3d",
        "largest departure of any sensor's 3-day mean from the machine's own normal, in standard deviations",
    ),
    (
        "strongest_departure_7d",
        "largest departure of any sensor's 7-day mean from the machine's own normal, in standard deviations",
    ),
    (
        "strongest_extreme_7d",
        "most extreme reading of any sensor over 7 days against its normal, in standard deviations",
    ),
    (
        "strongest_spread_ratio_7d",
        "most unsteady sensor over 7 days: its spread as a multiple of its normal spread",
    ),
    (
        "strongest_trend_30d",
        "steepest trend of any sensor over 30 days, in normal standard deviations per day",
    ),
    (
        "sibling_departure_7d",
        "largest departure of any sensor's 7-day mean from the same sensor on machines of the same kind, in standard deviations",
    ),
    (
        "cycling_rise_7d",
        "on/off cycling over 7 days as a multiple of the machine's normal",
    ),
    ("age_days", "age in days, rounded to whole weeks"),
    (
        "days_since_maintenance",
        "days since the last maintenance, in whole days",
    ),
    (
        "days_since_failure",
        "days since the last failure, in whole days",
    ),
    ("alarms_30d", "alarms over 30 days (a count)"),
    (
        "resident_reports_30d",
        "resident reports over 30 days (a count, never their text)",
    ),
    (
        "missing_share_7d",
        "share of expected readings missing over 7 days",
    ),
    (
        "stuck_sensors",
        "sensors stuck on one value for two days (a count)",
    ),
    (
        "season_sin",
        "time of year (sine of the day of the year of the week's Monday)",
    ),
    (
        "season_cos",
        "time of year (cosine of the day of the year of the week's Monday)",
    ),
];

/// The meaning of a shared feature, `None` if a pack may not carry it.
pub fn shared_feature(name: &str) -> Option<&'static str> {
    SHARED_FEATURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, meaning)| *meaning)
}

/// What a pack never holds, in plain words (the manifest lists them).
pub const EXCLUDED: &[&str] = &[
    "raw sensor readings, and every statistic of one sensor (levels, means, spreads, trends of a named sensor)",
    "sensor, equipment, unit and building ids, names, makes and models (each machine is a pseudonym drawn for this pack only)",
    "gateway names, device addresses, street addresses and the co-op's registry",
    "exact dates and times (only the Monday of each week)",
    "event descriptions, resident reports' text and who made them",
    "costs, budgets and work orders",
];
