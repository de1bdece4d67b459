//! Work orders, notices, tokens and resident reports on a real SQLite file.
use caretaker_core::{
    EquipmentId, EventKind, Role, Timestamp, UnitId, WorkOrderOrigin, WorkOrderState,
};
use caretaker_data::{
    NewNotice, Outcome, Proposal, ProposalChange, SAMPLE_REGISTRY, Store, StoreError, Transition,
    WorkOrderFilter, parse_registry,
};
use tempfile::TempDir;

use WorkOrderState::*;

async fn open() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("caretaker.sqlite"))
        .await
        .unwrap();
    let registry = parse_registry(SAMPLE_REGISTRY, "sample").unwrap();
    store
        .sync_registry(&registry, "sample", SAMPLE_REGISTRY)
        .await
        .unwrap();
    (dir, store)
}

fn eq(id: &str) -> EquipmentId {
    EquipmentId::parse(id).unwrap()
}

fn unit(id: &str) -> UnitId {
    UnitId::parse(id).unwrap()
}

/// A fixed "now", plus some hours.
fn at(hours: i64) -> Timestamp {
    Timestamp::parse("2024-03-01T08:00:00Z")
        .unwrap()
        .plus_millis(hours * Timestamp::HOUR)
}

fn proposal(equipment: &str, probability: f64, benefit: Option<f64>) -> Proposal {
    Proposal {
        equipment: eq(equipment),
        origin: WorkOrderOrigin::Forecast,
        title: format!("Inspect {equipment}"),
        probability: Some(probability),
        horizon_days: Some(30),
        expected_benefit: benefit,
        estimated_cost: Some(400.0),
        assessment: serde_json::json!({ "p": probability }),
        explanation: "vibration rising".into(),
    }
}

fn never(_: f64, _: f64) -> bool {
    false
}

/// Reopen when the risk grew by more than ten points.
fn grew(old: f64, new: f64) -> bool {
    new > old + 0.10
}

fn notice(u: &str, title: &str) -> NewNotice {
    NewNotice {
        unit: unit(u),
        title: title.into(),
        body: "Hot water off from 9:00 to 13:00.".into(),
        starts_at: Some(at(25)),
        ends_at: Some(at(29)),
        cancelled: false,
    }
}

fn to(state: WorkOrderState, hours: i64) -> Transition {
    Transition::new(state, "committee: Alice", at(hours))
}

fn schedule(hours: i64, units: &[&str], notices: Vec<NewNotice>) -> Transition {
    Transition {
        window: Some((at(hours + 24), at(hours + 28))),
        units: Some(units.iter().map(|u| unit(u)).collect()),
        notices,
        cancel_other_notices: true,
        ..to(Scheduled, hours)
    }
}

async fn created(store: &Store, p: &Proposal, hours: i64) -> i64 {
    match store.upsert_proposal(p, at(hours), never).await.unwrap() {
        ProposalChange::Created(id) => id,
        other => panic!("expected a new order, got {other:?}"),
    }
}

