//! What people look at: the charts ([`charts`]) and the pages of `caretaker
//! serve` and `caretaker demo` ([`pages`]).
//!
//! Pure rendering: every chart and page takes a plain view struct that its caller
//! fills from the store, the models and the ranking, and returns SVG, PNG bytes or
//! HTML. Nothing here reads files, the network or the system's fonts, and nothing
//! knows HTTP, SQL or Parquet.
#![deny(missing_docs)]

pub mod charts;
pub mod pages;
