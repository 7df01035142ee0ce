//! Realistic sample data for demos, screenshots and tests. Every order is built by running
//! real mutations through `apply`, so its history is exactly what production would record.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::apply::{apply, Context};
use crate::calendar::business_date;
use crate::money::Money;
use crate::mutation::Mutation;
use crate::order::{Actor, Customer, LineItem, Order, StaffRef};
use crate::pipeline::{Pipeline, StageId};
use crate::role::Role;

/// The demo team with their mobile numbers (shown to customers as the sales contact).
pub fn demo_staff() -> Vec<(Actor, &'static str)> {
    vec![
        (
            Actor::new("u-wangfang", "王芳", vec![Role::Sales]),
            "13857123456",
        ),
        (
            Actor::new("u-sunlei", "孙磊", vec![Role::Sales]),
            "13967198765",
        ),
        (
            Actor::new("u-liqiang", "李强", vec![Role::Legal]),
            "13588002211",
        ),
        (
            Actor::new("u-zhangwei", "张伟", vec![Role::Warehouse]),
            "13758114477",
        ),
        (
            Actor::new(
                "u-liuyang",
                "刘洋",
                vec![Role::Production, Role::Procurement],
            ),
            "15157136688",
        ),
        (
            Actor::new("u-chenjing", "陈静", vec![Role::Finance]),
            "13606819922",
        ),
        (
            Actor::new("u-zhaomin", "赵敏", vec![Role::Service]),
            "18768105533",
        ),
        (
            Actor::new("u-zhoujian", "周健", vec![Role::Manager]),
            "13906660088",
        ),
        (
            Actor::new("u-admin", "管理员", vec![Role::Admin]),
            "13800000000",
        ),
    ]
}

/// About a dozen orders spread over every stage, as of `now`. With an admin-edited pipeline
/// the steps that no longer fit are left out rather than failing the demo.
pub fn demo_orders(pipeline: &Pipeline, now: DateTime<Utc>) -> Vec<Order> {
    build_demo(pipeline, now).0
}

