//! The command line.
use std::path::PathBuf;

use caretaker_core::{EquipmentKind, Role};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

/// Caretaker: predictive maintenance for housing co-operatives.
///
/// Everything runs on this machine: an embedded MQTT broker, an SQLite
/// database and Parquet files in one data directory.
#[derive(Debug, Parser)]
#[command(name = "caretaker", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML); default ./caretaker.toml if it exists.
    #[arg(long, global = true, env = "CARETAKER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory (default ./caretaker-data; env CARETAKER_DATA_DIR).
    #[arg(long = "data", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Co-op registry file to use instead of the data directory's registry.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub registry: Option<PathBuf>,
    /// Log lines on stderr as `text` (for people; no colours unless stderr is a
    /// terminal) or `json` (one object per line); default log.format.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<crate::config::LogFormat>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the effective configuration (defaults, file, environment, flags).
    Config,
    /// Check and summarise the co-op registry.
    Registry(RegistryArgs),
    /// Simulate the co-op: a history to learn from, or live gateways.
    #[command(subcommand)]
    Simulate(SimulateCommand),
    /// Run the ingest pipeline: MQTT readings into the Parquet store.
    Ingest(IngestArgs),
    /// Manage gateway credentials (MQTT user names and passwords).
    #[command(subcommand)]
    Gateway(GatewayCommand),
    /// Import readings or events from CSV or Parquet files (stop `caretaker ingest` first).
    #[command(subcommand)]
    Import(ImportCommand),
    /// The daily aggregates per sensor that learning and scoring read (kept up to
    /// date day by day as readings arrive; `rebuild` recomputes them from the raw store).
    #[command(subcommand)]
    Aggregates(AggregatesCommand),
    /// Backtest every learner and baseline on rolling-origin splits: prints a table, writes a JSON report.
    Backtest(BacktestArgs),
    /// Train on all history so far and save a versioned model with its model card.
    Train(TrainArgs),
    /// Probability that each piece of equipment fails within the horizon, with its reasons.
    Score(ScoreArgs),
    /// The open work orders that fit a budget, as `GET /api/v1/plan` gives them, at one or more budgets (JSON).
    Plan(PlanArgs),
    /// The monthly report for the general meeting: a self-contained `DIR/index.html`
    /// (and `DIR/report.pdf` with `--pdf`).
    Report(ReportArgs),
    /// Evaluate the forecaster on public run-to-failure data.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Run ingest, periodic scoring and the HTTP API together.
    Serve(ServeArgs),
    /// Everything on embedded defaults with a simulated co-op: history, a trained
    /// model, live simulated gateways, the API; prints the URLs and demo tokens.
    Demo(DemoArgs),
    /// Manage API tokens (bearer tokens with a role).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Certificates for HTTPS and MQTT over TLS on the co-op's network.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Knowledge packs: share the co-op's learning samples with other co-ops, and
    /// keep theirs (docs/federation.md).
    #[command(subcommand)]
    Federation(FederationCommand),
}

