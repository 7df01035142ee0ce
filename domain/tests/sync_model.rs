//! Simulated devices against a simulated server, both running the real sync steps
//! (`process_with_numbers` on the server, `rebase` on the devices), through a network that drops,
//! duplicates, delays (reorders) and cuts pushes and loses pull answers.
//!
//! After the random phase every device syncs cleanly until its queue is empty, then:
//! - every device shows exactly the server's orders;
//! - every mutation of every device was decided exactly once (accepted or rejected);
//! - every accepted note and history event exists exactly once, rejected notes nowhere;
//! - every rejection reached its device (and only its device), with the mutation inside;
//! - order numbers are unique (by `number_key`, as the server's index compares), colliding creates were renumbered, not lost;
//! - a push with a gap changes nothing.
//!
//! The number of cases that ran is printed on stderr in every run (`cargo test -p domain`).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use common::*;
use domain::*;
use proptest::prelude::*;
use uuid::Uuid;

const CASES: u32 = 3000;
/// Small pages and rejection pages, so that paging is exercised in every case.
const SIM_PUSH_LIMIT: usize = 4;
const SIM_REJECTION_PAGE: usize = 2;

static CASES_RUN: AtomicUsize = AtomicUsize::new(0);
static MUTATIONS_DECIDED: AtomicUsize = AtomicUsize::new(0);
static REJECTIONS_SEEN: AtomicUsize = AtomicUsize::new(0);
static RENUMBERED: AtomicUsize = AtomicUsize::new(0);

// ---- the simulated server ----------------------------------------------------------------

#[derive(Default)]
struct Server {
    /// Order and its version.
    orders: BTreeMap<Uuid, (Order, u64)>,
    version: u64,
    /// device → (user id, last_seq)
    devices: HashMap<usize, (String, u64)>,
    /// (rejection id, device, rejection)
    rejections: Vec<(u64, usize, Rejection)>,
    /// Every accepted decision: (device, seq, order, events added).
    accepted: Vec<(usize, u64, Uuid, Vec<HistoryEvent>)>,
    unchanged: Vec<(usize, u64)>,
    clock: DateTime<Utc>,
}

#[derive(Debug)]
struct Gap;

impl Server {
    fn tick(&mut self) {
        self.clock += Duration::seconds(37);
    }

    /// Decides the device's mutations with seq > last_seq; stops after `cut` decisions (a worker
    /// killed mid-push: each decision is its own transaction, so a prefix is what lands).
    fn push(
        &mut self,
        device: usize,
        actor: &Actor,
        mutations: &[PendingMutation],
        cut: Option<usize>,
    ) -> Result<PushResponse, Gap> {
        let entry = self
            .devices
            .entry(device)
            .or_insert_with(|| (actor.user_id.clone(), 0));
        assert_eq!(
            entry.0, actor.user_id,
            "a device id is bound to its first user"
        );
        let mut last_seq = entry.1;
        if let Some(first) = mutations.first() {
            if first.seq > last_seq + 1 {
                return Err(Gap);
            }
        }
        let pipeline = Pipeline::standard();
        let mut decided = 0;
        for pending in mutations {
            if pending.seq <= last_seq {
                continue;
            }
            if cut.is_some_and(|c| decided >= c) {
                break;
            }
            self.tick();
            let ctx = Context {
                processes: &domain::Processes::single(pipeline.clone()),
                actor,
                now: self.clock,
            };
            let id = pending.mutation.order_id();
            let current = self.orders.get(&id).map(|(o, _)| o.clone());
            let orders = &self.orders;
            let taken = |n: &str| {
                orders
                    .values()
                    .any(|(o, _)| o.id != id && o.number.key() == n)
            };
            match process_with_numbers(&ctx, current.as_ref(), pending, taken) {
                Decision::Applied(applied) => {
                    if applied
                        .events
                        .iter()
                        .any(|e| matches!(e.kind, EventKind::Renumbered { .. }))
                    {
                        RENUMBERED.fetch_add(1, Ordering::Relaxed);
                    }
                    self.version += 1;
                    self.accepted
                        .push((device, pending.seq, id, applied.events.clone()));
                    self.orders.insert(id, (applied.order, self.version));
                }
                Decision::Unchanged => self.unchanged.push((device, pending.seq)),
                Decision::Rejected(rejection) => {
                    let rid = self.rejections.len() as u64 + 1;
                    self.rejections.push((rid, device, rejection));
                }
            }
            last_seq = pending.seq;
            self.devices.get_mut(&device).unwrap().1 = last_seq;
            decided += 1;
        }
        let (from, to) = match (mutations.first(), mutations.last()) {
            (Some(f), Some(l)) => (f.seq, l.seq),
            _ => (1, 0),
        };
        Ok(PushResponse {
            last_seq,
            rejected: self
                .rejections
                .iter()
                .filter(|(_, d, r)| *d == device && (from..=to).contains(&r.seq))
                .map(|(_, _, r)| r.clone())
                .collect(),
        })
    }

