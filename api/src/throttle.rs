//! Rate limits kept in memory: how many problem reports a resident token sends
//! per hour ([`RateLimiter`]), and how many unknown or revoked tokens one client
//! address presents before it is refused for a while ([`LoginThrottle`]).
//!
//! Both take the time as an argument (`now`), so their logic is tested without
//! waiting, and both hold a bounded number of keys.
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys (tokens, client addresses) a limiter tracks; when full it drops
/// the keys with nothing recent, and if none, every key.
const MAX_KEYS: usize = 10_000;

/// At most `limit` events per key in any sliding `window`.
#[derive(Debug)]
pub struct RateLimiter<K> {
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K> Default for RateLimiter<K> {
    fn default() -> Self {
        Self {
            events: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash> RateLimiter<K> {
    /// Records an event for `key` at `now` if fewer than `limit` happened in
    /// the `window` before; otherwise records nothing and returns how long until
    /// the next one is allowed.
    pub fn try_acquire(
        &self,
        key: K,
        limit: u32,
        window: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let mut events = self.events.lock().expect("rate limiter lock");
        if events.len() >= MAX_KEYS && !events.contains_key(&key) {
            events.retain(|_, times| times.back().is_some_and(|t| now - *t < window));
            if events.len() >= MAX_KEYS {
                events.clear();
            }
        }
        let times = events.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= limit as usize {
            let oldest = times.front().copied().unwrap_or(now);
            return Err((oldest + window).saturating_duration_since(now));
        }
        times.push_back(now);
        Ok(())
    }
}

/// Failed logins by client address: after `limit` failures within a minute the
/// address is refused for the lockout period.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    clients: Mutex<HashMap<IpAddr, Failures>>,
}

/// One address's recent failures.
#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: Instant,
    count: u32,
    blocked_until: Option<Instant>,
}

/// The window failures are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

impl LoginThrottle {
    /// How long `client` is still refused, if it is.
    pub fn blocked(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let clients = self.clients.lock().expect("login throttle lock");
        clients
            .get(&client)
            .and_then(|f| f.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Records a failed login from `client`; returns true when this failure
    /// reaches `limit` within [`FAILURE_WINDOW`] and starts a lockout of `lockout`.
    pub fn record_failure(
        &self,
        client: IpAddr,
        limit: u32,
        lockout: Duration,
        now: Instant,
    ) -> bool {
        let mut clients = self.clients.lock().expect("login throttle lock");
        if clients.len() >= MAX_KEYS && !clients.contains_key(&client) {
            clients.retain(|_, f| {
                now - f.window_start < FAILURE_WINDOW || f.blocked_until.is_some_and(|u| u > now)
            });
            if clients.len() >= MAX_KEYS {
                clients.clear();
            }
        }
        let fresh = Failures {
            window_start: now,
            count: 0,
            blocked_until: None,
        };
        let f = clients.entry(client).or_insert(fresh);
        let lockout_over = f.blocked_until.is_some_and(|u| u <= now);
        if lockout_over || now - f.window_start >= FAILURE_WINDOW {
            *f = fresh;
        }
        f.count += 1;
        if f.count >= limit && f.blocked_until.is_none() {
            f.blocked_until = Some(now + lockout);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn the_eleventh_event_in_an_hour_waits_until_the_first_is_an_hour_old() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            let at = t0 + Duration::from_secs(60 * i);
            assert_eq!(limiter.try_acquire(7_i64, 10, HOUR, at), Ok(()));
        }
        let at = t0 + Duration::from_secs(60 * 10);
        assert_eq!(
            limiter.try_acquire(7, 10, HOUR, at),
            Err(Duration::from_secs(3000))
        );
        // Refusals are not counted; another key is not affected.
        assert_eq!(limiter.try_acquire(8, 10, HOUR, at), Ok(()));
        assert_eq!(limiter.try_acquire(7, 10, HOUR, t0 + HOUR), Ok(()));
        assert!(limiter.try_acquire(7, 10, HOUR, t0 + HOUR).is_err());
    }

    #[test]
    fn a_full_limiter_forgets_idle_keys_not_busy_ones() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for key in 0..MAX_KEYS as i64 {
            limiter.try_acquire(key, 1, HOUR, t0).unwrap();
        }
        // Still within the hour: every key is busy, the table is emptied to make room.
        assert!(limiter.try_acquire(-1, 1, HOUR, t0).is_ok());
        assert!(limiter.try_acquire(0, 1, HOUR, t0).is_ok());
        let later = t0 + Duration::from_secs(1);
        assert!(limiter.try_acquire(0, 1, HOUR, later).is_err());
    }

    #[test]
    fn ten_failures_in_a_minute_lock_the_address_out_for_the_lockout() {
        let throttle = LoginThrottle::default();
        let (ip, other): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let lockout = Duration::from_secs(300);
        let t0 = Instant::now();
        for i in 0..9 {
            assert!(!throttle.record_failure(ip, 10, lockout, t0 + Duration::from_secs(i)));
            assert_eq!(throttle.blocked(ip, t0 + Duration::from_secs(i)), None);
        }
        let t10 = t0 + Duration::from_secs(9);
        assert!(throttle.record_failure(ip, 10, lockout, t10));
        assert_eq!(throttle.blocked(ip, t10), Some(lockout));
        assert_eq!(throttle.blocked(other, t10), None);
        assert_eq!(throttle.blocked(ip, t10 + lockout), None);
        // After the lockout the count starts again.
        assert!(!throttle.record_failure(ip, 10, lockout, t10 + lockout));
    }

    #[test]
    fn failures_spread_over_more_than_a_minute_do_not_lock_out() {
        let throttle = LoginThrottle::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        let t0 = Instant::now();
        for i in 0..30 {
            let at = t0 + Duration::from_secs(7 * i);
            assert!(!throttle.record_failure(ip, 10, Duration::from_secs(60), at));
        }
    }
}