#[tokio::test]
async fn a_work_order_goes_from_proposed_to_done_and_becomes_an_event() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("A-CP-1", 0.3, Some(900.0)), 0).await;
    let order = store.work_order(id).await.unwrap().unwrap();
    assert_eq!(
        (order.state, order.version, order.units.len()),
        (Proposed, 1, 0)
    );
    assert_eq!(order.assessment, Some(serde_json::json!({ "p": 0.3 })));

    let order = store
        .transition(
            id,
            &Transition {
                expected_version: Some(1),
                note: "worth it before winter".into(),
                ..to(Approved, 1)
            },
        )
        .await
        .unwrap();
    assert_eq!((order.state, order.version), (Approved, 2));

    let order = store
        .transition(
            id,
            &schedule(
                2,
                &["A-102", "A-101"],
                vec![notice("A-101", "Pump work"), notice("A-102", "Pump work")],
            ),
        )
        .await
        .unwrap();
    assert_eq!(order.state, Scheduled);
    assert_eq!(order.units, vec![unit("A-101"), unit("A-102")]);
    assert_eq!(order.window, Some((at(26), at(30))));
    assert_eq!(store.notices_for_order(id).await.unwrap().len(), 2);

    // Rescheduled for one unit: its notice is rewritten, the other's cancelled.
    let order = store
        .transition(
            id,
            &schedule(3, &["A-101"], vec![notice("A-101", "Pump work, new time")]),
        )
        .await
        .unwrap();
    assert_eq!(
        (order.state, order.units.clone()),
        (Scheduled, vec![unit("A-101")])
    );
    let notices = store.notices_for_order(id).await.unwrap();
    let (n101, n102) = (&notices[0], &notices[1]);
    assert_eq!((n101.unit.as_str(), n101.version), ("A-101", 2));
    assert_eq!(n101.title, "Pump work, new time");
    assert_eq!(n101.cancelled_at, None);
    assert_eq!(n102.cancelled_at, Some(at(3)));
    assert!(
        store
            .notices_for_unit(&unit("A-102"), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .notices_for_unit(&unit("A-102"), true)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.notice(n101.id).await.unwrap().as_ref(), Some(n101));

    store.transition(id, &to(InProgress, 27)).await.unwrap();
    let outcome = Outcome {
        real_fault: true,
        replaced: Some("bearing".into()),
        cost: 640.0,
    };
    let order = store
        .transition(
            id,
            &Transition {
                outcome: Some(outcome.clone()),
                ..to(Done, 30)
            },
        )
        .await
        .unwrap();
    assert_eq!((order.state, order.outcome), (Done, Some(outcome)));
    assert_eq!(order.window, Some((at(27), at(31))), "the plan is kept");

    let events = store.events(Some(&eq("A-CP-1"))).await.unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind, EventKind::CorrectiveMaintenance);
    assert_eq!(e.cost, Some(640.0));
    assert_eq!(e.ts, at(30));
    assert_eq!(e.code.as_deref(), Some(format!("work_order:{id}").as_str()));
    assert_eq!(
        e.description,
        format!("Work order {id} done: replaced bearing (real fault)")
    );

    let decisions = store.decisions(id).await.unwrap();
    let moves: Vec<_> = decisions
        .iter()
        .map(|d| (d.from_state, d.to_state))
        .collect();
    assert_eq!(
        moves,
        vec![
            (None, Proposed),
            (Some(Proposed), Approved),
            (Some(Approved), Scheduled),
            (Some(Scheduled), Scheduled),
            (Some(Scheduled), InProgress),
            (Some(InProgress), Done),
        ]
    );
    assert_eq!(decisions[0].actor, "caretaker");
    assert_eq!(decisions[0].note, "proposed: Inspect A-CP-1");
    assert_eq!(decisions[1].note, "worth it before winter");

    // Done is final.
    let err = store.transition(id, &to(Proposed, 40)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidTransition { from: Done, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn refused_moves_change_nothing() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("A-CP-1", 0.3, Some(900.0)), 0).await;
    store.transition(id, &to(Approved, 1)).await.unwrap();
    store
        .transition(
            id,
            &schedule(2, &["A-101"], vec![notice("A-101", "Pump work")]),
        )
        .await
        .unwrap();
    let snapshot = async || {
        (
            store.work_order(id).await.unwrap().unwrap(),
            store.decisions(id).await.unwrap(),
            store.notices_for_order(id).await.unwrap(),
            store.events(None).await.unwrap(),
        )
    };
    let before = snapshot().await;

    let done = Transition {
        outcome: Some(Outcome {
            real_fault: false,
            replaced: None,
            cost: 50.0,
        }),
        ..to(Done, 3)
    };
    let err = store.transition(id, &done).await.unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidTransition { id: i, from: Scheduled, to: Done } if i == id),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!("work order {id} is scheduled: it cannot move to done")
    );
    for bad in [
        // No window.
        Transition {
            units: Some(vec![]),
            ..to(Scheduled, 3)
        },
        // A window that ends before it starts.
        Transition {
            window: Some((at(10), at(9))),
            units: Some(vec![]),
            ..to(Scheduled, 3)
        },
        // A notice for a unit the order does not touch.
        schedule(3, &["A-101"], vec![notice("B-101", "Not yours")]),
        // Done without an outcome (from in progress it would be allowed).
        to(Done, 3),
        // No actor.
        Transition::new(Approved, " ", at(3)),
    ] {
        let err = store.transition(id, &bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    let err = store
        .transition(id + 100, &to(Approved, 3))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                what: "work order",
                ..
            }
        ),
        "{err}"
    );

    // Someone else's change in between: the version no longer matches.
    let stale = Transition {
        expected_version: Some(2),
        ..to(InProgress, 3)
    };
    let err = store.transition(id, &stale).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::VersionConflict {
                expected: 2,
                actual: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(snapshot().await, before);
}