    fn pull(
        &mut self,
        device: usize,
        actor: &Actor,
        cursor: u64,
        rejections_after: u64,
        limit: usize,
    ) -> PullResponse {
        let entry = self
            .devices
            .entry(device)
            .or_insert_with(|| (actor.user_id.clone(), 0));
        let last_seq = entry.1;
        let mut changed: Vec<&(Order, u64)> =
            self.orders.values().filter(|(_, v)| *v > cursor).collect();
        changed.sort_by_key(|(_, v)| *v);
        let more = changed.len() > limit;
        changed.truncate(limit);
        let mut rejections: Vec<&(u64, usize, Rejection)> = self
            .rejections
            .iter()
            .filter(|(id, d, _)| *d == device && *id > rejections_after)
            .collect();
        let more_rejections = rejections.len() > SIM_REJECTION_PAGE;
        rejections.truncate(SIM_REJECTION_PAGE);
        PullResponse {
            cursor: changed.last().map_or(cursor, |(_, v)| *v),
            orders: changed.into_iter().map(|(o, _)| o.clone()).collect(),
            tombstones: vec![],
            more,
            last_seq,
            rejection_cursor: rejections.last().map_or(rejections_after, |(id, _, _)| *id),
            rejections: rejections.into_iter().map(|(_, _, r)| r.clone()).collect(),
            more_rejections,
            process_versions: vec![],
            calendar: None,
        }
    }
}

// ---- the simulated devices ---------------------------------------------------------------

struct Device {
    index: usize,
    actor: Actor,
    /// The server's orders as last pulled.
    base: BTreeMap<Uuid, Order>,
    /// What the user sees: `base` with the pending mutations rebased on top.
    view: BTreeMap<Uuid, Order>,
    pending: Vec<PendingMutation>,
    next_seq: u64,
    cursor: u64,
    rejection_cursor: u64,
    /// Rejections this device has been told about (push answers or pulls), by seq.
    rejections: BTreeMap<u64, Rejection>,
    /// The seqs of the rejections that came through pull, the channel that must never miss one.
    pulled_rejections: BTreeSet<u64>,
    counter: u128,
    clock_skew: Duration,
}

impl Device {
    fn new(index: usize, actor: Actor, skew_minutes: i64) -> Self {
        Device {
            index,
            actor,
            base: BTreeMap::new(),
            view: BTreeMap::new(),
            pending: Vec::new(),
            next_seq: 1,
            cursor: 0,
            rejection_cursor: 0,
            rejections: BTreeMap::new(),
            pulled_rejections: BTreeSet::new(),
            counter: 0,
            clock_skew: Duration::minutes(skew_minutes),
        }
    }

    fn fresh_id(&mut self) -> Uuid {
        self.counter += 1;
        Uuid::from_u128(((self.index as u128 + 1) << 64) | self.counter)
    }

    fn learn(&mut self, rejection: &Rejection) {
        assert_eq!(
            rejection.mutation,
            self.sent(rejection.seq)
                .cloned()
                .unwrap_or(rejection.mutation.clone()),
            "a rejection carries the device's own mutation"
        );
        if let Some(known) = self.rejections.get(&rejection.seq) {
            assert_eq!(
                known, rejection,
                "a rejection is the same every time it is reported"
            );
        }
        self.rejections.insert(rejection.seq, rejection.clone());
    }

