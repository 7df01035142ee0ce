//! `/`: the follow-up board. For now it shows the pipeline's six stages with how many active
//! orders sit in each (from the server's summary); the offline board on IndexedDB replaces the
//! counts' source next.

use domain::{Pipeline, StageDef};
use leptos::prelude::*;

use crate::{
    api::{self, BoardSummary},
    i18n::*,
    locale::current_lang,
};

#[component]
pub fn BoardPage() -> impl IntoView {
    let i18n = use_i18n();
    let summary = LocalResource::new(api::board_summary);
    let pipeline = StoredValue::new(Pipeline::standard());

    let counts = move || -> Option<BoardSummary> { summary.get().and_then(|result| result.ok()) };
    let count_of = move |stage: &str| {
        counts().and_then(|summary| {
            summary
                .stages
                .iter()
                .find(|entry| entry.stage == stage)
                .map(|entry| entry.active_orders)
        })
    };

    view! {
        <section class="page board">
            <div class="page-head">
                <h1>{t!(i18n, board_title)}</h1>
                {move || {
                    counts()
                        .map(|summary| {
                            let count = summary.total_active;
                            view! {
                                <span class="total-chip" data-testid="total-active">
                                    {t!(i18n, board_active_total, count)}
                                </span>
                            }
                        })
                }}
            </div>
            {move || match summary.get() {
                None => Some(view! { <p class="hint">{t!(i18n, board_loading)}</p> }.into_any()),
                Some(Err(error)) => {
                    let reason = error.message(current_lang(i18n));
                    Some(
                        view! {
                            <p class="notice notice-warn" role="alert">
                                {t!(i18n, board_unavailable, reason)}
                            </p>
                        }
                            .into_any(),
                    )
                }
                Some(Ok(_)) => None,
            }}
            <ol class="stage-list">
                {pipeline
                    .with_value(|pipeline| pipeline.stages.clone())
                    .into_iter()
                    .enumerate()
                    .map(|(index, stage)| {
                        let stage_id = stage.id.0.clone();
                        let count = Signal::derive(move || count_of(&stage_id));
                        view! { <StageCard index stage count /> }
                    })
                    .collect_view()}
            </ol>
            <p class="hint">{t!(i18n, board_next_step)}</p>
        </section>
    }
}

#[component]
fn StageCard(index: usize, stage: StageDef, count: Signal<Option<u32>>) -> impl IntoView {
    let i18n = use_i18n();
    let stage = StoredValue::new(stage);
    let name = move || stage.with_value(|stage| stage.name.get(current_lang(i18n)).to_string());
    let roles = move || {
        let lang = current_lang(i18n);
        stage.with_value(|stage| {
            stage
                .responsible
                .iter()
                .map(|role| role.label(lang))
                .collect::<Vec<_>>()
                .join(" / ")
        })
    };
    let days = stage.with_value(|stage| stage.sla_days);
    let stage_id = stage.with_value(|stage| stage.id.0.clone());
    view! {
        <li class="stage-card" data-stage=stage_id>
            <span class="stage-index" aria-hidden="true">{index + 1}</span>
            <div class="stage-body">
                <h2 class="stage-name">{name}</h2>
                <p class="stage-meta">{move || t_string!(i18n, board_stage_hint, roles = roles(), days).to_string()}</p>
            </div>
            <span class="stage-count" class:stage-count-zero=move || count.get() == Some(0) data-testid="stage-count">
                {move || match count.get() {
                    Some(count) => t_string!(i18n, board_stage_count, count).to_string(),
                    None => "—".to_string(),
                }}
            </span>
        </li>
    }
}