#[tokio::test]
async fn proposals_create_update_stay_closed_or_reopen() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("A-BLR-1", 0.2, Some(500.0)), 0).await;

    // Open: the numbers are refreshed, the state kept.
    store.transition(id, &to(Approved, 1)).await.unwrap();
    let change = store
        .upsert_proposal(&proposal("A-BLR-1", 0.25, Some(650.0)), at(24), grew)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::Updated(id));
    let order = store.work_order(id).await.unwrap().unwrap();
    assert_eq!(
        (
            order.state,
            order.probability,
            order.expected_benefit,
            order.version
        ),
        (Approved, Some(0.25), Some(650.0), 3)
    );
    assert_eq!(order.updated_at, at(24));

    // Dismissed: the probability at the decision is kept.
    let order = store.transition(id, &to(Dismissed, 25)).await.unwrap();
    assert_eq!(
        (order.state, order.risk_at_decision),
        (Dismissed, Some(0.25))
    );

    // A small rise leaves it closed, untouched.
    let change = store
        .upsert_proposal(&proposal("A-BLR-1", 0.3, Some(700.0)), at(48), grew)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::StillClosed(id));
    assert_eq!(store.work_order(id).await.unwrap().unwrap(), order);

    // A large one reopens it, with the new numbers and a logged decision.
    let change = store
        .upsert_proposal(&proposal("A-BLR-1", 0.45, Some(1200.0)), at(72), grew)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::Reopened(id));
    let order = store.work_order(id).await.unwrap().unwrap();
    assert_eq!((order.state, order.probability), (Proposed, Some(0.45)));
    let last = store.decisions(id).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.from_state, last.to_state),
        (Some(Dismissed), Proposed)
    );
    assert_eq!(last.actor, "caretaker");
    assert_eq!(last.note, "reopened: risk grew from 25% to 45%");

    // Deferred works the same way.
    let order = store.transition(id, &to(Deferred, 73)).await.unwrap();
    assert_eq!(order.risk_at_decision, Some(0.45));
    let change = store
        .upsert_proposal(&proposal("A-BLR-1", 0.9, None), at(96), never)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::StillClosed(id));

    // Another origin is another order; once done, a new proposal is a new order.
    let manual = Proposal {
        origin: WorkOrderOrigin::Manual,
        ..proposal("A-BLR-1", 0.1, None)
    };
    let other = created(&store, &manual, 97).await;
    assert_ne!(other, id);
    store.transition(other, &to(Approved, 98)).await.unwrap();
    store
        .transition(other, &schedule(99, &[], vec![]))
        .await
        .unwrap();
    store.transition(other, &to(InProgress, 124)).await.unwrap();
    store
        .transition(
            other,
            &Transition {
                outcome: Some(Outcome {
                    real_fault: false,
                    replaced: None,
                    cost: 80.0,
                }),
                ..to(Done, 126)
            },
        )
        .await
        .unwrap();
    let event = store
        .events(Some(&eq("A-BLR-1")))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(event.kind, EventKind::PreventiveMaintenance);
    assert_eq!(
        event.description,
        format!("Work order {other} done: inspected (no fault found)")
    );
    let third = created(&store, &manual, 200).await;
    assert!(third > other);

    // Nonsense numbers are refused before anything is written.
    let err = store
        .upsert_proposal(&proposal("A-BLR-1", 1.5, None), at(201), never)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

