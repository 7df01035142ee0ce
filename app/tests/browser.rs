//! The app's components in a real browser (headless Chromium through wasm-bindgen-test-runner):
//! what a person sees on the board and on 今天 (with the navigation badge), the language
//! switch, what customers said (the card's markers, the order page's feedback section), and
//! 分析's bottleneck list.

use app::{
    api::User,
    components::{
        bottom_nav::BottomNav,
        customer_feedback::CustomerFeedback,
        order_card::OrderCard,
        share_panel::{base64, qr_image_src},
    },
    desk::analytics::AnalyticsPage,
    locale::LanguageProvider,
    routes::{board::BoardPage, today::TodayPage},
    state::{provide_app_state, AppState, Session},
    storage::{Storage, DB_NAME},
};
use chrono::{Duration, TimeZone, Utc};
use domain::{
    apply, business_date, demo_orders, Actor, AfterSalesKind, Card, Context, Customer,
    DeadlineState, LineItem, Money, Mutation, Order, Pipeline, Role,
};
use leptos::prelude::*;
use leptos_router::components::Router;
use std::sync::{Arc, Mutex};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlDocument, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Every test starts as a first-time user: no saved language.
fn forget_language_choice() {
    let document: HtmlDocument = document().unchecked_into();
    document
        .set_cookie("i18n_pref_locale=; path=/; max-age=0")
        .unwrap();
}

fn fresh_container() -> HtmlElement {
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    container
}

fn texts(container: &HtmlElement, selector: &str) -> Vec<String> {
    let nodes = container.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|index| {
            nodes
                .item(index)
                .unwrap()
                .text_content()
                .unwrap_or_default()
        })
        .collect()
}

/// Lets the browser run pending work (effects, fetches) before looking again.
async fn next_turn() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits for a condition the UI must reach, failing after ~5 s instead of hanging.
async fn eventually(mut condition: impl FnMut() -> bool, what: &str) {
    for _ in 0..250 {
        if condition() {
            return;
        }
        next_turn().await;
    }
    panic!(
        "never happened: {what}; page text: {}",
        document()
            .body()
            .unwrap()
            .text_content()
            .unwrap_or_default()
    );
}

/// The board with the app's state (this device's IndexedDB), as the app mounts it.
#[component]
fn BoardWithState() -> impl IntoView {
    provide_app_state();
    view! {
        <Router>
            <BoardPage />
        </Router>
    }
}

fn mount_board(container: &HtmlElement) -> leptos::mount::UnmountHandle<impl Mountable> {
    leptos::mount::mount_to(container.clone(), || {
        view! {
            <LanguageProvider>
                <BoardWithState />
            </LanguageProvider>
        }
    })
}

#[wasm_bindgen_test]
async fn the_board_has_a_tab_per_pipeline_stage_in_chinese_for_a_new_user() {
    forget_language_choice();
    let container = fresh_container();
    let _mounted = mount_board(&container);
    assert_eq!(
        texts(&container, ".stage-tab .stage-name"),
        [
            "需求确认",
            "合同签订",
            "下单处理",
            "生产/采购",
            "发货发票",
            "售后服务",
            "已结束"
        ]
    );
    assert_eq!(texts(&container, "h1"), ["订单看板"]);
}

#[wasm_bindgen_test]
async fn a_device_without_orders_explains_where_new_orders_go() {
    forget_language_choice();
    let container = fresh_container();
    let _mounted = mount_board(&container);
    eventually(
        || {
            container
                .query_selector("[data-testid=empty-board]")
                .unwrap()
                .is_some()
        },
        "the empty-board guidance once local storage has opened",
    )
    .await;
    let text = texts(&container, "[data-testid=empty-board]").join("");
    assert!(text.contains("没有网络也能用"), "guidance was: {text}");
    assert!(texts(&container, "[data-testid=stage-count]")
        .iter()
        .all(|count| count == "0"));
}

#[wasm_bindgen_test]
async fn a_user_who_chose_english_before_sees_english_stage_names() {
    // The choice is what the settings page stores; switching by tapping is covered end to end.
    let document: HtmlDocument = document().unchecked_into();
    document.set_cookie("i18n_pref_locale=en; path=/").unwrap();
    let container = fresh_container();
    let _mounted = mount_board(&container);
    assert_eq!(texts(&container, "h1"), ["Order board"]);
    assert_eq!(
        texts(&container, ".stage-tab .stage-name"),
        [
            "Requirement confirmation",
            "Contract signing",
            "Order entry",
            "Production / procurement",
            "Shipping & invoice",
            "After-sales service",
            "Closed"
        ]
    );
    forget_language_choice();
}