    fn sent(&self, seq: u64) -> Option<&Mutation> {
        self.pending
            .iter()
            .find(|p| p.seq == seq)
            .map(|p| &p.mutation)
    }

    /// Makes a change the way the app does: rules first on what the user sees; only a change
    /// the rules accept is queued (unless `force`, a client that queues anything).
    fn commit(&mut self, mutation: Mutation, now: DateTime<Utc>, force: bool) {
        let device_time = now + self.clock_skew;
        let pending = PendingMutation {
            seq: self.next_seq,
            mutation,
            device_time,
        };
        let pipeline = Pipeline::standard();
        let ctx = Context {
            processes: &domain::Processes::single(pipeline.clone()),
            actor: &self.actor,
            now: device_time,
        };
        let id = pending.mutation.order_id();
        let view = &self.view;
        let taken = |n: &str| view.values().any(|o| o.id != id && o.number.key() == n);
        match process_with_numbers(&ctx, self.view.get(&id), &pending, taken) {
            Decision::Applied(applied) => {
                self.view.insert(id, applied.order);
            }
            Decision::Unchanged => {}
            Decision::Rejected(_) if force => {}
            Decision::Rejected(_) => return,
        }
        self.next_seq += 1;
        self.pending.push(pending);
    }

    /// Stores one pull page; the queue and the view are only rebuilt on the last page, whose
    /// `last_seq` matches the complete data.
    fn store_page(&mut self, page: &PullResponse) {
        for order in &page.orders {
            self.base.insert(order.id, order.clone());
        }
        for id in &page.tombstones {
            self.base.remove(id);
        }
        self.cursor = page.cursor;
        for rejection in &page.rejections {
            self.learn(rejection);
            self.pulled_rejections.insert(rejection.seq);
        }
        self.rejection_cursor = page.rejection_cursor;
        if !page.more {
            self.pending.retain(|p| p.seq > page.last_seq);
            let rebased = rebase(
                &domain::Processes::standard(),
                &self.actor,
                &self.base,
                &self.pending,
            );
            self.view = self.base.clone();
            self.view.extend(rebased.overlay);
        }
    }

    fn batch(&self) -> Vec<PendingMutation> {
        self.pending.iter().take(SIM_PUSH_LIMIT).cloned().collect()
    }
}

// ---- random operations ---------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// A change on a device: `kind` picks the mutation, `a`/`b` its target and details.
    Local {
        device: usize,
        kind: u8,
        a: u8,
        b: u8,
    },
    Push {
        device: usize,
        fault: Fault,
    },
    /// Delivers the oldest delayed push (a reordered request arriving late).
    DeliverDelayed {
        reply: bool,
    },
    Pull {
        device: usize,
        limit: usize,
        lose_after: Option<u8>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    RequestLost,
    ResponseLost,
    Duplicated,
    CutAfter(u8),
    Delayed,
    /// The client skips its first pending mutation: the server must refuse the gap.
    Gap,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::None),
        1 => Just(Fault::RequestLost),
        1 => Just(Fault::ResponseLost),
        1 => Just(Fault::Duplicated),
        1 => (0u8..4).prop_map(Fault::CutAfter),
        1 => Just(Fault::Delayed),
        1 => Just(Fault::Gap),
    ]
}

fn op(devices: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..devices, 0u8..12, any::<u8>(), any::<u8>())
            .prop_map(|(device, kind, a, b)| Op::Local { device, kind, a, b }),
        3 => (0..devices, fault()).prop_map(|(device, fault)| Op::Push { device, fault }),
        1 => any::<bool>().prop_map(|reply| Op::DeliverDelayed { reply }),
        2 => (0..devices, 1usize..4, prop::option::of(0u8..3))
            .prop_map(|(device, limit, lose_after)| Op::Pull { device, limit, lose_after }),
    ]
}