/// Checks that the decision log tells the order's whole story: each decision starts
/// where the one before ended, and the last ends in the order's state.
async fn assert_log_explains_state(store: &Store, id: i64) {
    let decisions = store.decisions(id).await.unwrap();
    let mut state = None;
    for d in &decisions {
        assert_eq!(d.from_state, state, "{d:?}");
        state = Some(d.to_state);
    }
    let order = store.work_order(id).await.unwrap().unwrap();
    assert_eq!(state, Some(order.state), "{decisions:?}");
}

#[tokio::test]
async fn a_reopened_order_has_its_decision_log_row() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("B-BLR-1", 0.3, Some(800.0)), 0).await;
    store.transition(id, &to(Approved, 1)).await.unwrap();
    let deferred = store.transition(id, &to(Deferred, 2)).await.unwrap();
    let logged = store.decisions(id).await.unwrap().len();

    let change = store
        .upsert_proposal(&proposal("B-BLR-1", 0.6, Some(1500.0)), at(48), grew)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::Reopened(id));
    let decisions = store.decisions(id).await.unwrap();
    assert_eq!(decisions.len(), logged + 1, "{decisions:?}");
    let last = decisions.last().unwrap();
    assert_eq!(
        (
            last.at,
            last.actor.as_str(),
            last.from_state,
            last.to_state,
            last.note.as_str()
        ),
        (
            at(48),
            "caretaker",
            Some(Deferred),
            Proposed,
            "reopened: risk grew from 30% to 60%"
        )
    );
    let order = store.work_order(id).await.unwrap().unwrap();
    assert_eq!(
        (
            order.state,
            order.probability,
            order.risk_at_decision,
            order.updated_at
        ),
        (Proposed, Some(0.6), Some(0.3), at(48))
    );
    // Two changes in one transaction: the new numbers, then the move.
    assert_eq!(order.version, deferred.version + 2);
    assert_log_explains_state(&store, id).await;

    // Dismissed, then reopened again: one more row each time.
    store.transition(id, &to(Dismissed, 49)).await.unwrap();
    let change = store
        .upsert_proposal(&proposal("B-BLR-1", 0.8, None), at(72), grew)
        .await
        .unwrap();
    assert_eq!(change, ProposalChange::Reopened(id));
    let last = store.decisions(id).await.unwrap().pop().unwrap();
    assert_eq!(
        (last.from_state, last.to_state, last.note.as_str()),
        (
            Some(Dismissed),
            Proposed,
            "reopened: risk grew from 60% to 80%"
        )
    );
    assert_log_explains_state(&store, id).await;
}

#[tokio::test]
async fn unscheduling_clears_the_plan_and_dismissal_records_the_risk() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("A-CP-2", 0.4, Some(300.0)), 0).await;
    store.transition(id, &to(Approved, 1)).await.unwrap();
    store
        .transition(
            id,
            &schedule(2, &["A-101", "A-201"], vec![notice("A-101", "Pump work")]),
        )
        .await
        .unwrap();
    // Back to approved: no window, no units; the caller withdraws the notices.
    let order = store
        .transition(
            id,
            &Transition {
                cancel_other_notices: true,
                ..to(Approved, 3)
            },
        )
        .await
        .unwrap();
    assert_eq!((order.window, order.units.len()), (None, 0));
    assert!(
        store
            .notices_for_unit(&unit("A-101"), false)
            .await
            .unwrap()
            .is_empty()
    );

    let order = store.transition(id, &to(Dismissed, 4)).await.unwrap();
    assert_eq!(order.risk_at_decision, Some(0.4));
    let order = store.transition(id, &to(Proposed, 5)).await.unwrap();
    assert_eq!((order.state, order.risk_at_decision), (Proposed, Some(0.4)));
}