// ---- 今天 ----

fn wangfang() -> Actor {
    Actor::new("u-wangfang", "王芳", vec![Role::Sales])
}

/// A real order made by `domain::apply`: created `days_ago`, optionally with an explicit due
/// date `due_in` days from today (business dates, as the app computes them).
fn order(serial: u128, number: &str, days_ago: i64, due_in: Option<i64>) -> Order {
    let pipeline = Pipeline::standard();
    let actor = wangfang();
    let created = Utc::now() - Duration::days(days_ago);
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor: &actor,
        now: created,
    };
    let create = Mutation::CreateOrder {
        order_id: Uuid::from_u128(serial),
        number: Some(number.into()),
        customer: Customer {
            company: format!("客户{serial}有限公司"),
            contact: "周建国".into(),
            phone: "13857101234".into(),
            email: None,
            address: None,
        },
        items: vec![LineItem {
            product: "精梳棉纱 32S".into(),
            quantity: domain::Quantity::units(10),
            unit: String::new(),
            unit_price: Money::from_yuan_fen(23, 50),
        }],
        expected_delivery: None,
        owner: None,
        note: None,
        note_id: None,
    };
    let mut order = apply(&ctx, None, &create).unwrap().order;
    if let Some(days) = due_in {
        let due = Mutation::SetDueDate {
            order_id: order.id,
            stage: order.stage.clone(),
            due: Some(business_date(Utc::now()) + Duration::days(days)),
        };
        order = apply(&ctx, Some(&order), &due).unwrap().order;
    }
    order
}

fn signed_in_as_wangfang() -> Session {
    Session {
        token: "test-token".into(),
        expires_at: Utc::now() + Duration::days(30),
        user: User {
            id: "u-wangfang".into(),
            name: "王芳".into(),
            login: "13857123456".into(),
            roles: vec![Role::Sales],
            active: true,
            work_phone: None,
            created_at: String::new(),
            updated_at: String::new(),
        },
        must_change_password: false,
    }
}

/// 今天 and the navigation, with the app's state, as the team shell mounts them.
#[component]
fn TodayWithState(state_out: Arc<Mutex<Option<AppState>>>) -> impl IntoView {
    *state_out.lock().unwrap() = Some(provide_app_state());
    view! {
        <Router>
            <TodayPage />
            <BottomNav />
        </Router>
    }
}

/// Mounts 今天 and, once the device's storage has loaded (which would replace them), puts
/// `cards` on the device's board and signs 王芳 in.
async fn mount_today(
    container: &HtmlElement,
    cards: Vec<Card>,
) -> leptos::mount::UnmountHandle<impl Mountable> {
    let slot = Arc::new(Mutex::new(None));
    let state_out = slot.clone();
    let mounted = leptos::mount::mount_to(container.clone(), move || {
        let state_out = state_out.clone();
        view! {
            <LanguageProvider>
                <TodayWithState state_out />
            </LanguageProvider>
        }
    });
    let state = slot.lock().unwrap().expect("state provided");
    eventually(|| state.status.get_untracked().is_some(), "storage opened").await;
    state
        .cards
        .set(cards.into_iter().map(|card| (card.id, card)).collect());
    state.session.set(Some(signed_in_as_wangfang()));
    mounted
}

// ---- what customers said ---------------------------------------------------------------------