/// `caretaker federation` subcommands.
#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Make the co-op's ed25519 key pair (in DATA/federation/); prints the public
    /// key other co-ops add to their trusted keys.
    Key {
        /// Replace an existing key pair (packs signed with the old key are then
        /// refused by co-ops that trusted it).
        #[arg(long)]
        new: bool,
    },
    /// Write the co-op's signed knowledge pack (only with federation.share = true).
    Export(FederationExportArgs),
    /// Run a hub that keeps member co-ops' packs and serves them over HTTP, a
    /// token per member (`caretaker federation member` makes them).
    Serve {
        /// The hub's folder (members and their packs).
        #[arg(long, value_name = "DIR")]
        hub_dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8790")]
        listen: String,
        /// Serve HTTPS with the data directory's TLS certificate and key (made by
        /// `caretaker tls init --host HUB-NAME`, or tls.cert_file and tls.key_file).
        #[arg(long)]
        tls: bool,
    },
    /// Add a member co-op to a hub; prints its token (shown once).
    Member {
        /// The member's name on the hub (letters, digits, '.', '_', '-').
        name: String,
        /// The hub's folder.
        #[arg(long, value_name = "DIR")]
        hub_dir: PathBuf,
    },
    /// Push this co-op's pack to a hub (with federation.share = true), pull the
    /// other members' and accept those signed by trusted keys; or withdraw this
    /// co-op's pack from the hub.
    Sync {
        /// The hub's address (`https://HOST:PORT`, or `http://` on a network the
        /// members trust).
        #[arg(long, value_name = "URL")]
        hub: String,
        /// The certificate authority that signed the hub's certificate (PEM; the
        /// hub's `tls/ca.pem`); default: the system's trusted authorities.
        #[arg(long, value_name = "FILE")]
        hub_ca: Option<PathBuf>,
        /// This co-op's member token on the hub.
        #[arg(long, env = "FEDERATION_HUB_TOKEN", hide_env_values = true)]
        token: String,
        /// Withdraw this co-op's pack from the hub (deleted there at once) instead.
        #[arg(long)]
        withdraw: bool,
        #[command(flatten)]
        samples: PackSamplesArgs,
    },
    /// Show exactly what a pack would hold, in plain words; writes and sends nothing.
    Preview(FederationPreviewArgs),
    /// Accept packs signed by trusted keys (all of them, or none if one is refused).
    Import {
        /// Pack files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the packs accepted.
    List,
    /// Drop an accepted pack.
    Remove {
        /// The pack's name (its co-op's name in the trusted keys; see `federation list`).
        name: String,
    },
}

/// Which samples a pack holds.
#[derive(Debug, Args, Clone)]
pub struct PackSamplesArgs {
    /// Horizon in days: a row is labelled "failed" if the machine failed within this many days.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub horizon: i64,
    /// Days between two samples of the same machine.
    #[arg(long, default_value_t = 2, value_name = "DAYS")]
    pub step: i64,
}

/// `caretaker federation export`.
#[derive(Debug, Args)]
pub struct FederationExportArgs {
    #[command(flatten)]
    pub samples: PackSamplesArgs,
    /// The pack file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `caretaker federation preview`.
#[derive(Debug, Args)]
pub struct FederationPreviewArgs {
    #[command(flatten)]
    pub samples: PackSamplesArgs,
    /// Rows shown (the pack holds them all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub rows: usize,
}

/// `caretaker tls` subcommands.
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Create a certificate authority for the co-op and a server certificate
    /// signed by it, in the data directory's tls/ folder.
    Init {
        /// A host name or IP address gateways and browsers use to reach this
        /// machine (repeatable; default: localhost, 127.0.0.1, ::1 and this
        /// machine's host name).
        #[arg(long = "host", value_name = "NAME_OR_IP")]
        host: Vec<String>,
        /// Replace an existing certificate authority.
        #[arg(long)]
        force: bool,
    },
}

/// `caretaker serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address of the API (default: api.listen, 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// An external MQTT broker instead of the embedded one.
    #[arg(long, value_name = "URL")]
    pub broker: Option<String>,
    /// Time between scorings (`30m`, `1h`, or seconds; default: api.score_every_s).
    #[arg(long, value_name = "DURATION", value_parser = parse_period)]
    pub score_every: Option<std::time::Duration>,
}

/// `caretaker demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo's data directory (kept between runs; a second start reuses it).
    #[arg(long, default_value = "caretaker-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Years of simulated history before today.
    #[arg(long, default_value_t = 1.0)]
    pub years: f64,
    /// Start again from an empty demo directory.
    #[arg(long)]
    pub fresh: bool,
    /// Address of the API (default: api.listen, 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Stop after this long (e.g. `30s`, `10m`); default: until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
}

/// `caretaker token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is kept).
    Add {
        /// What the token may do.
        #[arg(long, value_parser = one_of::<Role>(Role::names()))]
        role: Role,
        /// The unit of a resident token (e.g. B-204).
        #[arg(long)]
        unit: Option<String>,
        /// Who holds it.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Print a one-time sign-in link for the pages (for a resident without a
    /// device at hand: print it and hand it over). It works once, within `--days`.
    Link {
        /// The token's id (from `caretaker token list`).
        id: i64,
        /// Days the link stays usable.
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (from `caretaker token list`).
        id: i64,
    },
}