fn team() -> Vec<Actor> {
    vec![
        sales(),       // 王芳
        other_sales(), // 孙磊
        admin(),
        legal(),
        Actor::new("u-zhangwei", "张伟", vec![Role::Warehouse, Role::Finance]),
        sales(), // 王芳's second phone
    ]
}

/// The mutation a `Local` op asks for, on what the device sees.
fn local_mutation(device: &mut Device, kind: u8, a: u8, b: u8) -> Option<(Mutation, bool)> {
    let pipeline = Pipeline::standard();
    let ids: Vec<Uuid> = device.view.keys().copied().collect();
    let target = (!ids.is_empty()).then(|| ids[a as usize % ids.len()]);
    let order = target.and_then(|id| device.view.get(&id)).cloned();
    let m = match (kind, order) {
        (0, _) | (_, None) => {
            // Case and width variants of one number, Greek with final sigma, and numbers at the
            // maximum length (renumbering must cut them and still find a free one).
            let numbers = [
                "HZ-1".to_string(),
                "hz-1".to_string(),
                "ＨＺ-1".to_string(),
                "HZ-2".to_string(),
                "HZ-1-2".to_string(),
                "ΣΟΦΙΑΣ-1".to_string(),
                "σοφιας-1".to_string(),
                "Ｑ".repeat(OrderNumber::MAX_CHARS),
                "q".repeat(OrderNumber::MAX_CHARS),
                format!("{}-2", "Q".repeat(OrderNumber::MAX_CHARS - 2)),
            ];
            let order_id = device.fresh_id();
            Mutation::CreateOrder {
                order_id,
                number: (b % 5 != 4).then(|| numbers[b as usize % numbers.len()].clone()),
                customer: customer(),
                items: items(),
                expected_delivery: None,
                owner: None,
                note: b.is_multiple_of(3).then(|| "开单备注".to_string()),
                note_id: None,
            }
        }
        (1, Some(o)) => Mutation::AddNote {
            order_id: o.id,
            note_id: device.fresh_id(),
            text: format!("备注 {b}"),
        },
        (2, Some(o)) => {
            let next = pipeline.next(&o.stage).map(|s| s.id.clone())?;
            Mutation::AdvanceStage {
                order_id: o.id,
                from: o.stage.clone(),
                to: next,
                reason: b.is_multiple_of(2).then(|| "客户催单".to_string()),
            }
        }
        (3, Some(o)) => {
            let def = pipeline.stage(&o.stage)?;
            if def.checklist.is_empty() {
                return None;
            }
            let item = &def.checklist[b as usize % def.checklist.len()];
            Mutation::SetChecklistItem {
                order_id: o.id,
                stage: o.stage.clone(),
                item: item.id.clone(),
                done: !b.is_multiple_of(4),
            }
        }
        (4, Some(o)) => Mutation::EditFields {
            order_id: o.id,
            changes: FieldChanges {
                expected_delivery: Some(Some(date(2026, 12, 1 + (b % 3) as u32))),
                ..Default::default()
            },
        },
        (5, Some(o)) => {
            let mut c = customer();
            c.contact = ["周建国", "周总", "李经理"][b as usize % 3].to_string();
            Mutation::EditFields {
                order_id: o.id,
                changes: FieldChanges {
                    customer: Some(c),
                    ..Default::default()
                },
            }
        }
        (6, Some(o)) if o.is_closed() => Mutation::Reopen { order_id: o.id },
        (6, Some(o)) => Mutation::Cancel {
            order_id: o.id,
            reason: "客户撤单".into(),
        },
        (7, Some(o)) => Mutation::RecordShipment {
            order_id: o.id,
            carrier: "顺丰速运".into(),
            tracking_no: format!("SF{b}"),
        },
        (8, Some(o)) => Mutation::RecordInvoice {
            order_id: o.id,
            number: format!("INV{b}"),
            date: date(2026, 11, 26),
        },
        (9, Some(o)) => {
            // Jump back a stage (rework, needs a reason) or try to finish.
            match pipeline.previous(&o.stage) {
                Some(prev) if b.is_multiple_of(2) => Mutation::AdvanceStage {
                    order_id: o.id,
                    from: o.stage.clone(),
                    to: prev.id.clone(),
                    reason: Some("返工".into()),
                },
                _ => Mutation::Complete {
                    order_id: o.id,
                    reason: Some("提前完成".into()),
                },
            }
        }
        (10, Some(o)) => {
            // A client that queues a change the rules refuse: the server must reject it.
            return Some((
                Mutation::AddNote {
                    order_id: o.id,
                    note_id: device.fresh_id(),
                    text: "   ".into(),
                },
                true,
            ));
        }
        (_, Some(o)) => Mutation::Assign {
            order_id: o.id,
            owner: [sales(), other_sales()][b as usize % 2].staff_ref(),
        },
    };
    Some((m, false))
}