/// Demo order GD-DEMO-010 (in 售后服务) after its customer rated it 4 stars and filed two
/// after-sales requests, the first of which the service desk has resolved.
fn order_with_feedback() -> Order {
    let pipeline = Pipeline::standard();
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let order = demo_orders(&pipeline, now)
        .into_iter()
        .find(|order| order.number.as_str() == "GD-DEMO-010")
        .unwrap();
    let customer = Actor::customer("郭磊");
    let service = Actor::new("u-zhaomin", "赵敏", vec![Role::Service]);
    let step = |order: Order, actor: &Actor, minutes: i64, mutation: Mutation| {
        let ctx = Context {
            processes: &domain::Processes::single(pipeline.clone()),
            actor,
            now: now + chrono::Duration::minutes(minutes),
        };
        apply(&ctx, Some(&order), &mutation).unwrap().order
    };
    let id = order.id;
    let order = step(
        order,
        &customer,
        1,
        Mutation::RateOrder {
            order_id: id,
            stars: 4,
            comment: "<b>很好</b>".into(),
        },
    );
    let order = step(
        order,
        &customer,
        2,
        Mutation::RequestAfterSales {
            order_id: id,
            request_id: Uuid::from_u128(1),
            kind: AfterSalesKind::Installation,
            description: "门禁终端安装后无法联网".into(),
            contact: "郭磊 13701112233".into(),
        },
    );
    let order = step(
        order,
        &service,
        3,
        Mutation::ResolveAfterSales {
            order_id: id,
            request_id: Uuid::from_u128(1),
            note: "已远程重置".into(),
        },
    );
    step(
        order,
        &customer,
        4,
        Mutation::RequestAfterSales {
            order_id: id,
            request_id: Uuid::from_u128(2),
            kind: AfterSalesKind::Quality,
            description: "<script>alert(1)</script>外壳有裂纹".into(),
            contact: "郭先生".into(),
        },
    )
}

fn attribute(container: &HtmlElement, selector: &str, name: &str) -> Option<String> {
    container
        .query_selector(selector)
        .unwrap()
        .and_then(|element| element.get_attribute(name))
}

