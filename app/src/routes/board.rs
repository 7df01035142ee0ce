//! `/`: the follow-up board, built from this device's IndexedDB, so it works with no network.
//! Phones get stage tabs with counts and one list; wide screens get all columns side by side.
//! It reads only the orders' cards (`AppState::cards`), never full orders, and each column
//! renders a page of cards at a time, so thousands of orders stay fast.

use domain::{columns, Action, BoardFilter, Card};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::pull_to_refresh::PullToRefresh;
use crate::components::rejections::{Rejections, WaitingChange};
use crate::{
    api, components::order_card::OrderCard, format, i18n::*, locale::current_lang,
    network::use_online, screen::use_wide_screen, state::use_app_state,
};

const PAGE: usize = 40;
/// Index of the "closed" (completed / cancelled) tab, after the stages.
const CLOSED: usize = usize::MAX;

#[derive(Clone, PartialEq)]
struct ColumnView {
    key: usize,
    count: usize,
    cards: Vec<Card>,
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    // Kept in the app's state: back from an order, the board is as the person left it.
    let filter = state.board_filter;
    let selected = state.board_tab;
    let limit = RwSignal::new(PAGE);
    Effect::new(move |_| {
        filter.track();
        limit.set(PAGE);
    });

    let board = Memo::new(move |_| {
        let me = state.session.with(|session| {
            session
                .as_ref()
                .map(|session| session.user.id.clone())
                .unwrap_or_default()
        });
        let limit = limit.get();
        filter.with(|filter| {
            state.cards.with(|cards| {
                state.with_board_pipeline(|pipeline, current_stages| {
                    let grouped = columns(cards.values(), filter, &me, pipeline, format::today());
                    let page = |column: &Vec<&Card>| {
                        column
                            .iter()
                            .take(limit)
                            .map(|card| (*card).clone())
                            .collect()
                    };
                    let mut views: Vec<ColumnView> = grouped
                        .stages
                        .iter()
                        .enumerate()
                        // A stage the process no longer has is shown while orders sit in it.
                        .filter(|(key, column)| *key < current_stages || !column.is_empty())
                        .map(|(key, column)| ColumnView {
                            key,
                            count: column.len(),
                            cards: page(column),
                        })
                        .collect();
                    views.push(ColumnView {
                        key: CLOSED,
                        count: grouped.closed.len(),
                        cards: page(&grouped.closed),
                    });
                    views
                })
            })
        })
    });
    let active_total = move || {
        board.with(|columns| {
            columns
                .iter()
                .filter(|c| c.key != CLOSED)
                .map(|c| c.count)
                .sum::<usize>()
        })
    };
    // A phone shows one column (the selected tab): only that one gets its cards built, which
    // is most of the board's first render. Wide screens show and build every column.
    let wide = use_wide_screen();
    let on_screen = move |key: usize| wide.get() || selected.get() == key;
    let column_name = move |key: usize| {
        if key == CLOSED {
            t_string!(i18n, board_closed).to_string()
        } else {
            state.with_board_pipeline(|pipeline, _| {
                pipeline.stages[key]
                    .name
                    .get(current_lang(i18n))
                    .to_string()
            })
        }
    };

