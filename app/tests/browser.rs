//! The app's components in a real browser (headless Chromium through wasm-bindgen-test-runner):
//! what a person sees on the board, and the language switch.

use app::{
    i18n::I18nContextProvider, locale::default_to_chinese, routes::board::BoardPage,
    state::provide_app_state,
};
use leptos::prelude::*;
use leptos_router::components::Router;
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
            <I18nContextProvider set_lang_attr_on_html=false>
                <BoardWithState />
            </I18nContextProvider>
        }
    })
}

#[wasm_bindgen_test]
async fn the_board_has_a_tab_per_pipeline_stage_in_chinese_for_a_new_user() {
    forget_language_choice();
    default_to_chinese();
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
    default_to_chinese();
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
    default_to_chinese();
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
