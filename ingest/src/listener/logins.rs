//! Failed logins, throttled per client address, and client text made safe to log.
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Failed logins an address may make in [`WINDOW`] before it is refused outright.
pub const MAX_FAILURES: u32 = 10;

/// The window failed logins are counted in; a throttled address waits it out.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Addresses tracked at most; beyond, expired entries go, then all.
const MAX_ADDRESSES: usize = 10_000;

/// Failed logins by client address.
#[derive(Debug, Default)]
pub struct FailedLogins {
    by_address: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailedLogins {
    /// Whether `address` has failed too often lately to be heard.
    pub fn throttled(&self, address: IpAddr, now: Instant) -> bool {
        let map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&address)
            .is_some_and(|&(count, since)| count >= MAX_FAILURES && now < since + WINDOW)
    }

    /// Counts a failed login from `address`.
    pub fn failed(&self, address: IpAddr, now: Instant) {
        let mut map = self
            .by_address
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ADDRESSES {
            map.retain(|_, (_, since)| now < *since + WINDOW);
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        let entry = map.entry(address).or_insert((0, now));
        if now >= entry.1 + WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// `text` with control characters escaped (`\n`, `\u{1b}`...) and cut to 64
/// characters, so that what a client sends cannot forge or garble a log line.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 64 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_throttled_after_too_many_failures_until_the_window_ends() {
        let logins = FailedLogins::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            logins.failed(a, t0);
        }
        assert!(!logins.throttled(a, t0));
        logins.failed(a, t0);
        assert!(logins.throttled(a, t0));
        assert!(!logins.throttled(b, t0), "another address is not affected");
        assert!(!logins.throttled(a, t0 + WINDOW), "the window ends");
        logins.failed(a, t0 + WINDOW);
        assert!(!logins.throttled(a, t0 + WINDOW), "counting starts afresh");
    }

    #[test]
    fn control_characters_are_escaped_and_long_text_cut() {
        assert_eq!(
            printable("gw-x\nFAKE line\u{1b}[31m"),
            "gw-x\\nFAKE line\\u{1b}[31m"
        );
        assert_eq!(printable(&"x".repeat(100)).chars().count(), 65);
        assert_eq!(printable("Maple Court/leak 1"), "Maple Court/leak 1");
    }
}