    view! {
        <PullToRefresh>
        <section class="page board">
            <div class="page-head">
                <h1>{t!(i18n, board_title)}</h1>
                <span class="total-chip" data-testid="total-active">
                    {move || {
                        let count = active_total();
                        t_string!(i18n, board_active_total, count).to_string()
                    }}
                </span>
                // The desk bundle's screen: a plain link loads its page (crate::bundle).
                <a class="button analytics-link" href="/desk/analytics" data-testid="analytics-link">
                    {t!(i18n, analytics_link)}
                </a>
            </div>
            <StorageStatus />
            <WaitingChange />
            <Rejections />
            <BoardFilters filter />
            <div class="stage-tabs" role="tablist">
                {move || {
                    board
                        .get()
                        .into_iter()
                        .map(|column| {
                            let key = column.key;
                            view! {
                                <button
                                    type="button"
                                    role="tab"
                                    class="stage-tab"
                                    aria-selected=move || (selected.get() == key).to_string()
                                    on:click=move |_| selected.set(key)
                                >
                                    <span class="stage-name">{column_name(key)}</span>
                                    <span class="stage-count" data-testid="stage-count">{column.count}</span>
                                </button>
                            }
                        })
                        .collect_view()
                }}
            </div>
            <EmptyBoardHint />
            <div class="board-columns">
                {move || {
                    board
                        .get()
                        .into_iter()
                        .map(|column| {
                            let key = column.key;
                            let remaining = column.count.saturating_sub(column.cards.len());
                            let unsynced = state.unsynced;
                            let cards = column.cards;
                            view! {
                                <section
                                    class="board-column"
                                    class:selected=move || selected.get() == key
                                    class:closed-column=key == CLOSED
                                    data-column=key.to_string()
                                >
                                    <h2 class="column-head">
                                        {column_name(key)}
                                        <span class="column-count">{column.count}</span>
                                    </h2>
                                    <ul class="card-list">
                                        {move || {
                                            on_screen(key)
                                                .then(|| {
                                                    cards
                                                        .iter()
                                                        .map(|card| {
                                                            let is_unsynced = unsynced.with_untracked(|ids| ids.contains(&card.id));
                                                            view! { <OrderCard card=card.clone() unsynced=is_unsynced /> }
                                                        })
                                                        .collect_view()
                                                })
                                        }}
                                    </ul>
                                    {(column.count == 0)
                                        .then(|| view! {
                                            <p class="hint column-empty">{t!(i18n, board_empty_stage)}</p>
                                            // Only under the one tab a phone shows: wide screens show every column.
                                            <Show when=move || !wide.get() && selected.get() == key>
                                                <MatchesElsewhere board selected key column_name filter />
                                            </Show>
                                        })}
                                    {(remaining > 0)
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="secondary show-more"
                                                    on:click=move |_| limit.update(|limit| *limit += PAGE)
                                                >
                                                    {move || t_string!(i18n, board_show_more, count = remaining).to_string()}
                                                </button>
                                            }
                                        })}
                                </section>
                            }
                        })
                        .collect_view()
                }}
            </div>
            // Only for those who may create orders: anyone else would reach a page saying they may not.
            <Show when=move || state.may(None, Action::CreateOrder)>
                <A href="/orders/new" attr:class="fab" attr:data-testid="new-order-fab" attr:aria-label=move || t_string!(i18n, new_order_title).to_string()>
                    "＋"
                </A>
            </Show>
        </section>
        </PullToRefresh>
    }
}

/// The other tabs that hold matches, by count: a search finds orders in every stage, and a
/// person looking at an empty tab must see where they are.
fn tabs_with_matches(columns: &[ColumnView], except: usize) -> Vec<(usize, usize)> {
    columns
        .iter()
        .filter(|column| column.key != except && column.count > 0)
        .map(|column| (column.key, column.count))
        .collect()
}

/// Under an empty tab while searching or filtering: "found in 生产/采购 (2)", a tap away.
#[component]
fn MatchesElsewhere(
    board: Memo<Vec<ColumnView>>,
    selected: RwSignal<usize>,
    key: usize,
    column_name: impl Fn(usize) -> String + Copy + Send + Sync + 'static,
    filter: RwSignal<BoardFilter>,
) -> impl IntoView {
    let i18n = use_i18n();
    let narrowed = move || filter.with(|f| *f != BoardFilter::default());
    move || {
        let elsewhere = board.with(|columns| tabs_with_matches(columns, key));
        (narrowed() && !elsewhere.is_empty()).then(|| {
            view! {
                <div class="matches-elsewhere" data-testid="matches-elsewhere">
                    <p class="hint">{t!(i18n, board_found_elsewhere)}</p>
                    {elsewhere
                        .into_iter()
                        .map(|(other, count)| {
                            let label = format!("{} {count}", column_name(other));
                            view! {
                                <button type="button" class="chip" on:click=move |_| selected.set(other)>
                                    {label}
                                </button>
                            }
                        })
                        .collect_view()}
                </div>
            }
        })
    }
}