/// The orders plus a description of every step the rules refused.
pub(crate) fn build_demo(pipeline: &Pipeline, now: DateTime<Utc>) -> (Vec<Order>, Vec<String>) {
    let team = Team::new();
    let mut orders = Vec::new();
    let mut failures = Vec::new();

    // 1. Fresh requirement, one item confirmed.
    let mut o = Script::new(pipeline, now, 1);
    o.create(
        &team.wangfang,
        20,
        customer(
            "杭州明远纺织有限公司",
            "周建国",
            "13857101234",
            Some("浙江省杭州市萧山区经济技术开发区建设一路 88 号"),
        ),
        vec![item("精梳棉纱 32S", 2000, Money::from_yuan_fen(23, 50))],
        Some(21),
        Some("客户希望 12 月中旬前到货，需确认染色批次"),
    );
    o.tick(&team.wangfang, 18, "requirement", "record_needs");
    o.finish_into(&mut orders, &mut failures);

    // 2. Stuck in requirement for days: the overdue one.
    let mut o = Script::new(pipeline, now, 2);
    o.create(
        &team.sunlei,
        5 * 24 + 3,
        customer("宁波海曙进出口贸易有限公司", "林晓东", "13906742288", None),
        vec![item("涤纶长丝 150D", 3000, Money::from_yuan_fen(12, 80))],
        Some(30),
        None,
    );
    o.tick(&team.zhaomin, 4 * 24, "requirement", "record_needs");
    o.note(&team.zhaomin, 2 * 24, "客户出差中，规格要等下周一回复");
    o.finish_into(&mut orders, &mut failures);

    // 3. Contract being drafted.
    let mut o = Script::new(pipeline, now, 3);
    o.create(
        &team.wangfang,
        3 * 24 + 5,
        customer(
            "深圳华芯电子科技有限公司",
            "黄志明",
            "13823456789",
            Some("深圳市南山区科技园南区高新南七道 18 号"),
        ),
        vec![
            item("工业控制主板 V3", 200, Money::from_yuan_fen(1280, 0)),
            item("电源模块 24V", 200, Money::from_yuan_fen(86, 50)),
        ],
        Some(28),
        None,
    );
    o.finish_stage(&team.wangfang, 2 * 24 + 6, "requirement");
    o.advance(&team.wangfang, 2 * 24 + 5, "requirement", "contract", None);
    o.tick(&team.liqiang, 24, "contract", "draft_contract");
    o.finish_into(&mut orders, &mut failures);

    // 4. Rushed into contract with an unconfirmed delivery date (reason on record).
    let mut o = Script::new(pipeline, now, 4);
    o.create(
        &team.sunlei,
        40,
        customer("广州白云日化有限公司", "何丽萍", "13660231177", None),
        vec![item(
            "洗发水包装瓶 500ml",
            20000,
            Money::from_yuan_fen(1, 35),
        )],
        None,
        None,
    );
    o.tick(&team.sunlei, 39, "requirement", "record_needs");
    o.tick(&team.sunlei, 38, "requirement", "confirm_quantity_spec");
    o.advance(
        &team.sunlei,
        30,
        "requirement",
        "contract",
        Some("客户急单，交付日期待补充确认"),
    );
    o.finish_into(&mut orders, &mut failures);

    // 5. Order entry, entered in the system, stock check pending.
    let mut o = Script::new(pipeline, now, 5);
    o.create(
        &team.wangfang,
        9 * 24,
        customer(
            "苏州恒力机械制造有限公司",
            "吴建华",
            "13913578642",
            Some("江苏省苏州市吴中区木渎镇金枫南路 1258 号"),
        ),
        vec![
            item("不锈钢法兰 DN100", 300, Money::from_yuan_fen(185, 0)),
            item("不锈钢法兰 DN150", 120, Money::from_yuan_fen(298, 0)),
        ],
        Some(25),
        None,
    );
    o.finish_stage(&team.wangfang, 8 * 24, "requirement");
    o.advance(&team.wangfang, 8 * 24 - 1, "requirement", "contract", None);
    o.finish_stage(&team.liqiang, 28, "contract");
    o.advance(&team.liqiang, 27, "contract", "order_entry", None);
    o.tick(&team.zhangwei, 20, "order_entry", "enter_order");
    o.finish_into(&mut orders, &mut failures);

    // 6. In production, scheduled, with a named person for the stage.
    let mut o = Script::new(pipeline, now, 6);
    o.create(
        &team.sunlei,
        16 * 24,
        customer("东莞市鑫达塑胶制品有限公司", "邓志强", "13712889966", None),
        vec![item("注塑模具（定制）", 2, Money::from_yuan_fen(45_800, 0))],
        Some(30),
        None,
    );
    o.walk(&team, 15 * 24, 6 * 24, "requirement", "production");
    o.set_responsible(&team.liuyang, 5 * 24, "production", &team.liuyang);
    o.tick(&team.liuyang, 4 * 24, "production", "schedule_or_purchase");
    o.finish_into(&mut orders, &mut failures);

    // 7. In production with an explicit due date agreed with the customer.
    let mut o = Script::new(pipeline, now, 7);
    o.create(
        &team.wangfang,
        12 * 24,
        customer(
            "成都天府食品有限公司",
            "杨雪",
            "13541287733",
            Some("四川省成都市郫都区现代工业港北片区"),
        ),
        vec![item(
            "食品级不锈钢储罐 5 吨",
            3,
            Money::from_yuan_fen(32_600, 0),
        )],
        Some(20),
        None,
    );
    o.walk(&team, 11 * 24, 3 * 24, "requirement", "production");
    o.due(&team.wangfang, 2 * 24, "production", 12);
    o.note(&team.liuyang, 24, "储罐封头已到货，预计下周三完成焊接");
    o.finish_into(&mut orders, &mut failures);

    // 8. Shipped with SF Express, invoice still to be issued.
    let mut o = Script::new(pipeline, now, 8);
    o.create(
        &team.wangfang,
        25 * 24,
        customer("青岛海昌水产有限公司", "于海涛", "15063218899", None),
        vec![item("冷链保温箱 80L", 400, Money::from_yuan_fen(168, 0))],
        Some(3),
        None,
    );
    o.walk(&team, 24 * 24, 48, "requirement", "delivery");
    o.tick(&team.zhangwei, 30, "delivery", "pack");
    o.ship(&team.zhangwei, 26, "顺丰速运", "SF1402873365921");
    o.tick(&team.zhangwei, 25, "delivery", "ship_and_track");
    o.finish_into(&mut orders, &mut failures);

    // 9. Just arrived at shipping & invoice.
    let mut o = Script::new(pipeline, now, 9);
    o.create(
        &team.sunlei,
        22 * 24,
        customer("武汉光谷新材料有限公司", "彭亮", "18971234567", None),
        vec![item("石墨烯导热膜", 5000, Money::from_yuan_fen(42, 0))],
        Some(6),
        None,
    );
    o.walk(&team, 21 * 24, 20, "requirement", "delivery");
    o.finish_into(&mut orders, &mut failures);

    // 10. Delivered and invoiced; after-sales visit done.
    let mut o = Script::new(pipeline, now, 10);
    o.create(
        &team.wangfang,
        30 * 24,
        customer(
            "北京中关村智能设备有限公司",
            "郭磊",
            "13701112233",
            Some("北京市海淀区中关村大街 27 号"),
        ),
        vec![item("智能门禁终端 X5", 50, Money::from_yuan_fen(2199, 0))],
        Some(-5),
        None,
    );
    o.walk(&team, 29 * 24, 2 * 24, "requirement", "after_sales");
    o.tick(&team.zhaomin, 20, "after_sales", "satisfaction_visit");
    o.finish_into(&mut orders, &mut failures);

    // 11. Completed end to end.
    let mut o = Script::new(pipeline, now, 11);
    o.create(
        &team.sunlei,
        45 * 24,
        customer("上海浦江包装材料有限公司", "钱敏", "13816667788", None),
        vec![item("五层瓦楞纸箱", 10000, Money::from_yuan_fen(3, 20))],
        Some(-15),
        None,
    );
    o.walk(&team, 44 * 24, 5 * 24, "requirement", "after_sales");
    o.finish_stage(&team.zhaomin, 3 * 24, "after_sales");
    o.complete(&team.zhaomin, 3 * 24 - 1);
    o.finish_into(&mut orders, &mut failures);

    // 12. Cancelled during contract negotiation.
    let mut o = Script::new(pipeline, now, 12);
    o.create(
        &team.wangfang,
        10 * 24,
        customer("天津滨海化工有限公司", "马俊", "13602035566", None),
        vec![item(
            "工业级片碱 99%（吨）",
            40,
            Money::from_yuan_fen(3650, 0),
        )],
        Some(20),
        None,
    );
    o.finish_stage(&team.wangfang, 9 * 24, "requirement");
    o.advance(&team.wangfang, 9 * 24 - 1, "requirement", "contract", None);
    o.cancel(&team.wangfang, 4 * 24, "客户预算调整，项目暂停");
    o.finish_into(&mut orders, &mut failures);

    (orders, failures)
}

