//! `/desk/analytics` (分析, 管理看板): how orders flow, where they stall, how long each stage takes
//! against its SLA, what converts — computed on the device from the orders it holds
//! (`domain::analytics`), so it opens offline and instantly. Admins and managers see the whole
//! team (or one person); everyone else sees the orders they own. Tiles, funnel rows, waiting
//! bars and heat-map cells open the orders behind them; the bottleneck lists its waiting orders.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use domain::analytics::{
    dashboard_of, orders_behind_of, own_dashboard_of, percent, Dashboard, Figure, Filter, FlowStep,
    OrderFacts, Period, Preset, Spread,
};
use domain::{Lang, Role, StageId};
use leptos::prelude::*;
use uuid::Uuid;

use super::charts::{share_of, Bar, Bars, Columns, Group, HeatGrid, HeatLine, HeatSquare};
use crate::{
    format::{self, duration},
    i18n::*,
    locale::current_lang,
    state::use_app_state,
};

fn percent_text(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_string(), |p| format!("{p}%"))
}

/// The funnel's rows, in the order they are drawn.
const FUNNEL: [Figure; 4] = [
    Figure::Started,
    Figure::ReachedContract,
    Figure::StartedAndCompleted,
    Figure::StartedAndCancelled,
];

/// The date range chosen: a preset, or the two dates typed under 自定义.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Preset(Preset),
    Custom,
}

/// What is open under a number: the orders behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opened {
    Tile(Figure),
    /// The on-time delivery tile: the late shipments, then the ones on time.
    Delivery,
    /// The cycle-time tile: the orders completed in the period.
    Cycle,
    Waiting(usize),
    Funnel(usize),
    /// Heat-map cell (owner row, stage column).
    Cell(usize, usize),
}

/// The period for `range`; a custom range missing a date, or with one that does not parse,
/// falls back to this month, and reversed dates are put in order.
pub fn period_of(range: Range, from: &str, to: &str, today: NaiveDate) -> Period {
    let parse = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    match (range, parse(from), parse(to)) {
        (Range::Preset(preset), _, _) => preset.period(today),
        (Range::Custom, Some(a), Some(b)) => Period {
            from: a.min(b),
            to: a.max(b),
        },
        (Range::Custom, _, _) => Preset::ThisMonth.period(today),
    }
}

/// The filter the screen's choices make (empty text: no narrowing). Only someone who sees the
/// whole team may pick an owner; everyone else always sees their own orders.
pub fn filter_of(
    sees_whole_team: bool,
    me: Option<String>,
    owner: &str,
    department: &str,
    stage: &str,
    company: &str,
) -> Filter {
    let text = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_string());
    Filter {
        owner: if sees_whole_team { text(owner) } else { me },
        company: text(company),
        stage: text(stage).map(|id| StageId::new(&id)),
        department: Role::parse(department.trim()),
    }
}

/// Starts reading the device's facts at once, on a connection of its own: 分析 opens while the
/// app's start-up reads everything else (the cards above all), and the two reads overlap
/// instead of the facts waiting for it. The first load takes the result (`None` inside once
/// taken; an error: read again through the app state).
fn read_facts_now() -> StoredValue<Option<FactsRead>, LocalStorage> {
    let (send, receive) = futures::channel::oneshot::channel();
    leptos::task::spawn_local(async move {
        let read = match crate::storage::Storage::open().await {
            Ok(storage) => storage.load_facts().await,
            Err(error) => Err(error),
        };
        let _ = send.send(read);
    });
    StoredValue::new_local(Some(receive))
}

type FactsRead =
    futures::channel::oneshot::Receiver<Result<Vec<OrderFacts>, crate::storage::StorageError>>;

