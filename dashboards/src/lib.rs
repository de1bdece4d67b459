//! What people look at: the pages of `caretaker serve` and `caretaker demo`, and
//! (in [`charts`]) the charts they show.
//!
//! This crate only renders: it takes plain view structs and returns HTML or SVG.
//! It does no I/O and knows nothing of HTTP, SQL or Parquet.
#![deny(missing_docs)]

pub mod pages;