struct World {
    server: Server,
    devices: Vec<Device>,
    delayed: Vec<(usize, Vec<PendingMutation>)>,
}

impl World {
    fn new() -> Self {
        let devices = team()
            .into_iter()
            .enumerate()
            .map(|(i, actor)| Device::new(i, actor, [0, -7, 3, 90, -600, 1][i]))
            .collect();
        World {
            server: Server {
                clock: t0(),
                ..Default::default()
            },
            devices,
            delayed: Vec::new(),
        }
    }

    fn push(&mut self, d: usize, fault: Fault) {
        let batch = self.devices[d].batch();
        if batch.is_empty() {
            return;
        }
        let actor = self.devices[d].actor.clone();
        let reply = match fault {
            Fault::RequestLost => None,
            Fault::Delayed => {
                self.delayed.push((d, batch));
                None
            }
            Fault::Gap => {
                let before_orders = self.server.orders.clone();
                let before_devices = self.server.devices.get(&d).cloned();
                let before_rejections = self.server.rejections.len();
                let gapped: Vec<PendingMutation> = batch.iter().skip(1).cloned().collect();
                let last = self.server.devices.get(&d).map_or(0, |e| e.1);
                match self.server.push(d, &actor, &gapped, None) {
                    Err(Gap) => {
                        assert!(gapped[0].seq > last + 1);
                        assert_eq!(self.server.orders, before_orders, "a gap changes nothing");
                        assert_eq!(self.server.rejections.len(), before_rejections);
                        if before_devices.is_some() {
                            assert_eq!(self.server.devices.get(&d).cloned(), before_devices);
                        }
                    }
                    Ok(_) => assert!(
                        gapped.is_empty() || gapped[0].seq <= last + 1,
                        "a push that starts after last_seq + 1 must be refused"
                    ),
                }
                None
            }
            Fault::None => self.server.push(d, &actor, &batch, None).ok(),
            Fault::ResponseLost => {
                let _ = self.server.push(d, &actor, &batch, None);
                None
            }
            Fault::Duplicated => {
                let first = self.server.push(d, &actor, &batch, None).ok();
                let orders = self.server.orders.clone();
                let second = self.server.push(d, &actor, &batch, None).ok();
                assert_eq!(
                    self.server.orders, orders,
                    "a replayed push changes nothing"
                );
                assert_eq!(first, second, "a replayed push gets the same answer");
                second
            }
            Fault::CutAfter(k) => {
                let _ = self.server.push(d, &actor, &batch, Some(k as usize));
                None
            }
        };
        if let Some(reply) = reply {
            for rejection in &reply.rejected {
                self.devices[d].learn(rejection);
            }
        }
    }

    fn deliver_delayed(&mut self, reply: bool) {
        if self.delayed.is_empty() {
            return;
        }
        let (d, batch) = self.delayed.remove(0);
        let actor = self.devices[d].actor.clone();
        // A late request may now be a replay (all seqs decided) or even a gap: both are safe.
        if let Ok(answer) = self.server.push(d, &actor, &batch, None) {
            if reply {
                for rejection in &answer.rejected {
                    self.devices[d].learn(rejection);
                }
            }
        }
    }