#[wasm_bindgen_test]
async fn today_lists_overdue_due_today_and_this_week_and_the_tab_counts_what_is_urgent() {
    forget_language_choice();
    let pipeline = Pipeline::standard();
    let late = order(1, "GD-T-001", 20, None);
    let today = order(2, "GD-T-002", 1, Some(0));
    let soon = order(3, "GD-T-003", 0, Some(3));
    let later = order(4, "GD-T-004", 0, Some(20));
    let cards: Vec<Card> = [&late, &today, &soon, &later]
        .into_iter()
        .map(|o| Card::from_order(o, &pipeline))
        .collect();
    let days_late = match cards[0].deadline_state(business_date(Utc::now())) {
        DeadlineState::Overdue { days } => days,
        other => panic!("the 20-day-old order is overdue, not {other:?}"),
    };
    let container = fresh_container();
    let _mounted = mount_today(&container, cards).await;
    eventually(
        || texts(&container, "[data-testid=today-row]").len() == 3,
        "three rows on 今天",
    )
    .await;

    assert_eq!(
        texts(&container, ".today-head"),
        ["已逾期1", "今天到期1", "本周到期1"]
    );
    let rows = |section: &str| {
        let nodes = container
            .query_selector_all(&format!(
                "[data-testid=today-{section}] [data-testid=today-row]"
            ))
            .unwrap();
        (0..nodes.length())
            .map(|i| {
                let row: web_sys::Element = nodes.item(i).unwrap().unchecked_into();
                row.get_attribute("data-number").unwrap()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(rows("overdue"), ["GD-T-001"]);
    assert_eq!(rows("due-today"), ["GD-T-002"]);
    assert_eq!(
        rows("this-week"),
        ["GD-T-003"],
        "due in 20 days is not listed"
    );
    assert_eq!(
        texts(&container, "[data-testid=today-reason]"),
        [
            format!("逾期 {days_late} 天"),
            "今天到期".to_string(),
            format!(
                "{} 到期",
                app::format::date(
                    business_date(Utc::now()) + Duration::days(3),
                    domain::Lang::Zh
                )
            ),
        ]
    );
    // Each row opens its order.
    assert_eq!(
        attribute(&container, "[data-testid=today-row] a", "href"),
        Some(format!("/orders/{}", late.id))
    );
    // The badge: overdue + due today; this week is not urgent yet.
    assert_eq!(texts(&container, "[data-testid=today-badge]"), ["2"]);
    assert_eq!(
        attribute(&container, "[data-testid=nav-today]", "aria-label"),
        Some("今天，2 项待处理".to_string())
    );
    assert!(container
        .query_selector("[data-testid=today-empty]")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn today_with_nothing_to_do_says_so_and_the_tab_has_no_badge() {
    forget_language_choice();
    let pipeline = Pipeline::standard();
    let later = Card::from_order(&order(5, "GD-T-005", 0, Some(20)), &pipeline);
    let container = fresh_container();
    let _mounted = mount_today(&container, vec![later]).await;
    eventually(
        || {
            container
                .query_selector("[data-testid=today-empty]")
                .unwrap()
                .is_some()
        },
        "the empty state",
    )
    .await;
    let text = texts(&container, "[data-testid=today-empty]").join("");
    assert!(text.contains("今天没有需要处理的事项"), "{text}");
    assert!(texts(&container, "[data-testid=today-row]").is_empty());
    assert!(texts(&container, "[data-testid=today-badge]").is_empty());
    assert_eq!(
        attribute(&container, "[data-testid=nav-today]", "aria-label"),
        Some("今天".to_string())
    );
}

#[wasm_bindgen_test]
async fn a_card_shows_open_after_sales_requests_and_the_rating() {
    forget_language_choice();
    let order = order_with_feedback();
    let card = Card::from_order(&order, &Pipeline::standard());
    assert_eq!((card.after_sales_open, card.rating), (1, Some(4)));
    let mut quiet = card.clone();
    quiet.after_sales_open = 0;
    quiet.rating = None;
    let container = fresh_container();
    let _mounted = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <LanguageProvider>
                <Router>
                    <ul>
                        <OrderCard card=card.clone() unsynced=false />
                        <OrderCard card=quiet.clone() unsynced=false />
                    </ul>
                </Router>
            </LanguageProvider>
        }
    });
    assert_eq!(
        texts(&container, "[data-testid=after-sales-badge]"),
        ["售后 1"]
    );
    assert_eq!(
        attribute(&container, "[data-testid=after-sales-badge]", "aria-label").as_deref(),
        Some("1 个待处理售后申请")
    );
    assert_eq!(texts(&container, "[data-testid=rating-badge]"), ["★4"]);
    assert_eq!(
        attribute(&container, "[data-testid=rating-badge]", "aria-label").as_deref(),
        Some("客户评分 4 星")
    );
    assert_eq!(texts(&container, "[data-testid=order-card]").len(), 2);
}

/// The feedback section with the app's state, as someone with `roles` is signed in.
#[component]
fn FeedbackAs(order: Order, roles: Vec<Role>) -> impl IntoView {
    let state = provide_app_state();
    state.session.set(Some(Session {
        token: "test".into(),
        expires_at: Utc::now() + chrono::Duration::days(1),
        user: User {
            id: "u-sunlei".into(),
            name: "孙磊".into(),
            login: "13900000000".into(),
            roles,
            active: true,
            work_phone: None,
            created_at: String::new(),
            updated_at: String::new(),
        },
        must_change_password: false,
    }));
    view! { <CustomerFeedback order /> }
}

#[wasm_bindgen_test]
async fn the_order_page_lists_the_rating_and_requests_open_first_with_the_resolve_action() {
    forget_language_choice();
    let order = order_with_feedback();
    let container = fresh_container();
    let _mounted = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <LanguageProvider>
                <FeedbackAs order=order.clone() roles=vec![Role::Sales] />
            </LanguageProvider>
        }
    });
    assert_eq!(texts(&container, "[data-testid=rating] .stars"), ["★★★★☆"]);
    assert_eq!(
        texts(&container, "[data-testid=rating-comment]"),
        ["<b>很好</b>"]
    );
    assert!(container
        .query_selector("[data-testid=rating] b")
        .unwrap()
        .is_none());
    // The open request first, then the resolved one.
    assert_eq!(
        texts(&container, "[data-testid=request-status]"),
        ["待处理", "已处理"]
    );
    assert_eq!(
        texts(&container, "[data-testid=request-description]"),
        [
            "<script>alert(1)</script>外壳有裂纹",
            "门禁终端安装后无法联网"
        ]
    );
    assert!(container
        .query_selector("[data-testid=after-sales] script")
        .unwrap()
        .is_none());
    let requests = texts(&container, "[data-testid=after-sales-request]");
    assert!(
        requests[0].contains("质量问题") && requests[0].contains("郭先生"),
        "{}",
        requests[0]
    );
    assert!(
        requests[1].contains("安装调试") && requests[1].contains("已远程重置"),
        "{}",
        requests[1]
    );
    assert!(
        texts(&container, "[data-testid=request-resolution]")[0]
            .starts_with("赵敏 于 2026年11月26日"),
        "{:?}",
        texts(&container, "[data-testid=request-resolution]")
    );
    // Only the open request can be marked resolved (sales may).
    assert_eq!(texts(&container, "[data-testid=resolve]"), ["标记已处理"]);
}

