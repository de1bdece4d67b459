//! ChirpStack messages: input `ID/device/DEVEUI/event/EVENT\nPAYLOAD`,
//! published on `application/...` by the integration; never a panic.
#![no_main]

use caretaker_fuzz::{CHIRPSTACK, decode_as, topic_and_payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tail, payload) = topic_and_payload(data);
    decode_as(CHIRPSTACK, &format!("application/{tail}"), payload);
});