#[tokio::test]
async fn a_unit_sees_only_its_own_notices() {
    let (_dir, store) = open().await;
    let a = created(&store, &proposal("A-CP-1", 0.3, None), 0).await;
    let b = created(&store, &proposal("B-CP-1", 0.3, None), 0).await;
    for (id, u) in [(a, "A-101"), (b, "B-101")] {
        store.transition(id, &to(Approved, 1)).await.unwrap();
        store
            .transition(
                id,
                &schedule(2, &[u], vec![notice(u, &format!("Work for {u}"))]),
            )
            .await
            .unwrap();
    }
    let mine = store.notices_for_unit(&unit("A-101"), true).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].work_order_id, mine[0].title.as_str()),
        (a, "Work for A-101")
    );
    assert!(
        store
            .notices_for_unit(&unit("A-102"), true)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn lists_most_worth_doing_first_a_page_at_a_time() {
    let (_dir, store) = open().await;
    let none = created(&store, &proposal("A-CP-1", 0.9, None), 0).await;
    let b100 = created(&store, &proposal("A-CP-2", 0.2, Some(100.0)), 0).await;
    let b300_low = created(&store, &proposal("A-BLR-1", 0.1, Some(300.0)), 0).await;
    let b300_high = created(&store, &proposal("A-BLR-2", 0.5, Some(300.0)), 0).await;
    let b50 = created(&store, &proposal("B-CP-1", 0.7, Some(50.0)), 0).await;

    let all = WorkOrderFilter::default();
    let ids =
        |orders: Vec<caretaker_data::WorkOrder>| orders.iter().map(|o| o.id).collect::<Vec<_>>();
    let (page, total) = store.list_work_orders(&all, 2, 0).await.unwrap();
    assert_eq!((ids(page), total), (vec![b300_high, b300_low], 5));
    let (page, total) = store.list_work_orders(&all, 2, 2).await.unwrap();
    assert_eq!((ids(page), total), (vec![b100, b50], 5));
    let (page, _) = store.list_work_orders(&all, 2, 4).await.unwrap();
    assert_eq!(ids(page), vec![none]);

    store.transition(b100, &to(Approved, 1)).await.unwrap();
    store.transition(b50, &to(Dismissed, 1)).await.unwrap();
    let open = WorkOrderFilter {
        states: vec![Proposed, Approved],
        ..WorkOrderFilter::default()
    };
    let (page, total) = store.list_work_orders(&open, 10, 0).await.unwrap();
    assert_eq!(
        (ids(page), total),
        (vec![b300_high, b300_low, b100, none], 4)
    );
    let one = WorkOrderFilter {
        equipment: Some(eq("B-CP-1")),
        origin: Some(WorkOrderOrigin::Forecast),
        ..WorkOrderFilter::default()
    };
    let (page, total) = store.list_work_orders(&one, 10, 0).await.unwrap();
    assert_eq!((ids(page), total), (vec![b50], 1));
    let manual = WorkOrderFilter {
        origin: Some(WorkOrderOrigin::Manual),
        ..WorkOrderFilter::default()
    };
    assert_eq!(store.list_work_orders(&manual, 10, 0).await.unwrap().1, 0);
}

#[tokio::test]
async fn tokens_are_found_by_secret_until_revoked() {
    let (_dir, store) = open().await;
    let (committee, secret) = store
        .add_token(Role::Committee, None, "committee: Alice", at(0))
        .await
        .unwrap();
    assert_eq!(secret.len(), 64);
    let (resident, resident_secret) = store
        .add_token(Role::Resident, Some(&unit("A-101")), "A-101", at(1))
        .await
        .unwrap();
    assert_eq!(
        store.token_for_secret(&secret).await.unwrap(),
        Some(committee.clone())
    );
    let found = store
        .token_for_secret(&resident_secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.role, found.unit),
        (Role::Resident, Some(unit("A-101")))
    );
    assert_eq!(store.token_for_secret("not a secret").await.unwrap(), None);

    // Only the hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(!stored.contains(&secret));

    assert!(store.token_active(committee.id).await.unwrap());
    assert!(store.revoke_token(committee.id, at(2)).await.unwrap());
    assert!(!store.revoke_token(committee.id, at(3)).await.unwrap());
    assert_eq!(store.token_for_secret(&secret).await.unwrap(), None);
    assert!(!store.token_active(committee.id).await.unwrap());
    assert!(store.token_active(resident.id).await.unwrap());
    assert!(!store.token_active(999).await.unwrap());
    let all = store.tokens().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].revoked_at, Some(at(2)));
    assert_eq!(all[1], resident);

    for (role, u) in [
        (Role::Resident, None),
        (Role::Committee, Some(unit("A-101"))),
        (Role::Gateway, Some(unit("A-101"))),
    ] {
        let err = store
            .add_token(role, u.as_ref(), "x", at(4))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
}