/// Options shared by backtest and train.
#[derive(Debug, Args, Clone)]
pub struct ForecastArgs {
    /// Horizon in days: the probability of failing within this many days.
    #[arg(long, default_value_t = Self::HORIZON_DAYS, value_name = "DAYS")]
    pub horizon: i64,
    /// Days between two training samples of the same equipment.
    #[arg(long, default_value_t = Self::STEP_DAYS, value_name = "DAYS")]
    pub step: i64,
    /// Seed of the random forest.
    #[arg(long, default_value_t = Self::SEED)]
    pub seed: u64,
}

impl ForecastArgs {
    const HORIZON_DAYS: i64 = 30;
    const STEP_DAYS: i64 = 2;
    const SEED: u64 = 7;
}

impl Default for ForecastArgs {
    /// The defaults of the command line.
    fn default() -> Self {
        Self {
            horizon: Self::HORIZON_DAYS,
            step: Self::STEP_DAYS,
            seed: Self::SEED,
        }
    }
}

/// `caretaker backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub forecast: ForecastArgs,
    /// Work orders the committee can take on per month (precision and recall at capacity).
    #[arg(long, default_value_t = 3)]
    pub capacity: usize,
    /// Where to write the JSON report (default: reports/backtest-TIME.json in the data directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write every sample (equipment, day, outcome, feature values) as CSV, to
    /// check the features in a notebook or spreadsheet.
    #[arg(long, value_name = "FILE")]
    pub samples: Option<PathBuf>,
}

/// `caretaker train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub forecast: ForecastArgs,
    /// Learner (logistic_regression, decision_tree, random_forest); default: the backtest's best.
    #[arg(long, value_name = "NAME")]
    pub algorithm: Option<String>,
    /// Skip the backtest (the card then has no figures; the learner defaults to random_forest).
    #[arg(long)]
    pub no_backtest: bool,
}

/// Output formats of `caretaker score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScoreFormat {
    /// A table for people.
    Table,
    /// JSON.
    Json,
    /// CSV.
    Csv,
}

/// `caretaker score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Time to forecast from (RFC 3339 or a date; default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScoreFormat::Table)]
    pub format: ScoreFormat,
}

/// `caretaker plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Money available for the period, in the co-op's currency; repeat for one plan per budget.
    #[arg(long = "budget", required = true, value_name = "AMOUNT")]
    pub budgets: Vec<f64>,
    /// Time to forecast from (RFC 3339 or a date; default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "no_score")]
    pub at: Option<caretaker_core::Timestamp>,
    /// Plan from the open orders as they stand, as the API would now, without scoring first.
    #[arg(long)]
    pub no_score: bool,
    /// Where to write the JSON (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `caretaker report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The month reported on, `YYYY-MM` (in the co-op's time zone).
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: chrono::NaiveDate,
    /// The folder to write `index.html` (and `report.pdf`) into; made if missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The budget the plan is made for, in the co-op's currency.
    #[arg(long, default_value_t = 10_000.0, value_name = "AMOUNT")]
    pub budget: f64,
    /// Also print it to `report.pdf` with headless Chromium (it must be installed).
    #[arg(long)]
    pub pdf: bool,
}

/// Parses `YYYY-MM` into the month's first day.
fn parse_month(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a month: write YYYY-MM, e.g. 2026-11"))
}

/// Parses a time given as RFC 3339 or a date.
fn parse_time(text: &str) -> Result<caretaker_core::Timestamp, String> {
    caretaker_core::Timestamp::parse(text).map_err(|e| e.to_string())
}

/// `caretaker eval ...`.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// NASA C-MAPSS turbofan data in its published format (train_/test_/RUL_SUBSET.txt).
    Cmapss(CmapssArgs),
}