struct Team {
    wangfang: Actor,
    sunlei: Actor,
    liqiang: Actor,
    zhangwei: Actor,
    liuyang: Actor,
    chenjing: Actor,
    zhaomin: Actor,
}

impl Team {
    fn new() -> Team {
        let staff = demo_staff();
        let get = |id: &str| {
            staff
                .iter()
                .find(|(a, _)| a.user_id == id)
                .map(|(a, _)| a.clone())
                .expect("demo staff member exists")
        };
        Team {
            wangfang: get("u-wangfang"),
            sunlei: get("u-sunlei"),
            liqiang: get("u-liqiang"),
            zhangwei: get("u-zhangwei"),
            liuyang: get("u-liuyang"),
            chenjing: get("u-chenjing"),
            zhaomin: get("u-zhaomin"),
        }
    }

    /// Who does the work of each standard stage in the demo company.
    fn worker_for(&self, stage: &str) -> &Actor {
        match stage {
            "contract" => &self.liqiang,
            "order_entry" | "delivery" => &self.zhangwei,
            "production" => &self.liuyang,
            "after_sales" => &self.zhaomin,
            _ => &self.wangfang,
        }
    }
}

/// Replays one order's life, each step a given number of hours before `now`.
struct Script<'a> {
    pipeline: &'a Pipeline,
    /// `pipeline` as the only version, which the demo orders run on.
    processes: crate::process_version::Processes,
    now: DateTime<Utc>,
    id: Uuid,
    serial: u128,
    notes: u128,
    order: Option<Order>,
    failures: Vec<String>,
}

