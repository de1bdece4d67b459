//! What the models learn from: equipment, long readings by channel, and the event history.
//!
//! A *channel* is one measured quantity of one piece of equipment: on the co-op it is a
//! metric (`supply_temperature`), on imported fleets any named column (`s11`).

use std::ops::RangeInclusive;

use caretaker_core::{EquipmentId, Event, Registry, Timestamp};
use polars::prelude::*;

/// Milliseconds in a day.
pub const DAY_MS: i64 = Timestamp::DAY;

/// The day number (days since 1970-01-01 UTC) holding a time in milliseconds.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The daily aggregates of a run of consecutive days: the days, and their rows.
pub type DayChunk = (RangeInclusive<i64>, LazyFrame);

/// One measured quantity of a piece of equipment.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Name shared by every piece of equipment that measures it (`supply_temperature`).
    pub name: String,
    /// Whether it is an on/off state (run state, water detected).
    pub binary: bool,
    /// Readings expected per day when the sensors are healthy.
    pub readings_per_day: f64,
    /// Unit of measure of its values (`bar`); empty when unknown.
    pub unit: String,
}

/// What the models know about one piece of equipment besides its readings.
#[derive(Debug, Clone, PartialEq)]
pub struct EquipmentFacts {
    /// Identifier.
    pub id: EquipmentId,
    /// Kind name (`boiler`).
    pub kind: String,
    /// The name people use (`Boiler 1, Maple Court basement`); the id when there is none.
    pub name: String,
    /// Day it was installed (day number).
    pub installed_day: i64,
    /// Its channels.
    pub channels: Vec<Channel>,
}

/// Everything a model needs: equipment, readings and events.
pub struct History {
    /// The equipment, in a fixed order.
    pub equipment: Vec<EquipmentFacts>,
    /// Long readings: `equipment` (str), `channel` (str), `ts` (i64 ms UTC), `value` (f64);
    /// or, with [`History::sensor_map`], `sensor` (str) instead of the first two.
    pub readings: LazyFrame,
    /// Daily aggregates by sensor instead of raw readings (`sensor`, `day`, `count`,
    /// `sum`, `sum_sq`, `min`, `max`, `changes`: `caretaker_ingest::aggregates`),
    /// with [`History::sensor_map`]; `readings` is then empty. A co-op's history.
    /// In chunks of consecutive days (the days each holds, its frame), read one at
    /// a time: what reading them holds does not grow with the length of history.
    pub sensor_daily: Option<Vec<DayChunk>>,
    /// `sensor` → `equipment`, `channel`, `binary`, `sensor_no` (a distinct
    /// non-negative i64) (one row per sensor) when the
    /// readings are by sensor: they are aggregated by sensor first and mapped after,
    /// which spares naming the equipment and channel of every reading.
    pub sensor_map: Option<DataFrame>,
    /// Failures, maintenance, alarms and resident reports, in time order.
    pub events: Vec<Event>,
    /// First day with data (day number).
    pub start_day: i64,
    /// The day after the last day with data (day number): labels need data up to here.
    pub end_day: i64,
    /// Whether the time of year matters (heating, weather); false for fleets counted in cycles.
    pub seasonal: bool,
    /// Whether raw sensor levels mean the same on every equipment (a fleet of identical,
    /// normalised machines); false for a co-op, whose boilers and pumps differ.
    pub comparable_levels: bool,
}

impl History {
    /// Index of an equipment in [`History::equipment`].
    pub fn equipment_index(&self, id: &EquipmentId) -> Option<usize> {
        self.equipment.iter().position(|e| &e.id == id)
    }

    /// The co-op's history: readings in the store's schema (`sensor`, `ts`, `value`) mapped
    /// to equipment and metric through the registry. Sensors the registry no longer knows are left out.
    pub fn from_store(
        registry: &Registry,
        store_readings: LazyFrame,
        events: Vec<Event>,
        start_day: i64,
        end_day: i64,
    ) -> Self {
        let readings = store_readings.select([
            col("sensor"),
            col("ts").cast(DataType::Int64).alias("ts"),
            col("value"),
        ]);
        Self::co_op(registry, readings, None, events, start_day, end_day)
    }

    /// The co-op's history from the daily aggregates per sensor that
    /// `caretaker_ingest::aggregates` keeps: the same features as
    /// [`History::from_store`] without reading a raw reading.
    pub fn from_daily_aggregates(
        registry: &Registry,
        sensor_daily: Vec<DayChunk>,
        events: Vec<Event>,
        start_day: i64,
        end_day: i64,
    ) -> Self {
        let none = DataFrame::empty_with_schema(&Schema::from_iter([
            Field::new("sensor".into(), DataType::String),
            Field::new("ts".into(), DataType::Int64),
            Field::new("value".into(), DataType::Float64),
        ]))
        .lazy();
        Self::co_op(
            registry,
            none,
            Some(sensor_daily),
            events,
            start_day,
            end_day,
        )
    }

    fn co_op(
        registry: &Registry,
        readings: LazyFrame,
        sensor_daily: Option<Vec<DayChunk>>,
        mut events: Vec<Event>,
        start_day: i64,
        end_day: i64,
    ) -> Self {
        let sensors = registry.sensors();
        let map = df!(
            "sensor" => sensors.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            "equipment" => sensors.iter().map(|s| s.equipment.as_str()).collect::<Vec<_>>(),
            "channel" => sensors.iter().map(|s| s.metric.name()).collect::<Vec<_>>(),
            "binary" => sensors.iter().map(|s| s.metric.is_binary()).collect::<Vec<_>>(),
            "sensor_no" => (0..sensors.len() as i64).collect::<Vec<_>>(),
        )
        .expect("columns of equal length");
        let equipment = registry
            .equipment()
            .iter()
            .map(|e| {
                let mut channels: Vec<Channel> = Vec::new();
                for i in registry.sensors_of(&e.id) {
                    let s = &sensors[i];
                    let per_day = 86_400.0 / f64::from(s.interval_s.max(1));
                    match channels.iter_mut().find(|c| c.name == s.metric.name()) {
                        Some(c) => c.readings_per_day += per_day,
                        None => channels.push(Channel {
                            name: s.metric.name().to_owned(),
                            binary: s.metric.is_binary(),
                            readings_per_day: per_day,
                            unit: s.unit.clone(),
                        }),
                    }
                }
                EquipmentFacts {
                    id: e.id.clone(),
                    kind: e.kind.name().to_owned(),
                    name: e.name.clone(),
                    installed_day: day_of(Timestamp::from_date(e.installed).millis()),
                    channels,
                }
            })
            .collect();
        events.sort_by_key(|e| e.ts);
        Self {
            equipment,
            readings,
            sensor_daily,
            sensor_map: Some(map),
            events,
            start_day,
            end_day,
            seasonal: true,
            comparable_levels: false,
        }
    }

    /// Every channel name, sorted, with whether it is binary.
    pub fn channel_names(&self) -> Vec<(String, bool)> {
        let mut all: Vec<(String, bool)> = self
            .equipment
            .iter()
            .flat_map(|e| e.channels.iter().map(|c| (c.name.clone(), c.binary)))
            .collect();
        all.sort();
        all.dedup_by(|a, b| a.0 == b.0);
        all
    }

    /// How many other pieces of equipment are of the same kind as the one at `index`.
    pub fn siblings_of(&self, index: usize) -> usize {
        let kind = &self.equipment[index].kind;
        self.equipment.iter().filter(|e| &e.kind == kind).count() - 1
    }

    /// Every kind name, sorted.
    pub fn kind_names(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.equipment.iter().map(|e| e.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }
}