/// `caretaker eval cmapss`.
#[derive(Debug, Args)]
pub struct CmapssArgs {
    /// Folder holding train_SUBSET.txt, test_SUBSET.txt and RUL_SUBSET.txt.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Subset name (FD001, FD002, ...).
    #[arg(long, default_value = "FD001")]
    pub subset: String,
    /// "Fails within N cycles".
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub within: i64,
    /// Seed of the random forest.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `caretaker import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import readings into the Parquet readings store, checked as live ingest checks them.
    ///
    /// Accepted: CSV or Parquet (from the extension), with columns sensor, ts,
    /// value (the simulator's and the store's format) or equipment, metric, ts,
    /// value (one reading per row; the sensor is the registry's sensor of that
    /// equipment with that metric). Header names are case-insensitive; `timestamp`
    /// may stand for `ts`. Times: RFC 3339, a date, or epoch milliseconds (Parquet:
    /// also a timestamp column). A reading already stored is a duplicate (same
    /// value) or a conflict (another value: the first value stored is kept).
    ///
    /// Stop `caretaker ingest` on this data directory first: both write the
    /// readings store, which takes one writer at a time, so this refuses to start
    /// while ingest holds it.
    Readings(ImportReadingsArgs),
    /// Import maintenance events (failures, services, alarms, resident reports) into the operational store.
    ///
    /// Accepted: CSV or Parquet with columns ts, equipment, kind, and optionally
    /// code, description, cost, unit (the simulator's events format). An event
    /// already stored (same equipment, time, kind and description) is skipped.
    Events(ImportEventsArgs),
}

/// `caretaker import readings`.
#[derive(Debug, Args)]
pub struct ImportReadingsArgs {
    /// Files to import (.csv or .parquet).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Add equipment and sensors named in equipment/metric files that the registry lacks
    /// (to the registry file in use, with defaults to review).
    #[arg(long)]
    pub create_missing: bool,
    /// Kind of the equipment --create-missing adds.
    #[arg(
        long,
        value_name = "KIND",
        requires = "create_missing",
        value_parser = one_of::<EquipmentKind>(EquipmentKind::names())
    )]
    pub kind: Option<EquipmentKind>,
}

/// `caretaker import events`.
#[derive(Debug, Args)]
pub struct ImportEventsArgs {
    /// Files to import (.csv or .parquet).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `caretaker ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// An external broker (mqtt://HOST:PORT or mqtts://HOST:PORT) instead of the embedded one.
    #[arg(long)]
    pub broker: Option<String>,
    /// Where to serve /metrics (default from the configuration, 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// `caretaker gateway ...`.
#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Create credentials for a gateway the registry declares (or one revoked
    /// before); the password is printed once, only its hash is kept.
    Add {
        /// Gateway name: its MQTT user name and client id, and its topic segment
        /// (caretaker/NAME/readings).
        name: String,
    },
    /// Issue a gateway a new password; the old one stops working at once and a
    /// gateway connected with it is disconnected within seconds.
    Rotate {
        /// Gateway name.
        name: String,
    },
    /// Revoke a gateway's credentials; a connected gateway is disconnected within seconds.
    Revoke {
        /// Gateway name.
        name: String,
    },
    /// List active gateways.
    List,
}

/// `caretaker registry`.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// What to do with the registry.
    #[command(subcommand)]
    pub command: RegistryCommand,
}

/// Registry subcommands.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Check a registry file (default: the one in use) and print what it holds.
    Check {
        /// The file to check.
        file: Option<PathBuf>,
    },
}

/// `caretaker simulate ...`.
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Write a simulated history: readings, events and the ground truth.
    History(HistoryArgs),
    /// Publish current readings over MQTT as the co-op's gateways would.
    Live(LiveArgs),
    /// Write a plausible random co-op registry (1 to 8 buildings, 10 to 400 units):
    /// simulate its history with `simulate history --registry FILE`.
    Coop(CoopArgs),
}

