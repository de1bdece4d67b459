//! Acknowledgements owed to the broker, in arrival order, until the connection
//! task writes them.
//!
//! They are kept compact (the packet id and QoS of each, 4 bytes) and belong to
//! one connection: acks for an earlier connection are void (the broker
//! redelivers those messages).
use std::collections::VecDeque;

use caretaker_core::Timestamp;
use rumqttc::{Publish, QoS};

/// Acks not yet handed to the MQTT client.
#[derive(Debug, Default)]
pub struct AckQueue {
    connection: u64,
    acks: VecDeque<(u16, QoS)>,
    /// Acks queued so far (a running count) and the arrival time of the last
    /// message of each queued group, to report the ack lag.
    queued: u64,
    groups: VecDeque<(u64, Timestamp)>,
    handed: u64,
}

impl AckQueue {
    /// Queues the ack of a message received on `connection`; queued acks of an
    /// earlier connection are dropped first.
    pub fn push(&mut self, connection: u64, publish: &Publish) {
        if publish.qos == QoS::AtMostOnce {
            return;
        }
        self.switch_to(connection);
        self.acks.push_back((publish.pkid, publish.qos));
        self.queued += 1;
    }

    /// Marks the end of a group whose last message arrived at `received_at`.
    pub fn end_group(&mut self, received_at: Timestamp) {
        if self.groups.back().is_none_or(|(end, _)| *end < self.queued) {
            self.groups.push_back((self.queued, received_at));
        }
    }

    /// Acks waiting.
    pub fn len(&self) -> usize {
        self.acks.len()
    }

    /// Whether no ack waits.
    pub fn is_empty(&self) -> bool {
        self.acks.is_empty()
    }

    /// Hands acks in order to `send` while it accepts them (false: no room now),
    /// for the `current` connection. Returns how many were handed and the lag of
    /// the last finished group (now minus its last arrival), if one finished.
    pub fn send(
        &mut self,
        current: u64,
        mut send: impl FnMut(&Publish) -> bool,
    ) -> (usize, Option<i64>) {
        self.switch_to(current);
        let mut handed = 0;
        let mut publish = Publish::new("", QoS::AtLeastOnce, Vec::new());
        while let Some(&(pkid, qos)) = self.acks.front() {
            publish.pkid = pkid;
            publish.qos = qos;
            if !send(&publish) {
                break;
            }
            self.acks.pop_front();
            handed += 1;
        }
        self.handed += handed as u64;
        let mut lag = None;
        while let Some(&(end, received_at)) = self.groups.front() {
            if end > self.handed {
                break;
            }
            lag = Some(Timestamp::now().millis() - received_at.millis());
            self.groups.pop_front();
        }
        (handed, lag)
    }

    fn switch_to(&mut self, connection: u64) {
        if connection != self.connection {
            if !self.acks.is_empty() {
                tracing::debug!(
                    acks = self.acks.len(),
                    "not acknowledging messages of an earlier connection"
                );
            }
            self.connection = connection;
            self.handed += self.acks.len() as u64;
            self.acks.clear();
            self.groups.retain(|(end, _)| *end > self.handed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(pkid: u16, qos: QoS) -> Publish {
        let mut p = Publish::new("t", qos, b"x".to_vec());
        p.pkid = pkid;
        p
    }

    #[test]
    fn acks_go_out_in_arrival_order_as_room_allows() {
        let mut queue = AckQueue::default();
        for pkid in 1..=5 {
            queue.push(1, &publish(pkid, QoS::AtLeastOnce));
        }
        queue.push(1, &publish(0, QoS::AtMostOnce));
        queue.end_group(Timestamp::now());
        let mut sent = Vec::new();
        let (handed, lag) = queue.send(1, |p| {
            if sent.len() == 3 {
                return false;
            }
            sent.push(p.pkid);
            true
        });
        assert_eq!((handed, lag), (3, None), "the group is not finished");
        assert_eq!(queue.len(), 2);
        let (handed, lag) = queue.send(1, |p| {
            sent.push(p.pkid);
            true
        });
        assert_eq!(handed, 2);
        assert!(lag.is_some_and(|l| l >= 0));
        assert_eq!(sent, [1, 2, 3, 4, 5]);
        assert!(queue.is_empty());
    }

    #[test]
    fn acks_of_an_earlier_connection_are_dropped() {
        let mut queue = AckQueue::default();
        queue.push(1, &publish(7, QoS::AtLeastOnce));
        queue.push(1, &publish(8, QoS::AtLeastOnce));
        queue.end_group(Timestamp::now());
        let mut sent = Vec::new();
        queue.push(2, &publish(9, QoS::AtLeastOnce));
        queue.send(2, |p| {
            sent.push(p.pkid);
            true
        });
        assert_eq!(sent, [9]);
        queue.push(2, &publish(10, QoS::AtLeastOnce));
        let (handed, _) = queue.send(3, |p| {
            sent.push(p.pkid);
            true
        });
        assert_eq!(handed, 0);
        assert_eq!(sent, [9]);
    }
}
