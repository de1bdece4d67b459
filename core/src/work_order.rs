//! Work orders: where each comes from and the lifecycle it follows.
//!
//! | from | may move to |
//! |---|---|
//! | proposed | approved, deferred, dismissed |
//! | deferred | proposed, approved, dismissed |
//! | approved | scheduled, deferred, dismissed |
//! | scheduled | scheduled (reschedule), in_progress, approved (unschedule), dismissed |
//! | in_progress | done |
//! | dismissed | proposed (reopened) |
//! | done | — |
named_enum! {
    /// Where a work order stands.
    pub enum WorkOrderState as "work order state" {
        /// Suggested (by the model, a rule or a person), not yet decided.
        Proposed,
        /// Put off by the committee; may come back if the risk grows.
        Deferred,
        /// Agreed to, not yet given a time.
        Approved,
        /// Given a time window and the units it affects.
        Scheduled,
        /// Work has started.
        InProgress,
        /// Finished, with its outcome recorded.
        Done,
        /// Judged not worth doing; may be reopened.
        Dismissed,
    }
}

impl WorkOrderState {
    /// Whether the order still asks for work: proposed, approved, scheduled or in progress.
    pub const fn is_open(self) -> bool {
        matches!(
            self,
            Self::Proposed | Self::Approved | Self::Scheduled | Self::InProgress
        )
    }

    /// Whether the committee has set the order aside for now: deferred or dismissed.
    pub const fn is_closed_for_now(self) -> bool {
        matches!(self, Self::Deferred | Self::Dismissed)
    }

    /// Whether an order in this state may move to `next`. `Scheduled → Scheduled`
    /// (a new window or new units) is the only move that keeps the state.
    pub const fn can_move_to(self, next: WorkOrderState) -> bool {
        use WorkOrderState::*;
        matches!(
            (self, next),
            (Proposed, Approved | Deferred | Dismissed)
                | (Deferred, Proposed | Approved | Dismissed)
                | (Approved, Scheduled | Deferred | Dismissed)
                | (Scheduled, Scheduled | InProgress | Approved | Dismissed)
                | (InProgress, Done)
                | (Dismissed, Proposed)
        )
    }
}

named_enum! {
    /// What raised a work order.
    pub enum WorkOrderOrigin as "work order origin" {
        /// The failure forecast.
        Forecast,
        /// A sensor that stopped reporting or reads nonsense.
        SensorHealth,
        /// Residents' problem reports.
        ResidentReports,
        /// A person, by hand.
        Manual,
    }
}

#[cfg(test)]
mod tests {
    use super::WorkOrderState::*;
    use super::*;

    /// The lifecycle, written out as the product describes it.
    const ALLOWED: &[(WorkOrderState, WorkOrderState)] = &[
        (Proposed, Approved),
        (Proposed, Deferred),
        (Proposed, Dismissed),
        (Deferred, Proposed),
        (Deferred, Approved),
        (Deferred, Dismissed),
        (Approved, Scheduled),
        (Approved, Deferred),
        (Approved, Dismissed),
        (Scheduled, Scheduled),
        (Scheduled, InProgress),
        (Scheduled, Approved),
        (Scheduled, Dismissed),
        (InProgress, Done),
        (Dismissed, Proposed),
    ];

    #[test]
    fn listed_moves_are_allowed_and_every_other_pair_refused() {
        for &from in WorkOrderState::ALL {
            for &to in WorkOrderState::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    ALLOWED.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
        assert!(WorkOrderState::ALL.iter().all(|&s| !Done.can_move_to(s)));
    }

    #[test]
    fn open_and_closed_for_now_partition_all_but_done() {
        for &s in WorkOrderState::ALL {
            assert!(!(s.is_open() && s.is_closed_for_now()), "{s}");
            assert_eq!(s.is_open() || s.is_closed_for_now(), s != Done, "{s}");
        }
        assert!(InProgress.is_open());
        assert!(Deferred.is_closed_for_now());
    }
}
