//! A random co-op written as registry TOML, in the sample co-op's layout.
use std::fmt::Write as _;

use super::{LORAWAN_BRIDGE, PlannedAddress, RandomCoop, ZIGBEE_BRIDGE};

/// The registry file of `coop`.
pub(super) fn registry(coop: &RandomCoop) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# A random co-op drawn by `caretaker simulate coop --seed {}`.",
        coop.seed
    );
    let _ = writeln!(w, "# Format: README.md, \"The co-op registry\".\n");
    let _ = writeln!(w, "[coop]\nname = {}", quote(&coop.name));
    let _ = writeln!(w, "currency = {}", quote(&coop.currency));
    let _ = writeln!(w, "timezone = {}\n", quote(&coop.timezone));
    for b in &coop.buildings {
        let _ = writeln!(
            w,
            "[[gateway]]\nname = {}\nspeaks = \"native\"\n",
            quote(&b.gateway)
        );
    }
    if coop
        .sensors
        .iter()
        .any(|s| matches!(s.address, PlannedAddress::Zigbee { .. }))
    {
        let _ = writeln!(
            w,
            "[[gateway]]\nname = {}\nspeaks = \"zigbee2mqtt\"\nbase_topic = \"zigbee2mqtt\"\n",
            quote(ZIGBEE_BRIDGE)
        );
    }
    if let Some(app) = &coop.lorawan_application {
        let _ = writeln!(
            w,
            "[[gateway]]\nname = {}\nspeaks = \"chirpstack\"\napplications = [{}]\n",
            quote(LORAWAN_BRIDGE),
            quote(app)
        );
    }
    for b in &coop.buildings {
        let _ = writeln!(
            w,
            "# {} ({}), built {}",
            b.name,
            form_name(&b.form),
            b.built
        );
        let _ = writeln!(
            w,
            "[[building]]\nid = {}\nname = {}",
            quote(&b.id),
            quote(&b.name)
        );
        let _ = writeln!(w, "address = {}\nfloors = {}", quote(&b.address), b.floors);
        let _ = writeln!(w, "gateway = {}\n", quote(&b.gateway));
    }
    for b in &coop.buildings {
        for (id, floor) in &b.units {
            let _ = writeln!(
                w,
                "[[unit]]\nid = {}\nbuilding = {}\nfloor = {floor}\n",
                quote(id),
                quote(&b.id)
            );
        }
    }
    for e in &coop.equipment {
        let _ = writeln!(
            w,
            "[[equipment]]\nid = {}\nbuilding = {}",
            quote(&e.id),
            quote(&e.building)
        );
        let _ = writeln!(
            w,
            "kind = {}\nname = {}",
            quote(e.kind.name()),
            quote(&e.name)
        );
        let _ = writeln!(w, "make = {}\nmodel = {}", quote(&e.make), quote(&e.model));
        let _ = writeln!(w, "installed = {}", e.installed.format("%Y-%m-%d"));
        let _ = writeln!(
            w,
            "replacement_cost = {}\nfailure_cost = {}",
            e.replacement_cost, e.failure_cost
        );
        let serves: Vec<String> = e.serves.iter().map(|s| quote(s)).collect();
        let _ = writeln!(
            w,
            "criticality = {}\nserves = [{}]\n",
            e.criticality,
            serves.join(", ")
        );
    }
    for s in &coop.sensors {
        let _ = writeln!(
            w,
            "[[sensor]]\nid = {}\nequipment = {}",
            quote(&s.id),
            quote(&s.equipment)
        );
        let _ = writeln!(w, "metric = {}\nunit = {}", quote(s.metric), quote(s.unit));
        let (lo, hi) = s.expected_range;
        let _ = writeln!(
            w,
            "expected_range = [{lo}, {hi}]\ninterval_s = {}",
            s.interval_s
        );
        match &s.address {
            PlannedAddress::Native(None) => {}
            PlannedAddress::Native(Some(channel)) => {
                let _ = writeln!(w, "native = {}", quote(channel));
            }
            PlannedAddress::Zigbee { name, key } => {
                let _ = writeln!(
                    w,
                    "zigbee = {{ name = {}, key = {} }}",
                    quote(name),
                    quote(key)
                );
                let _ = writeln!(w, "gateway = {}", quote(ZIGBEE_BRIDGE));
            }
            PlannedAddress::Lorawan { dev_eui, field } => {
                let _ = writeln!(
                    w,
                    "lorawan = {{ dev_eui = {}, field = {} }}",
                    quote(dev_eui),
                    quote(field)
                );
                let _ = writeln!(w, "gateway = {}", quote(LORAWAN_BRIDGE));
            }
        }
        w.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

fn form_name(form: &super::BuildingForm) -> String {
    match form {
        super::BuildingForm::WalkUp => "walk-up".into(),
        super::BuildingForm::MidRise { elevators } => format!("mid-rise, {elevators} elevator(s)"),
        super::BuildingForm::TownhouseRow { blocks } => {
            format!("townhouse row, {} blocks", blocks.len())
        }
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