#[component]
fn BoardFilters(filter: RwSignal<BoardFilter>) -> impl IntoView {
    let i18n = use_i18n();
    let chip = move |label: String, get: fn(&BoardFilter) -> bool, toggle: fn(&mut BoardFilter)| {
        view! {
            <button
                type="button"
                class="chip"
                aria-pressed=move || filter.with(get).to_string()
                on:click=move |_| filter.update(toggle)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="board-filters">
            <input
                type="search"
                class="search"
                aria-label=move || t_string!(i18n, board_search_placeholder).to_string()
                placeholder=move || t_string!(i18n, board_search_placeholder).to_string()
                prop:value=move || filter.with(|f| f.query.clone())
                on:input=move |event| {
                    let query = event_target_value(&event);
                    filter.update(|f| f.query = query);
                }
            />
            <OwnerSelect filter />
            <div class="chips">
                {move || chip(t_string!(i18n, filter_mine).to_string(), |f| f.mine, |f| f.mine = !f.mine)}
                {move || chip(t_string!(i18n, filter_overdue).to_string(), |f| f.overdue, |f| f.overdue = !f.overdue)}
                {move || {
                    chip(
                        t_string!(i18n, filter_this_week).to_string(),
                        |f| f.due_this_week,
                        |f| f.due_this_week = !f.due_this_week,
                    )
                }}
                {move || {
                    chip(
                        t_string!(i18n, filter_after_sales).to_string(),
                        |f| f.after_sales_open,
                        |f| f.after_sales_open = !f.after_sales_open,
                    )
                }}
                // The export takes the same filter (a plain link into the desk page).
                {move || filter.with(BoardFilter::is_active).then(|| view! {
                    <a
                        class="chip"
                        data-testid="export-filtered-link"
                        href=move || format!("/desk/import?{}", filter.with(BoardFilter::to_query))
                    >
                        {t!(i18n, board_export_filtered)}
                    </a>
                })}
            </div>
        </div>
    }
}

/// Storage problems are shown in plain language; nothing fails silently.
#[component]
fn StorageStatus() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    move || match state.status.get() {
        None => Some(view! { <p class="hint">{t!(i18n, storage_loading)}</p> }.into_any()),
        Some(Err(error)) => {
            let message = error.message(current_lang(i18n));
            Some(view! { <p class="notice notice-warn" role="alert">{message}</p> }.into_any())
        }
        Some(Ok(())) => None,
    }
}

/// A device with no orders yet says what to do, and how many orders the server holds.
#[component]
fn EmptyBoardHint() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let empty = move || state.is_ready() && state.cards.with(|cards| cards.is_empty());
    let server = LocalResource::new(move || {
        let token = state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
            .filter(|_| empty() && online.get());
        async move {
            match token {
                Some(token) => api::board_summary(&token).await.ok(),
                None => None,
            }
        }
    });
    let may_create = move || state.may(None, Action::CreateOrder);
    move || {
        empty().then(|| {
            let server_total = server.get().flatten().map(|summary| summary.total_active).filter(|n| *n > 0);
            // The first sync of a new device can take a while: say that orders are on their way
            // rather than that there are none.
            let syncing = state.sync.with(|sync| sync.running);
            view! {
                <div class="empty-board" data-testid="empty-board">
                    {if syncing {
                        view! { <p role="status">{t!(i18n, board_syncing_first)}</p> }.into_any()
                    } else {
                        view! { <p>{t!(i18n, board_empty_device)}</p> }.into_any()
                    }}
                    {server_total
                        .map(|count| {
                            view! {
                                <p class="hint" data-testid="server-total">
                                    {t_string!(i18n, board_server_has, count).to_string()}
                                </p>
                            }
                        })}
                    <Show when=may_create>
                        <A href="/orders/new" attr:class="button primary">{t!(i18n, new_order_title)}</A>
                    </Show>
                </div>
            }
        })
    }
}

/// Filter by owner: everyone who owns an order on this device.
#[component]
fn OwnerSelect(filter: RwSignal<BoardFilter>) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let owners = Memo::new(move |_| {
        let mut owners: Vec<(String, String)> = state.cards.with(|cards| {
            cards
                .values()
                .map(|card| (card.owner_id.clone(), card.owner_name.clone()))
                .collect()
        });
        domain::sorting::sort(&mut owners);
        owners.dedup_by(|a, b| a.0 == b.0);
        owners
    });
    view! {
        <select
            class="owner-select"
            aria-label=move || t_string!(i18n, filter_all_owners).to_string()
            on:change=move |event| {
                let value = event_target_value(&event);
                filter.update(|f| f.owner = (!value.is_empty()).then_some(value));
            }
        >
            <option value="">{t!(i18n, filter_all_owners)}</option>
            {move || {
                owners
                    .get()
                    .into_iter()
                    .map(|(id, name)| {
                        let selected = filter.with(|f| f.owner.as_deref() == Some(id.as_str()));
                        view! { <option value=id selected=selected>{name}</option> }
                    })
                    .collect_view()
            }}
        </select>
    }
}
