//! Zigbee2MQTT messages: input `FRIENDLY_NAME\nPAYLOAD`, published on
//! `zigbee2mqtt/FRIENDLY_NAME` by the bridge; never a panic.
#![no_main]

use caretaker_fuzz::{ZIGBEE, decode_as, topic_and_payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (tail, payload) = topic_and_payload(data);
    decode_as(ZIGBEE, &format!("zigbee2mqtt/{tail}"), payload);
});