#[wasm_bindgen_test]
async fn someone_who_may_not_resolve_requests_reads_why_instead_of_a_button() {
    forget_language_choice();
    let order = order_with_feedback();
    let container = fresh_container();
    let _mounted = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <LanguageProvider>
                <FeedbackAs order=order.clone() roles=vec![Role::Warehouse] />
            </LanguageProvider>
        }
    });
    assert_eq!(texts(&container, "[data-testid=request-status]").len(), 2);
    assert!(texts(&container, "[data-testid=resolve]").is_empty());
    assert_eq!(
        texts(&container, "[data-testid=not-allowed]"),
        ["只有订单负责人、销售、客服或管理员可以处理售后申请"]
    );
}

#[wasm_bindgen_test]
fn the_qr_code_becomes_a_base64_data_url_like_the_browser_would_encode_it() {
    let window = web_sys::window().unwrap();
    for text in [
        "",
        "f",
        "fo",
        "foo",
        "foob",
        "fooba",
        "foobar",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    ] {
        assert_eq!(
            base64(text.as_bytes()),
            window.btoa(text).unwrap(),
            "{text:?}"
        );
    }
    assert_eq!(base64("二维码".as_bytes()), "5LqM57u056CB");
    assert_eq!(qr_image_src("<svg/>"), "data:image/svg+xml;base64,PHN2Zy8+");
}

// ---- the board for each role, and a new device's first sync ------------------------------------

#[component]
fn BoardWithStateOut(state_out: Arc<Mutex<Option<AppState>>>) -> impl IntoView {
    *state_out.lock().unwrap() = Some(provide_app_state());
    view! {
        <Router>
            <BoardPage />
        </Router>
    }
}

/// Mounts the board and waits until the device's storage has opened; returns its state.
async fn mount_board_with_state(
    container: &HtmlElement,
) -> (leptos::mount::UnmountHandle<impl Mountable>, AppState) {
    let slot = Arc::new(Mutex::new(None));
    let state_out = slot.clone();
    let mounted = leptos::mount::mount_to(container.clone(), move || {
        let state_out = state_out.clone();
        view! {
            <LanguageProvider>
                <BoardWithStateOut state_out />
            </LanguageProvider>
        }
    });
    let state = slot.lock().unwrap().expect("state provided");
    eventually(|| state.status.get_untracked().is_some(), "storage opened").await;
    (mounted, state)
}

fn signed_in_with(roles: Vec<Role>) -> Session {
    let mut session = signed_in_as_wangfang();
    session.user.roles = roles;
    session
}

#[wasm_bindgen_test]
async fn the_board_offers_a_new_order_only_to_roles_that_may_create_one() {
    forget_language_choice();
    let container = fresh_container();
    let (_mounted, state) = mount_board_with_state(&container).await;
    let has_fab = || container.query_selector(".fab").unwrap().is_some();

    state
        .session
        .set(Some(signed_in_with(vec![Role::Warehouse])));
    next_turn().await;
    assert!(!has_fab(), "warehouse may not create orders: no ＋");

    state.session.set(Some(signed_in_with(vec![Role::Sales])));
    eventually(has_fab, "the ＋ for sales").await;
}

#[wasm_bindgen_test]
async fn an_empty_board_during_the_first_sync_says_orders_are_on_their_way() {
    forget_language_choice();
    let container = fresh_container();
    let (_mounted, state) = mount_board_with_state(&container).await;
    state.sync.update(|sync| sync.running = true);
    let board_text = || texts(&container, "[data-testid=empty-board]").join("");
    eventually(
        || board_text().contains("正在从服务器取回订单"),
        "the first sync named on the empty board",
    )
    .await;
    assert!(
        !board_text().contains("同步功能上线后"),
        "no stale wording: {}",
        board_text()
    );
    assert!(
        !board_text().contains("本机还没有订单"),
        "not 'no orders' while they arrive"
    );
}

// ---- 分析's bottleneck -------------------------------------------------------------------------

/// 分析 with the app's state, mounted the way the desk bundle's router does.
#[component]
fn AnalyticsWithState() -> impl IntoView {
    provide_app_state();
    view! {
        <Router>
            <AnalyticsPage />
        </Router>
    }
}