    fn pull(&mut self, d: usize, limit: usize, lose_after: Option<u8>) {
        let mut pages = 0u8;
        loop {
            let device = &self.devices[d];
            let page = self.server.pull(
                d,
                &device.actor.clone(),
                device.cursor,
                device.rejection_cursor,
                limit,
            );
            if lose_after.is_some_and(|n| pages >= n) {
                return; // The answer never arrived; nothing stored.
            }
            self.devices[d].store_page(&page);
            pages += 1;
            if !page.more && !page.more_rejections {
                return;
            }
        }
    }

    fn run(&mut self, op: &Op) {
        self.server.tick();
        match *op {
            Op::Local { device, kind, a, b } => {
                let now = self.server.clock;
                if let Some((m, force)) = local_mutation(&mut self.devices[device], kind, a, b) {
                    self.devices[device].commit(m, now, force);
                }
            }
            Op::Push { device, fault } => self.push(device, fault),
            Op::DeliverDelayed { reply } => self.deliver_delayed(reply),
            Op::Pull {
                device,
                limit,
                lose_after,
            } => self.pull(device, limit, lose_after),
        }
    }

    /// Everyone comes back online: deliver what is in flight, push until queues are empty, pull.
    fn settle(&mut self) {
        while !self.delayed.is_empty() {
            self.deliver_delayed(false);
        }
        for _ in 0..100 {
            for d in 0..self.devices.len() {
                while !self.devices[d].pending.is_empty() {
                    self.push(d, Fault::None);
                    self.pull(d, 5, None);
                }
            }
            for d in 0..self.devices.len() {
                self.pull(d, 5, None);
            }
            if self.devices.iter().all(|d| d.pending.is_empty()) {
                return;
            }
        }
        panic!("the devices never settled");
    }

    fn check(&self, sent: &HashMap<usize, Vec<PendingMutation>>) {
        let server_orders: BTreeMap<Uuid, Order> = self
            .server
            .orders
            .iter()
            .map(|(id, (o, _))| (*id, o.clone()))
            .collect();
        for device in &self.devices {
            assert!(device.pending.is_empty());
            assert_eq!(
                device.view, server_orders,
                "device {} equals the server",
                device.index
            );
            assert_eq!(device.base, server_orders);
        }

        // Every mutation decided exactly once.
        let mut decided: HashMap<(usize, u64), &str> = HashMap::new();
        for (d, seq, _, _) in &self.server.accepted {
            assert!(
                decided.insert((*d, *seq), "accepted").is_none(),
                "decided twice"
            );
        }
        for (d, seq) in &self.server.unchanged {
            assert!(
                decided.insert((*d, *seq), "unchanged").is_none(),
                "decided twice"
            );
        }
        for (_, d, r) in &self.server.rejections {
            assert!(
                decided.insert((*d, r.seq), "rejected").is_none(),
                "decided twice"
            );
        }
        for device in &self.devices {
            for seq in 1..device.next_seq {
                assert!(
                    decided.contains_key(&(device.index, seq)),
                    "device {} seq {seq} was never decided",
                    device.index
                );
            }
        }
        MUTATIONS_DECIDED.fetch_add(decided.len(), Ordering::Relaxed);

        // Every rejection reached its device, and only rejections of its own mutations.
        for device in &self.devices {
            let server_side: BTreeMap<u64, &Rejection> = self
                .server
                .rejections
                .iter()
                .filter(|(_, d, _)| *d == device.index)
                .map(|(_, _, r)| (r.seq, r))
                .collect();
            let seen: BTreeMap<u64, &Rejection> =
                device.rejections.iter().map(|(s, r)| (*s, r)).collect();
            assert_eq!(
                seen, server_side,
                "device {} got all its rejections",
                device.index
            );
            assert!(
                server_side
                    .keys()
                    .copied()
                    .eq(device.pulled_rejections.iter().copied()),
                "device {} pulled every rejection",
                device.index
            );
            let mine = &sent[&device.index];
            for rejection in device.rejections.values() {
                let original = mine.iter().find(|p| p.seq == rejection.seq).unwrap();
                assert_eq!(rejection.mutation, original.mutation);
                assert_eq!(rejection.device_time, original.device_time);
                assert!(!rejection.message.is_empty() && !rejection.message_en.is_empty());
            }
            REJECTIONS_SEEN.fetch_add(device.rejections.len(), Ordering::Relaxed);
        }

        // History: exactly the accepted events, each once, in the order the server decided them.
        for (id, order) in &server_orders {
            let expected: Vec<&HistoryEvent> = self
                .server
                .accepted
                .iter()
                .filter(|(_, _, o, _)| o == id)
                .flat_map(|(_, _, _, events)| events)
                .collect();
            let actual: Vec<&HistoryEvent> = order.history.iter().collect();
            assert_eq!(
                actual, expected,
                "history of {id} is the accepted events, once each"
            );
            let mut note_ids = BTreeSet::new();
            for note in &order.notes {
                assert!(note_ids.insert(note.id), "note {} appears twice", note.id);
            }
        }
        // Accepted notes exist exactly once; rejected ones nowhere.
        for device in self.devices.iter() {
            for p in &sent[&device.index] {
                let Mutation::AddNote {
                    order_id, note_id, ..
                } = &p.mutation
                else {
                    continue;
                };
                let count = server_orders
                    .values()
                    .flat_map(|o| &o.notes)
                    .filter(|n| n.id == *note_id)
                    .count();
                let accepted = self
                    .server
                    .accepted
                    .iter()
                    .any(|(d, s, _, _)| *d == device.index && *s == p.seq);
                assert_eq!(count, usize::from(accepted), "note {note_id} on {order_id}");
            }
        }
        // Numbers unique; every create that was accepted kept its order.
        let mut numbers = BTreeSet::new();
        for order in server_orders.values() {
            assert!(
                numbers.insert(order.number.key()),
                "number {} twice",
                order.number
            );
        }
        for device in &self.devices {
            for p in &sent[&device.index] {
                if let Mutation::CreateOrder { order_id, .. } = &p.mutation {
                    let accepted = self
                        .server
                        .accepted
                        .iter()
                        .any(|(d, s, _, _)| *d == device.index && *s == p.seq);
                    assert_eq!(server_orders.contains_key(order_id), accepted);
                }
            }
        }
    }
}

