//! The word lists and price lists a random co-op is drawn from.
use caretaker_core::EquipmentKind;
use rand::Rng;
use rand::seq::SliceRandom;

/// Time zones with the currency of a co-op there.
pub(super) const ZONES: &[(&str, &str)] = &[
    ("America/Toronto", "CAD"),
    ("America/Montreal", "CAD"),
    ("America/Winnipeg", "CAD"),
    ("America/Vancouver", "CAD"),
    ("America/Halifax", "CAD"),
    ("America/New_York", "USD"),
    ("America/Chicago", "USD"),
    ("Europe/Berlin", "EUR"),
    ("Europe/Vienna", "EUR"),
    ("Europe/Stockholm", "SEK"),
    ("Europe/London", "GBP"),
];

const COOP_FIRST: &[&str] = &[
    "Riverside",
    "Hillcrest",
    "Lakeview",
    "Parkdale",
    "Northgate",
    "Sunnyside",
    "Harbour",
    "Meadowbrook",
    "Old Mill",
    "Fairmount",
    "Elmwood",
    "Bridgeview",
    "Stonegate",
    "Orchard",
];
const COOP_SECOND: &[&str] = &[
    "Housing Co-operative",
    "Co-operative Homes",
    "Housing Co-op",
    "Non-Profit Housing Co-operative",
];
/// Names buildings take, one each.
pub(super) const BUILDING_NAMES: &[&str] = &[
    "Maple", "Birch", "Cedar", "Willow", "Aspen", "Linden", "Spruce", "Rowan", "Alder", "Hazel",
    "Juniper", "Poplar",
];
pub(super) const STREETS: &[&str] = &[
    "Maple Street",
    "Queen Street",
    "Dundas Avenue",
    "Station Road",
    "Mill Lane",
    "Church Street",
    "Harbour Road",
    "College Avenue",
    "Victoria Street",
    "Garden Lane",
];

/// The co-op's name.
pub(super) fn coop_name(rng: &mut impl Rng) -> String {
    format!(
        "{} {}",
        COOP_FIRST.choose(rng).expect("names"),
        COOP_SECOND.choose(rng).expect("names")
    )
}

/// Makes and models of each kind, as co-ops buy them.
pub(super) fn makes(kind: EquipmentKind) -> &'static [(&'static str, &'static str)] {
    use EquipmentKind as K;
    match kind {
        K::Boiler => &[
            ("Weil-McLain", "SlimFit 1000"),
            ("Viessmann", "Vitocrossal 300"),
            ("Lochinvar", "Knight XL"),
            ("Buderus", "SB625"),
            ("Burnham", "Alpine ALP285"),
        ],
        K::CirculationPump => &[
            ("Grundfos", "Magna3 40-120"),
            ("Wilo", "Stratos 2.0"),
            ("Taco", "1600 Series"),
            ("Armstrong", "Compass H"),
            ("Bell & Gossett", "ecocirc XL"),
        ],
        K::DhwHeater => &[
            ("A.O. Smith", "Cyclone Xi"),
            ("Bradford White", "eF Series"),
            ("Rheem", "Marathon"),
            ("Lochinvar", "Armor"),
        ],
        K::SumpPump => &[("Liberty", "287"), ("Zoeller", "M53"), ("Wayne", "CDU980E")],
        K::Elevator => &[
            ("Otis", "Gen2"),
            ("KONE", "MonoSpace 500"),
            ("Schindler", "3300"),
            ("TK Elevator", "Synergy"),
        ],
        K::HeatPump => &[
            ("Daikin", "Altherma 3"),
            ("Mitsubishi", "Ecodan QUHZ"),
            ("Carrier", "25HCE4"),
            ("Bosch", "Compress 7000"),
        ],
        K::AirHandler => &[
            ("Trane", "Performance Climate Changer"),
            ("Carrier", "39M"),
            ("Daikin", "Vision"),
            ("Greenheck", "ERV-45"),
        ],
        K::LeakZone => &[
            ("Aqara", "SJCGQ11LM water leak sensors"),
            ("SONOFF", "SNZB-05P water leak sensors"),
            ("Third Reality", "3RWS18BZ water leak sensors"),
        ],
    }
}

/// Typical replacement and failure costs (before the co-op's own variation),
/// criticality, and the longest service life seen, in years.
pub(super) fn economics(kind: EquipmentKind) -> (f64, f64, u8, i32) {
    use EquipmentKind as K;
    match kind {
        K::Boiler => (42_000.0, 6_500.0, 5, 35),
        K::CirculationPump => (3_600.0, 1_500.0, 4, 20),
        K::DhwHeater => (9_500.0, 2_500.0, 4, 18),
        K::SumpPump => (1_900.0, 9_000.0, 3, 15),
        K::Elevator => (185_000.0, 4_000.0, 5, 40),
        K::HeatPump => (15_000.0, 2_200.0, 4, 15),
        K::AirHandler => (26_000.0, 1_200.0, 2, 30),
        K::LeakZone => (6_000.0, 5_000.0, 2, 30),
    }
}

/// A random UUID (version 4 layout), for a ChirpStack application id.
pub(super) fn uuid(rng: &mut impl Rng) -> String {
    let b: [u8; 16] = rng.r#gen();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}