#[wasm_bindgen_test]
async fn the_bottleneck_lists_its_twenty_longest_waiting_orders_and_all_of_them_on_request() {
    forget_language_choice();
    // 30 orders waiting in 需求确认 past its SLA, created 31 to 60 days ago: the stage with the
    // longest waits, and more orders than a phone can show at once.
    let orders: Vec<Order> = (1..=30u128)
        .map(|n| order(9000 + n, &format!("GD-WAIT-{n:02}"), 30 + n as i64, None))
        .collect();
    Storage::delete_database(DB_NAME).await.expect("delete");
    Storage::open()
        .await
        .expect("open")
        .put_orders(&orders)
        .await
        .expect("put orders");
    let container = fresh_container();
    let mounted = leptos::mount::mount_to(container.clone(), || {
        view! {
            <LanguageProvider>
                <AnalyticsWithState />
            </LanguageProvider>
        }
    });
    let listed = || {
        texts(
            &container,
            "[data-testid=bottleneck] .drill-down .card-number",
        )
    };
    eventually(|| !listed().is_empty(), "the bottleneck's orders listed").await;
    // The 20 that have waited longest, oldest first; the button says how many there are.
    let expected: Vec<String> = (11..=30).rev().map(|n| format!("GD-WAIT-{n:02}")).collect();
    assert_eq!(listed(), expected);
    let button: HtmlElement = container
        .query_selector("[data-testid=bottleneck-all]")
        .unwrap()
        .expect("a 显示全部 button")
        .unchecked_into();
    assert_eq!(button.text_content().unwrap().trim(), "显示全部 30 个订单");
    button.click();
    eventually(|| listed().len() == 30, "all 30 listed").await;
    let all: Vec<String> = (1..=30).rev().map(|n| format!("GD-WAIT-{n:02}")).collect();
    assert_eq!(listed(), all);
    assert!(container
        .query_selector("[data-testid=bottleneck-all]")
        .unwrap()
        .is_none());
    let show_all_offered = || {
        container
            .query_selector("[data-testid=bottleneck-all]")
            .unwrap()
            .is_some_and(|button| button.text_content().unwrap().trim() == "显示全部 30 个订单")
    };
    let show_all = || {
        let button: HtmlElement = container
            .query_selector("[data-testid=bottleneck-all]")
            .unwrap()
            .expect("a 显示全部 button")
            .unchecked_into();
        button.click();
    };

    // Another period counts other orders: the full list closes, back to the 20 and the button.
    let chips = container.query_selector_all(".chips button").unwrap();
    let last_month: HtmlElement = (0..chips.length())
        .filter_map(|index| chips.item(index))
        .find(|chip| chip.text_content().unwrap_or_default().trim() == "上月")
        .expect("a 上月 chip")
        .unchecked_into();
    last_month.click();
    eventually(
        || listed() == expected && show_all_offered(),
        "the 20 longest waiting and 显示全部 again after the period changed",
    )
    .await;

    // So does another filter.
    show_all();
    eventually(|| listed().len() == 30, "all 30 listed again").await;
    let stage = container
        .query_selector("[data-testid=filter-stage]")
        .unwrap()
        .expect("the stage filter");
    js_sys::Reflect::set(
        &stage,
        &wasm_bindgen::JsValue::from_str("value"),
        &wasm_bindgen::JsValue::from_str(domain::stage::ids::REQUIREMENT),
    )
    .unwrap();
    stage
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    eventually(
        || listed() == expected && show_all_offered(),
        "the 20 longest waiting and 显示全部 again after the filter changed",
    )
    .await;
    drop(mounted);
    container.remove();
    Storage::delete_database(DB_NAME).await.expect("delete");
}

/// Dates and times are written field by field (no strftime): the same text as before, single-digit
/// months and days unpadded in Chinese, zero-padded ISO in English, the clock in UTC+8.
#[wasm_bindgen_test]
fn dates_and_times_read_as_people_expect_in_both_languages() {
    use app::format::{clock, date, date_time};
    use domain::Lang;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
    assert_eq!(date(day, Lang::Zh), "2026年3月7日");
    assert_eq!(date(day, Lang::En), "2026-03-07");
    // 23:05 UTC on the 6th is 07:05 on the 7th in business time.
    let at = Utc.with_ymd_and_hms(2026, 3, 6, 23, 5, 0).unwrap();
    assert_eq!(date_time(at, Lang::Zh), "2026年3月7日 07:05");
    assert_eq!(date_time(at, Lang::En), "2026-03-07 07:05");
    assert_eq!(clock(at), "07:05");
}
