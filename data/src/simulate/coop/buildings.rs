//! The buildings of a random co-op and their units.
use std::ops::RangeInclusive;

use rand::Rng;
use rand::seq::SliceRandom;

use super::catalog::{BUILDING_NAMES, STREETS};
use super::{BUILDINGS, PlannedBuilding, UNITS};

/// What kind of building it is, which decides its equipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildingForm {
    /// A walk-up: a few floors, no elevator, one boiler room.
    WalkUp,
    /// A mid-rise: one or two elevators and a central plant.
    MidRise {
        /// Elevators (1 or 2).
        elevators: u8,
    },
    /// A row of townhouses in blocks, each block heated by its own boiler or heat pump.
    TownhouseRow {
        /// The unit ids of each block.
        blocks: Vec<Vec<String>>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    WalkUp,
    MidRise,
    Townhouses,
}

impl Form {
    /// Units a building of this form has, before the co-op's total is fitted.
    fn units(self) -> RangeInclusive<usize> {
        match self {
            Form::WalkUp => 6..=36,
            Form::MidRise => 20..=120,
            Form::Townhouses => 4..=32,
        }
    }
}

/// Draws the buildings: their number, forms and sizes, fitted so that the
/// co-op's units are within [`UNITS`].
pub(super) fn plan(rng: &mut impl Rng) -> Vec<PlannedBuilding> {
    let n = rng.gen_range(BUILDINGS);
    let forms: Vec<Form> = (0..n)
        .map(|_| match rng.gen_range(0..20) {
            0..9 => Form::WalkUp,
            9..14 => Form::MidRise,
            _ => Form::Townhouses,
        })
        .collect();
    let mut sizes: Vec<usize> = forms.iter().map(|f| rng.gen_range(f.units())).collect();
    fit_total(&forms, &mut sizes);
    let mut names: Vec<&str> = BUILDING_NAMES.to_vec();
    names.shuffle(rng);
    let street = *STREETS.choose(rng).expect("streets");
    let mut number = rng.gen_range(2..60) * 2;
    forms
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(i, (&form, size))| {
            let id = ((b'A' + i as u8) as char).to_string();
            number += rng.gen_range(2..12) * 2;
            shape(rng, form, id, names[i], street, number, size)
        })
        .collect()
}

/// Brings the total of `sizes` within [`UNITS`], keeping each building within its form's range.
fn fit_total(forms: &[Form], sizes: &mut [usize]) {
    while sizes.iter().sum::<usize>() > *UNITS.end() {
        // The largest building that can still shrink gives up a unit.
        let (i, _) = sizes
            .iter()
            .enumerate()
            .filter(|(i, s)| **s > *forms[*i].units().start())
            .max_by_key(|(i, s)| (**s, usize::MAX - i))
            .expect("the smallest buildings fit");
        sizes[i] -= 1;
    }
    let total: usize = sizes.iter().sum();
    if total < *UNITS.start() {
        sizes[0] += UNITS.start() - total;
    }
}

fn shape(
    rng: &mut impl Rng,
    form: Form,
    id: String,
    tree: &str,
    street: &str,
    number: usize,
    size: usize,
) -> PlannedBuilding {
    let gateway = format!("gw-{}", id.to_ascii_lowercase());
    let (name, address, floors, built, form, units) = match form {
        Form::WalkUp => {
            let floors = rng.gen_range(2..=4).min(size / 2).max(1);
            let units = stacked_units(&id, floors, size);
            (
                format!("{tree} House"),
                format!("{number} {street}"),
                floors,
                rng.gen_range(1920..=1975),
                BuildingForm::WalkUp,
                units,
            )
        }
        Form::MidRise => {
            let floors = rng.gen_range(5..=12).min(size / 3).max(1);
            let elevators = if size > 80 || (floors >= 8 && rng.gen_bool(0.6)) {
                2
            } else {
                1
            };
            let units = stacked_units(&id, floors, size);
            (
                format!("{tree} Court"),
                format!("{number} {street}"),
                floors,
                rng.gen_range(1960..=2015),
                BuildingForm::MidRise { elevators },
                units,
            )
        }
        Form::Townhouses => {
            let floors = rng.gen_range(2..=3);
            let units: Vec<(String, u32)> =
                (1..=size).map(|n| (format!("{id}-{n:02}"), 1)).collect();
            let mut blocks = Vec::new();
            let mut rest = &units[..];
            while !rest.is_empty() {
                let mut take = rng.gen_range(3..=8).min(rest.len());
                if rest.len() - take < 3 {
                    take = rest.len();
                }
                blocks.push(rest[..take].iter().map(|(u, _)| u.clone()).collect());
                rest = &rest[take..];
            }
            (
                format!("{tree} Row"),
                format!("{number}-{} {street}", number + 2 * size),
                floors,
                rng.gen_range(1970..=2020),
                BuildingForm::TownhouseRow { blocks },
                units,
            )
        }
    };
    PlannedBuilding {
        id,
        name,
        address,
        floors: floors as u32,
        built,
        form,
        units,
        gateway,
    }
}

/// `size` units over `floors` floors, as even as can be, numbered `A-101`, `A-102`, ...
fn stacked_units(id: &str, floors: usize, size: usize) -> Vec<(String, u32)> {
    let per_floor = size.div_ceil(floors);
    (0..size)
        .map(|k| {
            let floor = k / per_floor + 1;
            (
                format!("{id}-{floor}{:02}", k % per_floor + 1),
                floor as u32,
            )
        })
        .collect()
}
