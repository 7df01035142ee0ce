//! `/desk/analytics` (分析, 管理看板): how orders flow, where they stall, how long each stage takes
//! against its SLA, what converts — computed on the device from the orders it holds
//! (`domain::analytics`), so it opens offline and instantly. Admins see the whole team (or their
//! own orders); everyone else sees the orders they own. Every stage bar opens the orders behind
//! it; the bottleneck lists its waiting orders.

use std::collections::HashMap;

use chrono::Utc;
use domain::analytics::{dashboard, percent, Dashboard, Filter, Preset, Spread};
use domain::{Lang, Role, StageId};
use leptos::prelude::*;
use uuid::Uuid;

use super::charts::{Bar, Bars, Columns, Group};
use crate::{
    format,
    i18n::*,
    locale::{current_lang, locale_of},
    state::use_app_state,
};

/// A duration for people: hours under a day, else days with one decimal.
pub fn duration(minutes: i64, lang: Lang) -> String {
    if minutes < 24 * 60 {
        let hours = (minutes + 30) / 60;
        td_string!(locale_of(lang), duration_hours, hours).to_string()
    } else {
        let days = minutes as f64 / (24.0 * 60.0);
        let days = format!("{days:.1}");
        td_string!(locale_of(lang), duration_days, days).to_string()
    }
}