#[tokio::test]
async fn identical_reports_in_the_same_millisecond_are_each_stored() {
    let (_dir, store) = open().await;
    let boiler = eq("A-BLR-1");
    let mut ids = Vec::new();
    for u in ["A-101", "A-101", "A-102"] {
        let id = store
            .report_problem(&unit(u), &boiler, "no_heat", "cold", at(0))
            .await
            .unwrap();
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
    assert_eq!(store.open_reports(&boiler, at(0)).await.unwrap(), 3);
}

#[tokio::test]
async fn resident_reports_are_events_of_their_unit() {
    let (_dir, store) = open().await;
    let boiler = eq("A-BLR-1");
    let first = store
        .report_problem(
            &unit("A-101"),
            &boiler,
            "no_hot_water",
            "No hot water since this morning",
            at(0),
        )
        .await
        .unwrap();
    let second = store
        .report_problem(
            &unit("A-101"),
            &boiler,
            "cold_radiator",
            "Radiator cold",
            at(5),
        )
        .await
        .unwrap();
    store
        .report_problem(
            &unit("A-102"),
            &boiler,
            "no_hot_water",
            "Cold shower",
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(store.open_reports(&boiler, at(0)).await.unwrap(), 3);
    assert_eq!(store.open_reports(&boiler, at(5)).await.unwrap(), 2);
    assert_eq!(store.open_reports(&eq("A-CP-1"), at(0)).await.unwrap(), 0);

    let mine = store.reports_for_unit(&unit("A-101")).await.unwrap();
    assert_eq!(
        mine.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![second, first]
    );
    let (_, e) = &mine[1];
    assert_eq!(e.kind, EventKind::ResidentReport);
    assert_eq!(e.code.as_deref(), Some("no_hot_water"));
    assert_eq!(e.description, "No hot water since this morning");
    assert_eq!(e.unit, Some(unit("A-101")));

    for (category, text) in [("", "x"), ("No Hot Water", "x"), ("leak", "  ")] {
        let err = store
            .report_problem(&unit("A-101"), &boiler, category, text, at(7))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
}

#[tokio::test]
async fn of_two_concurrent_decisions_on_one_version_only_one_wins() {
    let (_dir, store) = open().await;
    let id = created(&store, &proposal("A-CP-1", 0.3, None), 0).await;
    let decide = |state| Transition {
        expected_version: Some(1),
        ..to(state, 1)
    };
    let (approve, dismiss) = (decide(Approved), decide(Dismissed));
    let (a, b) = tokio::join!(
        store.transition(id, &approve),
        store.transition(id, &dismiss)
    );
    let conflicts = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(StoreError::VersionConflict { actual: 2, .. })))
        .count();
    assert_eq!((a.is_ok() as u8 + b.is_ok() as u8, conflicts), (1, 1));
    assert_eq!(store.decisions(id).await.unwrap().len(), 2);
}
