//! The sensors of a random co-op's equipment and how each reaches Caretaker:
//! native gateways, Zigbee2MQTT (leak zones) or LoRaWAN (sump pit levels).
use caretaker_core::EquipmentKind;
use rand::Rng;

use super::{PlannedAddress, PlannedBuilding, PlannedEquipment, PlannedSensor};

/// One sensor of a kind: id suffix, metric, unit, expected range, interval.
type Template = (&'static str, &'static str, &'static str, (f64, f64), u32);

/// The sensors each kind carries (leak zones' Zigbee devices are added apart).
fn templates(kind: EquipmentKind) -> &'static [Template] {
    use EquipmentKind as K;
    match kind {
        K::Boiler => &[
            ("supply", "supply_temperature", "°C", (35.0, 85.0), 300),
            ("return", "return_temperature", "°C", (25.0, 70.0), 300),
            ("pressure", "pressure", "bar", (1.0, 2.5), 300),
            ("cycles", "burner_cycles", "1/h", (0.0, 8.0), 3600),
        ],
        K::CirculationPump => &[
            ("vibration", "vibration_rms", "mm/s", (0.5, 4.5), 600),
            ("current", "motor_current", "A", (1.0, 6.0), 300),
            ("dp", "differential_pressure", "kPa", (20.0, 80.0), 300),
        ],
        K::DhwHeater => &[
            ("outlet", "outlet_temperature", "°C", (50.0, 65.0), 300),
            ("power", "power", "W", (0.0, 20000.0), 300),
            ("recovery", "recovery_time", "min", (10.0, 45.0), 3600),
        ],
        K::SumpPump => &[
            ("level", "water_level", "cm", (5.0, 45.0), 300),
            ("run", "run_state", "state", (0.0, 1.0), 300),
            ("current", "motor_current", "A", (0.0, 9.0), 300),
        ],
        K::Elevator => &[
            ("door", "door_cycle_time", "s", (4.0, 8.0), 3600),
            ("current", "motor_current", "A", (5.0, 40.0), 600),
            ("trips", "trips", "1/h", (0.0, 60.0), 3600),
            ("vibration", "vibration_rms", "mm/s", (0.3, 3.0), 600),
        ],
        K::HeatPump => &[
            ("supply", "supply_temperature", "°C", (30.0, 55.0), 300),
            ("return", "return_temperature", "°C", (25.0, 48.0), 300),
            ("current", "motor_current", "A", (2.0, 25.0), 300),
            ("vibration", "vibration_rms", "mm/s", (0.3, 3.5), 600),
        ],
        K::AirHandler => &[
            ("supply", "air_temperature", "°C", (14.0, 24.0), 300),
            ("filter", "filter_pressure_drop", "Pa", (50.0, 250.0), 600),
            ("current", "motor_current", "A", (2.0, 12.0), 300),
            ("vibration", "vibration_rms", "mm/s", (0.3, 4.0), 600),
        ],
        K::LeakZone => &[],
    }
}

/// Addresses handed out so far, so that none is used twice.
pub(super) struct Addresses {
    /// Base of the LoRaWAN device EUIs (40 bits).
    eui_base: u64,
    /// LoRaWAN devices so far.
    lorawan: u64,
    /// Native channels so far, over all gateways.
    channels: u64,
}

impl Addresses {
    pub(super) fn new(eui_base: u64) -> Self {
        Self {
            eui_base: eui_base & 0xff_ffff_ffff,
            lorawan: 0,
            channels: 0,
        }
    }

    fn dev_eui(&mut self) -> String {
        self.lorawan += 1;
        format!(
            "a84041{:010x}",
            (self.eui_base + self.lorawan) & 0xff_ffff_ffff
        )
    }

    fn channel(&mut self, gateway: &str) -> String {
        self.channels += 1;
        format!("{gateway}.ch{:03}", self.channels)
    }
}

/// The sensors of equipment `e` in building `b`.
pub(super) fn plan(
    rng: &mut impl Rng,
    b: &PlannedBuilding,
    e: &PlannedEquipment,
    addresses: &mut Addresses,
) -> Vec<PlannedSensor> {
    if e.kind == EquipmentKind::LeakZone {
        return leak_zone(rng, b, e);
    }
    // Some installers name the channels of a native gateway themselves.
    let named_channels = rng.gen_bool(0.3);
    templates(e.kind)
        .iter()
        .map(|&(suffix, metric, unit, range, interval_s)| {
            let address = if metric == "water_level" {
                PlannedAddress::Lorawan {
                    dev_eui: addresses.dev_eui(),
                    field: "water_level_cm".into(),
                }
            } else if named_channels {
                PlannedAddress::Native(Some(addresses.channel(&b.gateway)))
            } else {
                PlannedAddress::Native(None)
            };
            PlannedSensor {
                id: format!("{}-{suffix}", e.id),
                equipment: e.id.clone(),
                metric,
                unit,
                expected_range: range,
                interval_s,
                address,
            }
        })
        .collect()
}

/// A leak zone's Zigbee devices: one to three leak sensors, and mostly a climate sensor.
fn leak_zone(rng: &mut impl Rng, b: &PlannedBuilding, e: &PlannedEquipment) -> Vec<PlannedSensor> {
    let place = e
        .name
        .rsplit_once(&format!("{} ", b.name))
        .map_or("zone", |(_, place)| place);
    let mut out = Vec::new();
    let mut add = |suffix: String, device: &str, key: &str, metric, unit, range, interval_s| {
        out.push(PlannedSensor {
            id: format!("{}-{suffix}", e.id),
            equipment: e.id.clone(),
            metric,
            unit,
            expected_range: range,
            interval_s,
            address: PlannedAddress::Zigbee {
                name: format!("{}/{place}/{device}", b.name),
                key: key.into(),
            },
        });
    };
    for n in 1..=rng.gen_range(1..=3) {
        let device = format!("leak {n}");
        add(
            format!("leak{n}"),
            &device,
            "water_leak",
            "water_leak",
            "state",
            (0.0, 0.0),
            3600,
        );
        add(
            format!("leak{n}-battery"),
            &device,
            "battery",
            "battery",
            "%",
            (20.0, 100.0),
            3600,
        );
    }
    if rng.gen_bool(0.8) {
        add(
            "temp".into(),
            "climate",
            "temperature",
            "air_temperature",
            "°C",
            (5.0, 35.0),
            600,
        );
        add(
            "humidity".into(),
            "climate",
            "humidity",
            "humidity",
            "%",
            (20.0, 70.0),
            600,
        );
        add(
            "climate-battery".into(),
            "climate",
            "battery",
            "battery",
            "%",
            (20.0, 100.0),
            3600,
        );
    }
    out
}