fn percent_text(value: Option<u32>) -> String {
    value.map_or_else(|| "—".to_string(), |p| format!("{p}%"))
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let preset = RwSignal::new(Preset::ThisMonth);
    let everyone = RwSignal::new(true);
    let picked = RwSignal::new(None::<usize>);
    let is_admin = move || {
        state.session.with(|session| {
            session
                .as_ref()
                .is_some_and(|s| s.user.roles.contains(&Role::Admin))
        })
    };
    // The device's orders, read once storage is open (`status`) and again whenever a change or
    // a sync touches the board.
    let orders = LocalResource::new(move || {
        state.status.track();
        state.cards.track();
        async move { state.load_orders().await }
    });
    let filter = move || match is_admin() && everyone.get() {
        true => Filter::default(),
        false => Filter {
            owner: state
                .session
                .with(|s| s.as_ref().map(|s| s.user.id.clone())),
            company: None,
        },
    };
    let board =
        Memo::new(move |_| {
            let filter = filter();
            let period = preset.get().period(format::today());
            orders.with(|loaded| {
                let orders = loaded.as_ref()?.as_ref().ok()?;
                Some(state.with_pipeline(|pipeline| {
                    dashboard(orders, period, &filter, Utc::now(), pipeline)
                }))
            })
        });
    let names = Memo::new(move |_| {
        orders.with(|loaded| {
            loaded
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|orders| {
                    orders
                        .iter()
                        .map(|o| (o.id, (o.number.to_string(), o.customer.company.clone())))
                        .collect::<HashMap<Uuid, (String, String)>>()
                })
                .unwrap_or_default()
        })
    });
    let stage_name = move |id: &StageId, lang: Lang| {
        state.with_pipeline(|p| {
            p.stage(id)
                .map_or_else(|| id.as_str().to_string(), |d| d.name.get(lang).to_string())
        })
    };
    let order_list = move |ids: Vec<Uuid>| {
        let names = names.get();
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
    };

    let presets = move || {
        Preset::ALL
            .into_iter()
            .map(|p| {
                view! {
                    <button
                        type="button"
                        class="chip"
                        aria-pressed=move || (preset.get() == p).to_string()
                        on:click=move |_| {
                            picked.set(None);
                            preset.set(p)
                        }
                    >
                        {move || p.label(current_lang(i18n))}
                    </button>
                }
            })
            .collect_view()
    };

    let tiles = move |board: &Dashboard, lang: Lang| {
        let flow =
            |f: fn(&domain::analytics::WeekFlow) -> usize| board.flow.iter().map(f).sum::<usize>();
        let delivered = board.delivery.on_time + board.delivery.late;
        let tile = |label: String, value: String, id: &'static str| {
            view! {
                <div class="tile" data-testid=id>
                    <span class="tile-value">{value}</span>
                    <span class="tile-label">{label}</span>
                </div>
            }
        };
        view! {
            <div class="tiles">
                {tile(t_string!(i18n, analytics_started).to_string(), flow(|w| w.started).to_string(), "tile-started")}
                {tile(t_string!(i18n, analytics_completed).to_string(), flow(|w| w.completed).to_string(), "tile-completed")}
                {tile(t_string!(i18n, analytics_cancelled).to_string(), flow(|w| w.cancelled).to_string(), "tile-cancelled")}
                {tile(
                    t_string!(i18n, analytics_cycle_time).to_string(),
                    board.cycle_time.map_or_else(|| "—".to_string(), |s: Spread| duration(s.p50, lang)),
                    "tile-cycle",
                )}
                {tile(
                    t_string!(i18n, analytics_on_time_delivery).to_string(),
                    percent_text(percent(board.delivery.on_time, delivered)),
                    "tile-on-time",
                )}
                {tile(t_string!(i18n, analytics_rework).to_string(), board.rework.to_string(), "tile-rework")}
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
                    {order_list(b.orders)}
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
        let weeks: Vec<Group> = board
            .flow
            .iter()
            .map(|w| Group {
                label: w.week_start.format("%-m/%-d").to_string(),
                values: vec![w.started as u32, w.completed as u32, w.cancelled as u32],
            })
            .collect();
        let c = &board.conversion;
        let funnel = vec![
            Bar {
                label: t_string!(i18n, analytics_started).to_string(),
                value: c.started as f64,
                text: c.started.to_string(),
                marker: None,
                tone: "",
            },
            Bar {
                label: t_string!(i18n, analytics_reached_contract).to_string(),
                value: c.reached_contract as f64,
                text: format!(
                    "{} · {}",
                    c.reached_contract,
                    percent_text(percent(c.reached_contract, c.started))
                ),
                marker: None,
                tone: "",
            },
            Bar {
                label: t_string!(i18n, analytics_completed).to_string(),
                value: c.completed as f64,
                text: format!(
                    "{} · {}",
                    c.completed,
                    percent_text(percent(c.completed, c.started))
                ),
                marker: None,
                tone: "ok",
            },
            Bar {
                label: t_string!(i18n, analytics_cancelled).to_string(),
                value: c.cancelled as f64,
                text: format!(
                    "{} · {}",
                    c.cancelled,
                    percent_text(percent(c.cancelled, c.started))
                ),
                marker: None,
                tone: "late",
            },
        ];
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
                    on_pick=Callback::new(move |i| picked.update(|p| *p = if *p == Some(i) { None } else { Some(i) }))
                    summary=t_string!(i18n, analytics_wip).to_string()
                />
                {move || picked.get().and_then(|i| load.get(i).cloned()).map(|l| order_list(l.orders))}
            </section>
            <section class="panel" data-testid="weekly-flow">
                <h2>{t!(i18n, analytics_weekly)}</h2>
                <Columns groups=weeks series summary=t_string!(i18n, analytics_weekly).to_string() />
            </section>
            <section class="panel" data-testid="conversion">
                <h2>{t!(i18n, analytics_conversion)}</h2>
                <Bars rows=funnel summary=t_string!(i18n, analytics_conversion).to_string() />
                <ul class="reasons">{reasons}</ul>
            </section>
            <section class="panel" data-testid="people">
                <h2>{t!(i18n, analytics_people)}</h2>
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
            <Show when=is_admin>
                <label class="check">
                    <input type="checkbox" prop:checked=everyone on:change=move |e| everyone.set(event_target_checked(&e)) />
                    {t!(i18n, analytics_whole_team)}
                </label>
            </Show>
            <Show when=move || !is_admin()>
                <p class="hint">{t!(i18n, analytics_own_only)}</p>
            </Show>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use domain::Lang;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn durations_read_in_hours_under_a_day_and_in_days_beyond() {
        assert_eq!(duration(720, Lang::Zh), "12小时");
        assert_eq!(duration(89, Lang::En), "1 h");
        assert_eq!(duration(1440, Lang::Zh), "1.0天");
        assert_eq!(duration(5040, Lang::En), "3.5 d");
    }
}