impl<'a> Script<'a> {
    fn new(pipeline: &'a Pipeline, now: DateTime<Utc>, serial: u128) -> Self {
        Script {
            pipeline,
            processes: crate::process_version::Processes::single(pipeline.clone()),
            now,
            id: Uuid::from_u128(0x6a1f_3c2e_8d4b_4e07_9c51_0000_0000_d000 + serial),
            serial,
            notes: 0,
            order: None,
            failures: Vec::new(),
        }
    }

    fn at(&self, hours_ago: i64) -> DateTime<Utc> {
        self.now - Duration::hours(hours_ago)
    }

    fn run(&mut self, actor: &Actor, hours_ago: i64, mutation: Mutation) {
        let ctx = Context {
            processes: &self.processes,
            actor,
            now: self.at(hours_ago),
        };
        match apply(&ctx, self.order.as_ref(), &mutation) {
            Ok(applied) => self.order = Some(applied.order),
            Err(e) => self
                .failures
                .push(format!("order {} {}: {e}", self.serial, mutation.kind())),
        }
    }

    fn next_note_id(&mut self) -> Uuid {
        self.notes += 1;
        Uuid::from_u128(0x0b7e_5d1a_2c3f_4a88_b6e9_0000_0000_0000 + (self.serial << 8) + self.notes)
    }

    fn date_in(&self, days: i64) -> NaiveDate {
        business_date(self.now) + Duration::days(days)
    }

    fn create(
        &mut self,
        actor: &Actor,
        hours_ago: i64,
        customer: Customer,
        items: Vec<LineItem>,
        delivery_in_days: Option<i64>,
        note: Option<&str>,
    ) {
        let note_id = note.map(|_| self.next_note_id());
        let m = Mutation::CreateOrder {
            order_id: self.id,
            // Fixed numbers, so the README and the tests can say "look up GD-DEMO-001".
            number: Some(format!("GD-DEMO-{:03}", self.serial)),
            customer,
            items,
            expected_delivery: delivery_in_days.map(|d| self.date_in(d)),
            owner: None,
            note: note.map(str::to_string),
            note_id,
        };
        self.run(actor, hours_ago, m);
    }

    fn tick(&mut self, actor: &Actor, hours_ago: i64, stage: &str, item: &str) {
        let m = Mutation::SetChecklistItem {
            order_id: self.id,
            stage: StageId::new(stage),
            item: item.to_string(),
            done: true,
        };
        self.run(actor, hours_ago, m);
    }

    fn finish_stage(&mut self, actor: &Actor, hours_ago: i64, stage: &str) {
        let items: Vec<String> = self
            .pipeline
            .stage(&StageId::new(stage))
            .map(|s| s.checklist.iter().map(|i| i.id.clone()).collect())
            .unwrap_or_default();
        for item in items {
            self.tick(actor, hours_ago, stage, &item);
        }
    }

    fn advance(
        &mut self,
        actor: &Actor,
        hours_ago: i64,
        from: &str,
        to: &str,
        reason: Option<&str>,
    ) {
        let m = Mutation::AdvanceStage {
            order_id: self.id,
            from: StageId::new(from),
            to: StageId::new(to),
            reason: reason.map(str::to_string),
        };
        self.run(actor, hours_ago, m);
    }

