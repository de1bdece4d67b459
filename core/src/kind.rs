//! Kinds of equipment.
named_enum! {
    /// What a piece of equipment is; each kind has its own failure modes.
    pub enum EquipmentKind as "equipment kind" {
        /// A space-heating boiler.
        Boiler,
        /// A heating-loop or riser circulation pump.
        CirculationPump,
        /// A domestic hot-water heater.
        DhwHeater,
        /// A sump pump in a basement pit.
        SumpPump,
        /// An elevator.
        Elevator,
        /// A heat pump.
        HeatPump,
        /// An air handler (ventilation unit).
        AirHandler,
        /// A roof or plumbing zone watched by leak sensors.
        LeakZone,
    }
}

impl EquipmentKind {
    /// A plain-language label (`circulation pump`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Boiler => "boiler",
            Self::CirculationPump => "circulation pump",
            Self::DhwHeater => "hot-water heater",
            Self::SumpPump => "sump pump",
            Self::Elevator => "elevator",
            Self::HeatPump => "heat pump",
            Self::AirHandler => "air handler",
            Self::LeakZone => "leak zone",
        }
    }
}