/// `caretaker simulate coop`.
#[derive(Debug, Args)]
pub struct CoopArgs {
    /// Seed (the same seed gives a byte-identical file).
    #[arg(long)]
    pub seed: u64,
    /// The registry file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `caretaker aggregates`.
#[derive(Debug, Subcommand)]
pub enum AggregatesCommand {
    /// Recompute every day's aggregates from the raw readings store, from nothing.
    Rebuild,
    /// Recompute only the days whose raw readings changed since (what train,
    /// backtest, score and serve do before they read).
    Refresh,
}

/// `caretaker simulate history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Seed (the same seed gives byte-identical output).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Years of history (fractions allowed: 0.25 is about three months).
    #[arg(long, default_value_t = 2.0)]
    pub years: f64,
    /// First day simulated (YYYY-MM-DD; default from the configuration, 2024-01-01).
    #[arg(long)]
    pub start: Option<String>,
    /// Output folder (default: DATA/simulated).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write readings.csv and events.csv.
    #[arg(long)]
    pub csv: bool,
}

/// `caretaker simulate live`.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Broker to publish to (mqtt://HOST:PORT or mqtts://HOST:PORT; default from the configuration).
    #[arg(long)]
    pub broker: Option<String>,
    /// How fast to replay the recent past: simulated seconds per real second
    /// (default simulate.speed, 60). The gateways start `--replay` before now and
    /// replay at this speed until they reach the wall clock, then publish in real
    /// time, so no reading is ever ahead of now (ingest would refuse it).
    #[arg(long)]
    pub speed: Option<f64>,
    /// How much of the recent past to replay before running in real time (`0s`:
    /// none; less than ingest.max_age_days).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub replay: std::time::Duration,
    /// Stop after this much real time (`90s`, `10m`, `2h`); default: until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Log in as each gateway of the registry, with passwords issued now in the
    /// data directory (a gateway's earlier password stops working): what the
    /// embedded listener needs, where each gateway publishes only its own sensors.
    #[arg(long, conflicts_with_all = ["credentials", "username"])]
    pub issue_credentials: bool,
    /// Log in as each gateway of the registry with the passwords in FILE, one
    /// `NAME PASSWORD` line per gateway.
    #[arg(long, value_name = "FILE", conflicts_with = "username")]
    pub credentials: Option<std::path::PathBuf>,
    /// MQTT user name of one connection publishing for every gateway (a broker
    /// that allows it); default from the configuration.
    #[arg(long)]
    pub username: Option<String>,
    /// MQTT password (default from the configuration; prefer CARETAKER_MQTT__PASSWORD).
    #[arg(long)]
    pub password: Option<String>,
}

/// Parses a duration as people write it, in humantime's syntax (`90s`, `10m`,
/// `1h 30m`, `2d`, `250ms`), or a bare number of seconds (`5`, `0.5`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("{text:?} is not a positive number of seconds"));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration like 90s, 10m, 2h or 1h 30m ({e})"))
}

/// Parses a duration that must not be zero (the time between two runs of something).
pub fn parse_period(text: &str) -> Result<std::time::Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err(format!("{text:?}: the period must be longer than zero")),
        d => Ok(d),
    }
}

/// Parses one of `names` (listed in `--help`) into the domain type they name.
fn one_of<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = caretaker_core::DomainError> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let secs = |text| parse_duration(text).map(|d| d.as_secs_f64());
        assert_eq!(secs("90s"), Ok(90.0));
        assert_eq!(secs("10m"), Ok(600.0));
        assert_eq!(secs("2h"), Ok(7200.0));
        assert_eq!(secs("1d"), Ok(86_400.0));
        assert_eq!(secs("1h 30m"), Ok(5400.0));
        assert_eq!(secs("250ms"), Ok(0.25));
        assert_eq!(secs("0s"), Ok(0.0));
        assert_eq!(secs(" 5 "), Ok(5.0));
        assert_eq!(secs("0.5"), Ok(0.5));
        for bad in ["soon", "5 parsecs", "-3", "-1s", "", "NaN"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(parse_period("1h").map(|d| d.as_secs()), Ok(3600));
        assert!(parse_period("0s").is_err());
    }
}