    /// Takes the order stage by stage from `from` to `to`, each department finishing its
    /// checklist; the steps are spread evenly so that `to` is entered `end_hours_ago`.
    fn walk(
        &mut self,
        team: &Team,
        start_hours_ago: i64,
        end_hours_ago: i64,
        from: &str,
        to: &str,
    ) {
        let ids: Vec<String> = self
            .pipeline
            .stages
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        let (Some(a), Some(b)) = (
            ids.iter().position(|s| s == from),
            ids.iter().position(|s| s == to),
        ) else {
            return;
        };
        let stages = (b.saturating_sub(a)).max(1) as i64;
        let step = (start_hours_ago - end_hours_ago) / stages;
        for (n, i) in (a..b).enumerate() {
            let hours = end_hours_ago + 1 + step * (stages - 1 - n as i64);
            let stage = ids[i].clone();
            let worker = team.worker_for(&stage).clone();
            self.finish_stage(&worker, hours, &stage);
            if stage == "delivery" {
                if self.order.as_ref().is_some_and(|o| o.shipment.is_none()) {
                    let tracking = format!("JDVA2701336{:04}", 5800 + self.serial);
                    self.ship(&worker, hours, "京东物流", &tracking);
                }
                let invoice_no = format!("0442{:04}", 3100 + self.serial);
                let date = business_date(self.at(hours));
                let m = Mutation::RecordInvoice {
                    order_id: self.id,
                    number: invoice_no,
                    date,
                };
                self.run(&team.chenjing.clone(), hours, m);
            }
            let leaver = if stage == "delivery" {
                team.chenjing.clone()
            } else {
                worker
            };
            self.advance(&leaver, hours - 1, &stage, &ids[i + 1], None);
        }
    }

    fn ship(&mut self, actor: &Actor, hours_ago: i64, carrier: &str, tracking_no: &str) {
        let m = Mutation::RecordShipment {
            order_id: self.id,
            carrier: carrier.to_string(),
            tracking_no: tracking_no.to_string(),
        };
        self.run(actor, hours_ago, m);
    }

    fn note(&mut self, actor: &Actor, hours_ago: i64, text: &str) {
        let m = Mutation::AddNote {
            order_id: self.id,
            note_id: self.next_note_id(),
            text: text.to_string(),
        };
        self.run(actor, hours_ago, m);
    }

    fn due(&mut self, actor: &Actor, hours_ago: i64, stage: &str, in_days: i64) {
        let m = Mutation::SetDueDate {
            order_id: self.id,
            stage: StageId::new(stage),
            due: Some(self.date_in(in_days)),
        };
        self.run(actor, hours_ago, m);
    }

    fn set_responsible(&mut self, actor: &Actor, hours_ago: i64, stage: &str, who: &Actor) {
        let m = Mutation::SetStageResponsible {
            order_id: self.id,
            stage: StageId::new(stage),
            responsible: StaffRef::new(who.user_id.clone(), who.name.clone()),
        };
        self.run(actor, hours_ago, m);
    }

    fn complete(&mut self, actor: &Actor, hours_ago: i64) {
        let m = Mutation::Complete {
            order_id: self.id,
            reason: None,
        };
        self.run(actor, hours_ago, m);
    }

    fn cancel(&mut self, actor: &Actor, hours_ago: i64, reason: &str) {
        let m = Mutation::Cancel {
            order_id: self.id,
            reason: reason.to_string(),
        };
        self.run(actor, hours_ago, m);
    }

    fn finish_into(self, orders: &mut Vec<Order>, failures: &mut Vec<String>) {
        orders.extend(self.order);
        failures.extend(self.failures);
    }
}

fn customer(company: &str, contact: &str, phone: &str, address: Option<&str>) -> Customer {
    Customer {
        company: company.to_string(),
        contact: contact.to_string(),
        phone: phone.to_string(),
        email: None,
        address: address.map(str::to_string),
    }
}

fn item(product: &str, quantity: u32, unit_price: Money) -> LineItem {
    LineItem {
        product: product.to_string(),
        quantity: crate::quantity::Quantity::units(quantity),
        unit: String::new(),
        unit_price,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_demo_step_is_accepted_by_the_rules() {
        for hour in [0, 7, 16, 23] {
            let now = Utc.with_ymd_and_hms(2026, 11, 26, hour, 30, 0).unwrap();
            let (orders, failures) = build_demo(&Pipeline::standard(), now);
            assert_eq!(failures, Vec::<String>::new());
            assert_eq!(orders.len(), 12);
        }
    }

    #[test]
    fn a_demo_on_a_pipeline_without_the_standard_stages_degrades_instead_of_panicking() {
        let mut pipeline = Pipeline::standard();
        pipeline.stages.truncate(2);
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let (orders, failures) = build_demo(&pipeline, now);
        assert_eq!(orders.len(), 12);
        assert!(!failures.is_empty());
    }
}
