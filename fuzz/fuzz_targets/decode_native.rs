//! Native JSON payloads on a native gateway's readings topic: never a panic.
#![no_main]

use caretaker_fuzz::{NATIVE, decode_as};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|payload: &[u8]| {
    decode_as(NATIVE, "caretaker/gateway-a/readings", payload);
});