/// How many of the bottleneck's waiting orders (the longest waiting first) show before 显示全部.
const BOTTLENECK_SHOWN: usize = 20;

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    // The bottleneck's waiting orders beyond the first few are shown on request: a stage may
    // hold thousands, and a phone can neither draw nor read that many links at once.
    let all_waiting = RwSignal::new(false);
    let range = RwSignal::new(Range::Preset(Preset::ThisMonth));
    let custom_from = RwSignal::new(String::new());
    let custom_to = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let stage = RwSignal::new(String::new());
    let company = RwSignal::new(String::new());
    // What is in the customer box while it is being typed; `company` (the filter) takes it on
    // `change`. Kept apart so a redraw never puts back an older value over unfinished text.
    let company_typed = RwSignal::new(String::new());
    let opened = RwSignal::new(None::<Opened>);
    let picked = Signal::derive(move || match opened.get() {
        Some(Opened::Waiting(index)) => Some(index),
        _ => None,
    });
    let funnel_picked = Signal::derive(move || match opened.get() {
        Some(Opened::Funnel(index)) => Some(index),
        _ => None,
    });
    // A new period or filter counts other orders: whatever was opened under the old numbers
    // (a drill-down list, the bottleneck's full list) no longer matches them, so it closes.
    let choice_changed = move || {
        opened.set(None);
        all_waiting.set(false);
    };
    let toggle = move |what: Opened| {
        opened.update(|open| {
            *open = if *open == Some(what) {
                None
            } else {
                Some(what)
            }
        })
    };
    let sees_whole_team = move || state.actor().is_some_and(|actor| actor.sees_whole_team());
    // The facts of the device's orders (what every figure needs, not the orders with their
    // history), read once storage is open (`status`) and again whenever a change or a sync
    // touches the board. `None` until storage is open: the page says it is opening the
    // device's data rather than showing a moment of zeros.
    let early = read_facts_now();
    let orders = LocalResource::new(move || {
        let ready = state.is_ready();
        state.cards.track();
        // The first load once storage is open takes what the early read brings.
        let early_read = match ready {
            true => early.try_update_value(Option::take).flatten(),
            false => None,
        };
        async move {
            if !ready {
                return None;
            }
            if let Some(read) = early_read {
                if let Ok(Ok(facts)) = read.await {
                    return Some(facts);
                }
            }
            state.load_facts().await.ok()
        }
    });
    let filter = move || {
        let me = state
            .session
            .with(|s| s.as_ref().map(|s| s.user.id.clone()));
        filter_of(
            sees_whole_team(),
            me,
            &owner.get(),
            &department.get(),
            &stage.get(),
            &company.get(),
        )
    };
    let period = move || {
        period_of(
            range.get(),
            &custom_from.get(),
            &custom_to.get(),
            format::today(),
        )
    };
    let board = Memo::new(move |_| {
        let filter = filter();
        let period = period();
        let me = state.actor().filter(|actor| !actor.sees_whole_team());
        orders.with(|loaded| {
            let orders = loaded.as_ref()?.as_ref()?;
            Some(state.with_pipeline(|pipeline| match &me {
                Some(me) => own_dashboard_of(orders, period, &filter, Utc::now(), pipeline, me),
                None => dashboard_of(orders, period, &filter, Utc::now(), pipeline),
            }))
        })
    });
    // The number and company of each listed order, found in one pass over the facts: a list
    // shows a few of ten thousand orders, so copying every name up front cost more than this.
    let names_of = move |ids: &[Uuid]| -> HashMap<Uuid, (String, String)> {
        let wanted: HashSet<Uuid> = ids.iter().copied().collect();
        orders.with(|loaded| {
            loaded
                .iter()
                .flatten()
                .flatten()
                .filter(|o| wanted.contains(&o.id))
                .map(|o| (o.id, (o.number.clone(), o.company.clone())))
                .collect()
        })
    };
    let stage_name = move |id: &StageId, lang: Lang| {
        state.with_pipeline(|p| {
            p.stage(id)
                .map_or_else(|| id.as_str().to_string(), |d| d.name.get(lang).to_string())
        })
    };
    let order_list = move |ids: Vec<Uuid>| {
        let names = names_of(&ids);
        if ids.is_empty() {
            return view! { <p class="hint" data-testid="drill-down">{t!(i18n, analytics_no_orders)}</p> }
                .into_any();
        }
        view! {
            <ul class="drill-down" data-testid="drill-down">
                {ids
                    .into_iter()
                    .map(|id| {
                        let (number, company) = names.get(&id).cloned().unwrap_or_default();
                        view! {
                            <li>
                                <a class="list-link" href=format!("/orders/{id}")>
                                    <span class="card-number">{number}</span>
                                    <span>{company}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };

    // The orders a figure counted, with the same filter and period as the number shown.
    let behind = move |figure: Figure| -> Vec<Uuid> {
        let (filter, period) = (filter(), period());
        orders.with(|loaded| {
            loaded
                .as_ref()
                .and_then(Option::as_ref)
                .map(|orders| orders_behind_of(orders, period, &filter, figure))
                .unwrap_or_default()
        })
    };
    let opened_list = move |what: Opened| -> Option<AnyView> {
        (opened.get() == Some(what)).then(|| match what {
            Opened::Tile(figure) => order_list(behind(figure)).into_any(),
            Opened::Cycle => order_list(behind(Figure::Completed)).into_any(),
            Opened::Delivery => view! {
                <h3 class="drill-heading">{t!(i18n, analytics_shipped_late)}</h3>
                {order_list(behind(Figure::Late))}
                <h3 class="drill-heading">{t!(i18n, analytics_shipped_on_time)}</h3>
                {order_list(behind(Figure::OnTime))}
            }
            .into_any(),
            _ => ().into_any(),
        })
    };

    let presets = move || {
        Preset::ALL
            .into_iter()
            .map(Range::Preset)
            .chain([Range::Custom])
            .map(|choice| {
                view! {
                    <button
                        type="button"
                        class="chip"
                        aria-pressed=move || (range.get() == choice).to_string()
                        on:click=move |_| {
                            choice_changed();
                            range.set(choice)
                        }
                    >
                        {move || match choice {
                            Range::Preset(p) => p.label(current_lang(i18n)).to_string(),
                            Range::Custom => t_string!(i18n, analytics_custom).to_string(),
                        }}
                    </button>
                }
            })
            .collect_view()
    };
    // Who may be picked: the owners of the orders on the device, by name. Distinct first
    // (borrowed), then copied: ten thousand orders have a handful of owners.
    let owners = Memo::new(move |_| {
        orders.with(|loaded| {
            let distinct: BTreeSet<(&str, &str)> = loaded
                .iter()
                .flatten()
                .flatten()
                .map(|o| (o.owner().name.as_str(), o.owner().user_id.as_str()))
                .collect();
            distinct
                .into_iter()
                .map(|(name, id)| (name.to_string(), id.to_string()))
                .collect::<Vec<_>>()
        })
    });
    let companies = Memo::new(move |_| {
        orders.with(|loaded| {
            let distinct: BTreeSet<&str> = loaded
                .iter()
                .flatten()
                .flatten()
                .map(|o| o.company.as_str())
                .collect();
            distinct.into_iter().map(str::to_string).collect::<Vec<_>>()
        })
    });
    // The filter row is drawn once: what changes underneath it while someone is choosing (the
    // owners a sync brings, the process's stages) redraws only the options, never the controls,
    // so a half-typed customer name or an open list survives.
    let filters = move || {
        let lang = current_lang(i18n);
        let stages = move || {
            state.with_pipeline(|p| {
                p.stages
                    .iter()
                    .map(|d| (d.id.as_str().to_string(), d.name.get(lang).to_string()))
                    .collect::<Vec<_>>()
            })
        };
        let changed = move |signal: RwSignal<String>| {
            move |event: leptos::ev::Event| {
                choice_changed();
                signal.set(event_target_value(&event));
            }
        };
        view! {
            <div class="filters">
                {move || sees_whole_team().then(|| view! {
                    <label class="filter">
                        <span>{t!(i18n, analytics_owner)}</span>
                        <select data-testid="filter-owner" on:change=changed(owner)>
                            <option value="">{t!(i18n, analytics_everyone)}</option>
                            {move || owners.get().into_iter().map(|(name, id)| {
                                let chosen = id.clone();
                                view! { <option value=id prop:selected=move || owner.with(|o| *o == chosen)>{name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <label class="filter">
                    <span>{t!(i18n, analytics_department)}</span>
                    <select data-testid="filter-department" prop:value=department on:change=changed(department)>
                        <option value="">{t!(i18n, analytics_all_departments)}</option>
                        {Role::ALL.into_iter().filter(|r| !matches!(r, Role::Admin | Role::Manager)).map(|role| {
                            view! { <option value=role.as_str()>{role.label(lang)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="filter">
                    <span>{t!(i18n, analytics_stage)}</span>
                    <select data-testid="filter-stage" on:change=changed(stage)>
                        <option value="">{t!(i18n, analytics_all_stages)}</option>
                        {move || stages().into_iter().map(|(id, name)| {
                            let chosen = id.clone();
                            view! { <option value=id prop:selected=move || stage.with(|s| *s == chosen)>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="filter">
                    <span>{t!(i18n, analytics_customer)}</span>
                    <input
                        type="search"
                        list="analytics-companies"
                        data-testid="filter-customer"
                        prop:value=company_typed
                        on:input=move |event| company_typed.set(event_target_value(&event))
                        on:change=changed(company)
                    />
                    <datalist id="analytics-companies">
                        {move || companies.get().into_iter().map(|c| view! { <option value=c></option> }).collect_view()}
                    </datalist>
                </label>
            </div>
            <p class="hint">{t!(i18n, analytics_filter_hint)}</p>
        }
    };

    let tiles = move |board: &Dashboard, lang: Lang| {
        let flow =
            |f: fn(&domain::analytics::FlowSlot) -> usize| board.flow.iter().map(f).sum::<usize>();
        let delivered = board.delivery.on_time + board.delivery.late;
        let tile = move |label: String, value: String, id: &'static str, what: Opened| {
            view! {
                <button
                    type="button"
                    class="tile"
                    data-testid=id
                    aria-pressed=move || (opened.get() == Some(what)).to_string()
                    on:click=move |_| toggle(what)
                >
                    <span class="tile-value">{value}</span>
                    <span class="tile-label">{label}</span>
                </button>
            }
        };
        view! {
            <div class="tiles">
                {tile(t_string!(i18n, analytics_started).to_string(), flow(|w| w.started).to_string(), "tile-started", Opened::Tile(Figure::Started))}
                {tile(t_string!(i18n, analytics_completed).to_string(), flow(|w| w.completed).to_string(), "tile-completed", Opened::Tile(Figure::Completed))}
                {tile(t_string!(i18n, analytics_cancelled).to_string(), flow(|w| w.cancelled).to_string(), "tile-cancelled", Opened::Tile(Figure::Cancelled))}
                {tile(
                    t_string!(i18n, analytics_cycle_time).to_string(),
                    board.cycle_time.map_or_else(|| "—".to_string(), |s: Spread| duration(s.p50, lang)),
                    "tile-cycle",
                    Opened::Cycle,
                )}
                {tile(
                    t_string!(i18n, analytics_on_time_delivery).to_string(),
                    percent_text(percent(board.delivery.on_time, delivered)),
                    "tile-on-time",
                    Opened::Delivery,
                )}
                {tile(t_string!(i18n, analytics_rework).to_string(), board.rework.to_string(), "tile-rework", Opened::Tile(Figure::Reworked))}
            </div>
            <div data-testid="tile-orders">
                {move || [Figure::Started, Figure::Completed, Figure::Cancelled, Figure::Reworked]
                    .into_iter()
                    .map(Opened::Tile)
                    .chain([Opened::Cycle, Opened::Delivery])
                    .find_map(opened_list)}
            </div>
        }
    };

    let body = move || {
        let lang = current_lang(i18n);
        let Some(board) = board.get() else {
            return view! { <p class="hint">{t!(i18n, storage_loading)}</p> }.into_any();
        };
        let bottleneck = board.bottleneck.clone().map(|b| {
            let name = stage_name(&b.stage, lang);
            view! {
                <section class="panel bottleneck" data-testid="bottleneck">
                    <h2>{t!(i18n, analytics_bottleneck)}</h2>
                    <p>
                        <strong>{name}</strong>
                        " "
                        {t!(i18n, analytics_bottleneck_detail, percent = b.median_of_sla_percent)}
                    </p>
                    {move || {
                        let hidden = if all_waiting.get() { 0 } else { b.orders.len().saturating_sub(BOTTLENECK_SHOWN) };
                        let shown = b.orders[..b.orders.len() - hidden].to_vec();
                        view! {
                            {order_list(shown)}
                            {(hidden > 0).then(|| view! {
                                <button class="button" data-testid="bottleneck-all" on:click=move |_| all_waiting.set(true)>
                                    {t!(i18n, analytics_show_all, count = b.orders.len())}
                                </button>
                            })}
                        }
                    }}
                </section>
            }
        });
        let stage_rows: Vec<Bar> = board
            .stages
            .iter()
            .map(|s| {
                let sla = (i64::from(s.sla_days) * 24 * 60) as f64;
                let p50 = s.spread.map_or(0, |x| x.p50);
                Bar {
                    label: stage_name(&s.stage, lang),
                    value: p50 as f64,
                    text: match s.spread {
                        Some(x) => t_string!(
                            i18n,
                            analytics_stage_time,
                            median = duration(x.p50, lang),
                            slow = duration(x.p80, lang),
                            on_time = percent_text(percent(s.on_time, s.finished)),
                            sla = s.sla_days
                        )
                        .to_string(),
                        None => {
                            t_string!(i18n, analytics_no_finished, sla = s.sla_days).to_string()
                        }
                    },
                    marker: (sla > 0.0).then_some(sla),
                    tone: if s.spread.is_some() && p50 as f64 > sla {
                        "late"
                    } else {
                        "ok"
                    },
                }
            })
            .collect();
        let load_rows: Vec<Bar> = board
            .load
            .iter()
            .map(|l| Bar {
                label: stage_name(&l.stage, lang),
                value: l.orders.len() as f64,
                text: t_string!(
                    i18n,
                    analytics_waiting,
                    count = l.orders.len(),
                    overdue = l.overdue
                )
                .to_string(),
                marker: None,
                tone: if l.overdue > 0 { "late" } else { "" },
            })
            .collect();
        let load = board.load.clone();
        let heat = board.heat.clone();
        let heat_columns: Vec<String> = heat.stages.iter().map(|id| stage_name(id, lang)).collect();
        let busiest = heat.busiest();
        let heat_rows: Vec<HeatLine> = heat
            .rows
            .iter()
            .map(|row| HeatLine {
                label: row.owner.name.clone(),
                cells: row
                    .cells
                    .iter()
                    .map(|cell| HeatSquare {
                        count: cell.orders.len(),
                        overdue: cell.overdue,
                        shade: share_of(cell.orders.len() as f64, busiest as f64),
                    })
                    .collect(),
            })
            .collect();
        // Weeks by their Monday (12/7); months by year and month (2026/12).
        let slot_label = match board.flow_step {
            FlowStep::Week => "%-m/%-d",
            FlowStep::Month => "%Y/%-m",
        };
        let weeks: Vec<Group> = board
            .flow
            .iter()
            .map(|w| Group {
                label: w.start.format(slot_label).to_string(),
                values: vec![w.started as u32, w.completed as u32, w.cancelled as u32],
            })
            .collect();
        let flow_title = match board.flow_step {
            FlowStep::Week => t_string!(i18n, analytics_weekly).to_string(),
            FlowStep::Month => t_string!(i18n, analytics_monthly).to_string(),
        };
        let c = &board.conversion;
        let funnel: Vec<Bar> = FUNNEL
            .into_iter()
            .map(|figure| {
                let (label, count, tone) = match figure {
                    Figure::ReachedContract => (
                        t_string!(i18n, analytics_reached_contract).to_string(),
                        c.reached_contract,
                        "",
                    ),
                    Figure::StartedAndCompleted => (
                        t_string!(i18n, analytics_completed).to_string(),
                        c.completed,
                        "ok",
                    ),
                    Figure::StartedAndCancelled => (
                        t_string!(i18n, analytics_cancelled).to_string(),
                        c.cancelled,
                        "late",
                    ),
                    _ => (
                        t_string!(i18n, analytics_started).to_string(),
                        c.started,
                        "",
                    ),
                };
                // Every row but the first says its share of the orders started.
                let text = match figure {
                    Figure::Started => count.to_string(),
                    _ => format!("{count} · {}", percent_text(percent(count, c.started))),
                };
                Bar {
                    label,
                    value: count as f64,
                    text,
                    marker: None,
                    tone,
                }
            })
            .collect();
        let reasons = c
            .reasons
            .iter()
            .map(|(reason, count)| view! { <li>{reason.clone()}" × "{*count}</li> })
            .collect_view();
        let people = board
            .people
            .iter()
            .filter(|p| p.owned_active > 0 || p.handled > 0 || p.ratings > 0)
            .map(|p| {
                let rating = (p.ratings > 0).then(|| format!("{:.1}", f64::from(p.rating_sum) / p.ratings as f64));
                view! {
                    <li class="person" data-testid="person">
                        <span class="person-name">{p.name.clone()}</span>
                        <span class="person-figures">
                            {t_string!(
                                i18n,
                                analytics_person,
                                owned = p.owned_active,
                                handled = p.handled,
                                on_time = percent_text(percent(p.on_time, p.handled)),
                                median = p.median_minutes.map_or_else(|| "—".to_string(), |m| duration(m, lang)),
                                rating = rating.unwrap_or_else(|| "—".to_string()),
                                open = p.open_requests
                            )
                            .to_string()}
                        </span>
                    </li>
                }
            })
            .collect_view();
        let feeling = &board.customers;
        let star_rows: Vec<Bar> = (1..=5)
            .rev()
            .map(|stars| Bar {
                label: "★".repeat(stars),
                value: feeling.stars[stars - 1] as f64,
                text: feeling.stars[stars - 1].to_string(),
                marker: None,
                tone: if stars <= 2 { "late" } else { "ok" },
            })
            .collect();
        let customers_line = t_string!(
            i18n,
            analytics_customers_line,
            average = feeling
                .average_tenths()
                .map_or_else(|| "—".to_string(), |t| format!("{}.{}", t / 10, t % 10)),
            ratings = feeling.ratings(),
            per_100 = feeling
                .requests_per_100_shipped()
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
            resolve = feeling
                .time_to_resolve
                .map_or_else(|| "—".to_string(), |s| duration(s.p50, lang))
        )
        .to_string();
        let request_kinds = feeling
            .requests
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(kind, n)| view! { <li>{kind.label(lang).to_string()}" × "{*n}</li> })
            .collect_view();
        let series = vec![
            t_string!(i18n, analytics_started).to_string(),
            t_string!(i18n, analytics_completed).to_string(),
            t_string!(i18n, analytics_cancelled).to_string(),
        ];
        view! {
            {tiles(&board, lang)}
            {bottleneck}
            <section class="panel" data-testid="stage-times">
                <h2>{t!(i18n, analytics_stage_times)}</h2>
                <p class="hint">{t!(i18n, analytics_stage_times_hint)}</p>
                <Bars rows=stage_rows summary=t_string!(i18n, analytics_stage_times).to_string() />
            </section>
            <section class="panel" data-testid="work-in-progress">
                <h2>{t!(i18n, analytics_wip)}</h2>
                <Bars
                    rows=load_rows
                    picked=picked
                    on_pick=Callback::new(move |i| toggle(Opened::Waiting(i)))
                    summary=t_string!(i18n, analytics_wip).to_string()
                />
                {move || picked.get().and_then(|i| load.get(i).cloned()).map(|l| order_list(l.orders))}
            </section>
            <section class="panel" data-testid="heat-map">
                <h2>{t!(i18n, analytics_heat)}</h2>
                <p class="hint">{t!(i18n, analytics_heat_hint)}</p>
                <HeatGrid
                    columns=heat_columns
                    rows=heat_rows
                    picked=Signal::derive(move || match opened.get() {
                        Some(Opened::Cell(r, c)) => Some((r, c)),
                        _ => None,
                    })
                    on_pick=Callback::new(move |(r, c)| toggle(Opened::Cell(r, c)))
                    summary=t_string!(i18n, analytics_heat).to_string()
                />
                {move || match opened.get() {
                    Some(Opened::Cell(r, c)) => heat
                        .rows
                        .get(r)
                        .and_then(|row| row.cells.get(c))
                        .map(|cell| order_list(cell.orders.clone())),
                    _ => None,
                }}
            </section>
            <section class="panel" data-testid="weekly-flow">
                <h2>{flow_title.clone()}</h2>
                <Columns groups=weeks series summary=flow_title />
            </section>
            <section class="panel" data-testid="conversion">
                <h2>{t!(i18n, analytics_conversion)}</h2>
                <Bars
                    rows=funnel
                    picked=funnel_picked
                    on_pick=Callback::new(move |i| toggle(Opened::Funnel(i)))
                    summary=t_string!(i18n, analytics_conversion).to_string()
                />
                {move || funnel_picked.get().map(|i| order_list(behind(FUNNEL[i])))}
                <ul class="reasons">{reasons}</ul>
            </section>
            <section class="panel" data-testid="people">
                // A manager reads the team's people, anyone else their own figures.
                <h2>{move || if sees_whole_team() {
                    t_string!(i18n, analytics_people_team)
                } else {
                    t_string!(i18n, analytics_people_mine)
                }}</h2>
                <ul class="people">{people}</ul>
            </section>
            <section class="panel" data-testid="customers">
                <h2>{t!(i18n, analytics_customers)}</h2>
                <p>{customers_line}</p>
                <Bars rows=star_rows summary=t_string!(i18n, analytics_customers).to_string() />
                <ul class="reasons">{request_kinds}</ul>
            </section>
            <p class="hint">{t!(i18n, analytics_delivery_rule)}</p>
        }
        .into_any()
    };

    view! {
        <section class="page analytics">
            <h1>{t!(i18n, analytics_title)}</h1>
            <div class="chips" role="group" aria-label=move || t_string!(i18n, analytics_period).to_string()>
                {presets}
            </div>
            <Show when=move || range.get() == Range::Custom>
                <div class="form-row custom-range">
                    <label class="filter">
                        <span>{t!(i18n, analytics_from)}</span>
                        <input type="date" data-testid="range-from" prop:value=custom_from on:change=move |e| { choice_changed(); custom_from.set(event_target_value(&e)) } />
                    </label>
                    <label class="filter">
                        <span>{t!(i18n, analytics_to)}</span>
                        <input type="date" data-testid="range-to" prop:value=custom_to on:change=move |e| { choice_changed(); custom_to.set(event_target_value(&e)) } />
                    </label>
                </div>
            </Show>
            <p class="hint" data-testid="period">
                {move || {
                    let p = period();
                    let lang = current_lang(i18n);
                    t_string!(i18n, analytics_period_shown, from = format::date(p.from, lang), to = format::date(p.to, lang)).to_string()
                }}
            </p>
            {filters}
            <Show when=move || !sees_whole_team()>
                <p class="hint">{t!(i18n, analytics_own_only)}</p>
            </Show>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{filter_of, period_of, Range};
    use crate::format::duration;
    use chrono::NaiveDate;
    use domain::analytics::{Period, Preset};
    use domain::{Lang, Role, StageId};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn day(month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap()
    }

    #[wasm_bindgen_test]
    fn a_custom_range_takes_both_dates_in_order_and_falls_back_to_this_month() {
        let today = day(12, 6);
        let custom = |from, to| period_of(Range::Custom, from, to, today);
        assert_eq!(
            custom("2026-11-03", "2026-11-20"),
            Period {
                from: day(11, 3),
                to: day(11, 20)
            }
        );
        assert_eq!(
            custom("2026-11-20", "2026-11-03"),
            Period {
                from: day(11, 3),
                to: day(11, 20)
            },
            "typed backwards"
        );
        let this_month = Preset::ThisMonth.period(today);
        assert_eq!(custom("", "2026-11-20"), this_month, "half typed");
        assert_eq!(custom("2026-13-40", "2026-11-20"), this_month);
        assert_eq!(
            period_of(Range::Preset(Preset::LastMonth), "2026-11-03", "", today),
            Preset::LastMonth.period(today)
        );
    }

    #[wasm_bindgen_test]
    fn only_someone_who_sees_the_team_picks_an_owner() {
        let me = Some("u-me".to_string());
        let everyone = filter_of(true, me.clone(), "", "", "", "");
        assert_eq!(everyone.owner, None);
        assert_eq!(
            filter_of(true, me.clone(), "u-other", "", "", "")
                .owner
                .as_deref(),
            Some("u-other")
        );
        // A salesperson's own orders, whatever a crafted value says.
        assert_eq!(
            filter_of(false, me.clone(), "u-other", "", "", "").owner,
            me
        );
        let narrowed = filter_of(true, me, "", "warehouse", "production", " 华东机械 ");
        assert_eq!(narrowed.department, Some(Role::Warehouse));
        assert_eq!(narrowed.stage, Some(StageId::new("production")));
        assert_eq!(narrowed.company.as_deref(), Some("华东机械"));
    }

    #[wasm_bindgen_test]
    fn durations_read_in_hours_under_a_day_and_in_days_beyond() {
        assert_eq!(duration(720, Lang::Zh), "12小时");
        assert_eq!(duration(89, Lang::En), "1 h");
        assert_eq!(duration(1440, Lang::Zh), "1.0天");
        assert_eq!(duration(5040, Lang::En), "3.5 d");
    }
}
