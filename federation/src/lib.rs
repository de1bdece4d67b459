//! Knowledge packs: what a co-op shares so that co-ops learn from each other's
//! failures without sharing their data.
//!
//! A pack holds a co-op's labelled learning samples (did this machine fail within
//! the horizon, and what did it look like before) restricted to the features that
//! mean the same on every machine ([`SHARED_FEATURES`]), with dates rounded to the
//! week and machines under pseudonyms drawn afresh for each pack. Beside the data, a
//! [`Manifest`] says in plain words what the pack holds and what it leaves out. A
//! pack is signed with the co-op's ed25519 key ([`KeyPair`]); another co-op accepts
//! it only if the signing key is in its [`TrustedKeys`] and the signature matches
//! every byte.
//!
//! ```text
//! caretaker knowledge pack 1
//! signed-by: <public key, 64 hex digits>
//! signature: <ed25519 signature of the payload, 128 hex digits>
//!
//! { "manifest": {...}, "columns": [...], "rows": [[...], ...] }
//! ```
//!
//! **What a pack can never hold:** [`Pack::build`] takes only the kind of each
//! machine, a date, a label and the values of allowlisted features; there is no
//! field for a sensor, equipment, unit or building id, a gateway, an address, a
//! reading, an event's text or a cost, so none can be written. The local machine
//! ids it is given are replaced by pseudonyms before anything is serialised.
//!
//! This crate does no I/O beyond its own files (keys, trusted keys, accepted
//! packs) and knows nothing of the registry, the stores, SQL or HTTP: the binary
//! builds the [`SampleTable`] from the models' learning samples.
#![deny(missing_docs)]

mod error;
mod fields;
mod hub;
mod keys;
mod library;
mod manifest;
mod pack;
mod trusted;

pub use error::FederationError;
pub use fields::{EXCLUDED, SHARED_FEATURES, shared_feature};
pub use hub::Hub;
pub use keys::{KeyPair, PublicKey};
pub use library::{Library, StoredPack};
pub use manifest::{FieldNote, Manifest};
pub use pack::{FORMAT, Pack, PackOptions, SampleRow, SampleTable, VerifiedPack};
pub use trusted::TrustedKeys;

#[cfg(test)]
mod tests;
