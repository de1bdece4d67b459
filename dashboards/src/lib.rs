//! What people look at: Caretaker's charts (and, later, its HTML pages).
//!
//! Pure rendering: every chart takes a plain input struct that its caller fills from
//! the store, the models and the ranking, and returns an SVG string (or PNG bytes).
//! Nothing here reads files, the network or the system's fonts.
#![deny(missing_docs)]

pub mod charts;