fn simulate(ops: &[Op]) {
    let mut world = World::new();
    // Everything each device ever queued, to check rejections against.
    let mut sent: HashMap<usize, Vec<PendingMutation>> = HashMap::new();
    let record = |world: &World, sent: &mut HashMap<usize, Vec<PendingMutation>>| {
        for device in &world.devices {
            let list = sent.entry(device.index).or_default();
            for p in &device.pending {
                if !list.iter().any(|q| q.seq == p.seq) {
                    list.push(p.clone());
                }
            }
        }
    };
    for op in ops {
        world.run(op);
        record(&world, &mut sent);
    }
    world.settle();
    world.check(&sent);
    CASES_RUN.fetch_add(1, Ordering::Relaxed);
}

/// One test that runs the cases itself (rather than `proptest!`) so it can print what ran, pass
/// or fail. The summary goes straight to stderr, which libtest does not capture, so it shows in a
/// normal `cargo test` run too.
#[test]
fn simulated_devices_converge_on_the_server() {
    use proptest::test_runner::{Config, TestRunner};
    use std::io::Write;

    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(op(6), 1..80), |ops| {
        simulate(&ops);
        Ok(())
    });
    let summary = format!(
        "sync model: {} cases passed in {:.1} s ({} mutations decided, {} rejections delivered, {} orders renumbered)",
        CASES_RUN.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
        MUTATIONS_DECIDED.load(Ordering::Relaxed),
        REJECTIONS_SEEN.load(Ordering::Relaxed),
        RENUMBERED.load(Ordering::Relaxed),
    );
    let _ = writeln!(std::io::stderr(), "{summary}");
    if let Err(failure) = result {
        panic!("{failure}");
    }
    assert_eq!(CASES_RUN.load(Ordering::Relaxed), CASES as usize);
}
