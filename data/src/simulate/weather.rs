//! The outdoor climate every building shares: temperature and rain.
//!
//! Daily mean temperature follows a seasonal cosine (coldest mid-January,
//! mean 7 °C, swing ±13 °C) plus a weather anomaly that persists for days
//! (AR(1), φ = 0.8, σ = 3 °C); each day swings ±4 °C, warmest at 15:00.
//! Rain falls on about 30% of days (more in spring and autumn), amounts
//! exponential with mean 8 mm; snowmelt adds water in March and April.
use caretaker_core::Timestamp;
use rand::Rng;
use rand_distr::{Distribution, Exp, Normal};

use super::stream_rng;

/// Outdoor conditions over the simulated period, one entry per day.
#[derive(Debug, Clone)]
pub struct Weather {
    start: Timestamp,
    anomaly: Vec<f64>,
    rain_mm: Vec<f64>,
}

/// Day of year (0-based) of a timestamp.
pub fn day_of_year(t: Timestamp) -> f64 {
    use chrono::Datelike;
    let dt = t.to_datetime();
    dt.ordinal0() as f64 + (t.millis().rem_euclid(Timestamp::DAY)) as f64 / Timestamp::DAY as f64
}

/// Hour of day (UTC, fractional).
pub fn hour_of_day(t: Timestamp) -> f64 {
    t.millis().rem_euclid(Timestamp::DAY) as f64 / Timestamp::HOUR as f64
}

impl Weather {
    /// Draws the weather for `days` days from `start`.
    pub fn generate(seed: u64, start: Timestamp, days: usize) -> Self {
        let mut rng = stream_rng(seed, "weather");
        let noise = Normal::new(0.0, 3.0 * (1.0f64 - 0.64).sqrt()).expect("valid sigma");
        let amount = Exp::new(1.0 / 8.0).expect("valid rate");
        let mut anomaly = Vec::with_capacity(days);
        let mut rain_mm = Vec::with_capacity(days);
        let mut a = 0.0;
        for d in 0..days {
            a = 0.8 * a + noise.sample(&mut rng);
            anomaly.push(a);
            let doy = day_of_year(start.plus_millis(d as i64 * Timestamp::DAY));
            // Wetter in spring (April) and autumn (October).
            let wet = 0.25
                + 0.1
                    * (4.0 * std::f64::consts::PI * (doy - 15.0) / 365.0)
                        .cos()
                        .abs();
            let r = if rng.r#gen::<f64>() < wet {
                amount.sample(&mut rng)
            } else {
                0.0
            };
            rain_mm.push(r);
        }
        Self {
            start,
            anomaly,
            rain_mm,
        }
    }

    fn day_index(&self, t: Timestamp) -> usize {
        let d = (t.millis() - self.start.millis()).div_euclid(Timestamp::DAY);
        d.clamp(0, self.anomaly.len() as i64 - 1) as usize
    }

    /// Outdoor temperature (°C) at `t`.
    pub fn temperature(&self, t: Timestamp) -> f64 {
        let doy = day_of_year(t);
        let seasonal = 7.0 - 13.0 * (2.0 * std::f64::consts::PI * (doy - 15.0) / 365.0).cos();
        let daily = 4.0 * (2.0 * std::f64::consts::PI * (hour_of_day(t) - 9.0) / 24.0).sin();
        seasonal + daily + self.anomaly[self.day_index(t)]
    }

    /// Daily mean temperature (°C) of the day containing `t`.
    pub fn daily_mean(&self, t: Timestamp) -> f64 {
        let doy = day_of_year(t).floor() + 0.5;
        7.0 - 13.0 * (2.0 * std::f64::consts::PI * (doy - 15.0) / 365.0).cos()
            + self.anomaly[self.day_index(t)]
    }

    /// Heating demand 0 (none) to 1 (design cold, -12 °C), from the temperature at `t`.
    pub fn heating_demand(&self, t: Timestamp) -> f64 {
        ((18.0 - self.temperature(t)) / 30.0).clamp(0.0, 1.0)
    }

    /// Water reaching foundations (mm/day equivalent): rain of the last two days plus snowmelt.
    pub fn wetness(&self, t: Timestamp) -> f64 {
        let i = self.day_index(t);
        let rain = self.rain_mm[i] + 0.5 * self.rain_mm[i.saturating_sub(1)];
        let doy = day_of_year(t);
        let melt = if (60.0..120.0).contains(&doy) {
            3.0
        } else {
            0.0
        };
        rain + melt
    }
}
