//! `/desk/import` (导入导出): an admin brings orders in from a spreadsheet (only admins: an
//! import creates orders, which no other role may) and anyone signed in takes them out. The file goes to the worker as it is — reading and writing spreadsheets is
//! the worker's job (`worker/src/sheets/`), never this bundle's. Always a dry run first: its
//! mapping, totals and failing rows are shown, and 导入 is offered only when no row fails.

use std::collections::HashMap;

use domain::sheet::{importer, Column, ImportMode, RowAction};
use domain::wire::{ImportReport, ImportRow, ImportUndone};
use domain::BoardFilter;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use wasm_bindgen::JsCast;

use crate::{
    api::{self, ApiError},
    i18n::*,
    locale::current_lang,
    network::use_online,
    state::use_app_state,
};

/// The rows a person must fix, in file order.
pub fn failing_rows(report: &ImportReport) -> Vec<&ImportRow> {
    report
        .rows
        .iter()
        .filter(|row| row.action == RowAction::Error)
        .collect()
}

/// The query names `BoardFilter::to_query` writes.
const BOARD_FILTER_NAMES: [&str; 6] = [
    "q",
    "mine",
    "overdue",
    "due_this_week",
    "after_sales_open",
    "owner",
];

/// A dry run may be committed when no row fails and some row changes something.
pub fn can_commit(report: &ImportReport) -> bool {
    report.dry_run && report.totals.error == 0 && report.totals.create + report.totals.update > 0
}

/// A field as an `<option>` value: its wire name (`number`, `due_date` …).
pub fn field_value(field: Column) -> String {
    serde_json::to_value(field)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The field an `<option>` value names; "" (and anything unknown) is 忽略.
pub fn field_of(value: &str) -> Option<Column> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).ok()
}

#[component]
pub fn SheetsPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let lang = move || current_lang(i18n);
    let token = move || {
        state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
    };
    // The rulebook's answer, the one the worker gives (`domain::sheet::importer`).
    let may_import = move || state.actor().is_some_and(|actor| importer(&actor).is_ok());
    // The board's filter when the board sent us here (its 导出筛选结果 link), else none.
    let query = use_query_map();
    let board_filter = query.with_untracked(|q| {
        BoardFilter::from_query(
            BOARD_FILTER_NAMES
                .iter()
                .filter_map(|name| Some((*name, q.get(name)?))),
        )
    });
    let filter_query = StoredValue::new(board_filter.to_query());
    let filtered = board_filter.is_active();
    let file = RwSignal::new(None::<send_wrapper::SendWrapper<web_sys::File>>);
    let mode = RwSignal::new(ImportMode::Both);
    let report = RwSignal::new(None::<ImportReport>);
    // The person's choices: header as written → field (`None`: 忽略), sent with every run.
    let mapping = RwSignal::new(HashMap::<String, Option<Column>>::new());
    let problem = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    // The answer of an undo of the import just committed.
    let undone = RwSignal::new(None::<ImportUndone>);

    let run = move |dry_run: bool| {
        let (Some(token), Some(chosen)) = (token(), file.get_untracked()) else {
            return;
        };
        busy.set(true);
        problem.set(None);
        let chosen = chosen.take();
        leptos::task::spawn_local(async move {
            let answer = api::import_sheet(
                &token,
                &chosen,
                mode.get_untracked(),
                dry_run,
                &mapping.get_untracked(),
            )
            .await;
            busy.set(false);
            match answer {
                Ok(answer) => {
                    undone.set(None);
                    report.set(Some(answer));
                }
                Err(error) => problem.set(Some(error)),
            }
            file.set(Some(send_wrapper::SendWrapper::new(chosen)));
        });
    };
    let download = move |format: &'static str| {
        let Some(token) = token() else { return };
        problem.set(None);
        let filter_query = filter_query.get_value();
        leptos::task::spawn_local(async move {
            let saved = api::fetch_export(&token, format, &filter_query)
                .await
                .and_then(|file| {
                    save_file(&file.bytes, &file.mime, &file.name)
                        .map_err(|error| ApiError::Unexpected(format!("{error:?}")))
                });
            if let Err(error) = saved {
                problem.set(Some(error));
            }
        });
    };
    // The failing rows as a sheet: the worker reads the same file again with the same choices.
    let download_errors = move || {
        let (Some(token), Some(chosen)) = (token(), file.get_untracked()) else {
            return;
        };
        problem.set(None);
        let chosen = chosen.take();
        leptos::task::spawn_local(async move {
            let saved = api::fetch_import_errors(
                &token,
                &chosen,
                mode.get_untracked(),
                &mapping.get_untracked(),
            )
            .await
            .and_then(|file| {
                save_file(&file.bytes, &file.mime, &file.name)
                    .map_err(|error| ApiError::Unexpected(format!("{error:?}")))
            });
            file.set(Some(send_wrapper::SendWrapper::new(chosen)));
            if let Err(error) = saved {
                problem.set(Some(error));
            }
        });
    };
    let undo = move |batch_id: String| {
        let Some(token) = token() else { return };
        busy.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let answer = api::undo_import(&token, &batch_id).await;
            busy.set(false);
            match answer {
                Ok(answer) => undone.set(Some(answer)),
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    // A column's field chosen on the screen: kept for the next runs, and the dry run runs again.
    let choose = move |title: String, field: Option<Column>| {
        mapping.update(|chosen| {
            chosen.insert(title, field);
        });
        run(true);
    };
    let mode_chip = move |choice: ImportMode| {
        view! {
            <button
                type="button"
                class="chip"
                data-testid=move || format!("import-mode-{choice:?}").to_lowercase()
                aria-pressed=move || (mode.get() == choice).to_string()
                on:click=move |_| {
                    mode.set(choice);
                    report.set(None);
                }
            >
                {move || match choice {
                    ImportMode::Create => t_string!(i18n, sheets_mode_create).to_string(),
                    ImportMode::Update => t_string!(i18n, sheets_mode_update).to_string(),
                    ImportMode::Both => t_string!(i18n, sheets_mode_both).to_string(),
                }}
            </button>
        }
    };

    view! {
        <section class="page sheets">
            <h1>{t!(i18n, sheets_title)}</h1>
            <Show when=move || !online.get()>
                <p class="notice notice-warn">{t!(i18n, sheets_needs_network)}</p>
            </Show>
            <fieldset class="field-group">
                <legend>{t!(i18n, sheets_export)}</legend>
                <p class="hint">{t!(i18n, sheets_export_hint)}</p>
                {filtered.then(|| view! {
                    <p class="notice" data-testid="export-filtered">{t!(i18n, sheets_export_filtered)}</p>
                })}
                <div class="stack">
                    <button type="button" class="secondary wide" data-testid="export-xlsx" on:click=move |_| download("xlsx")>
                        {t!(i18n, sheets_export_xlsx)}
                    </button>
                    <button type="button" class="secondary wide" data-testid="export-csv" on:click=move |_| download("csv")>
                        {t!(i18n, sheets_export_csv)}
                    </button>
                </div>
            </fieldset>
            <Show
                when=may_import
                fallback=move || view! { <p class="notice">{t!(i18n, sheets_admins_only)}</p> }
            >
                <fieldset class="field-group">
                    <legend>{t!(i18n, sheets_import)}</legend>
                    <p class="hint">{t!(i18n, sheets_import_hint)}</p>
                    <input
                        type="file"
                        accept=".xlsx,.csv,text/csv"
                        data-testid="import-file"
                        aria-label=move || t_string!(i18n, sheets_choose_file).to_string()
                        on:change=move |event| {
                            let input: web_sys::HtmlInputElement = event_target(&event);
                            let chosen = input.files().and_then(|files| files.get(0));
                            file.set(chosen.map(send_wrapper::SendWrapper::new));
                            mapping.set(HashMap::new());
                            report.set(None);
                        }
                    />
                    <div class="chips">
                        {mode_chip(ImportMode::Both)}
                        {mode_chip(ImportMode::Create)}
                        {mode_chip(ImportMode::Update)}
                    </div>
                    <button
                        type="button"
                        class="primary wide"
                        data-testid="import-dry-run"
                        disabled=move || busy.get() || file.with(Option::is_none) || !online.get()
                        on:click=move |_| run(true)
                    >
                        {t!(i18n, sheets_dry_run)}
                    </button>
                </fieldset>
            </Show>
            {move || problem.get().map(|error| view! {
                <p class="notice notice-warn" role="alert" data-testid="sheets-problem">{error.message(lang())}</p>
            })}
            {move || report.get().map(|answer| view! {
                <Report
                    answer
                    busy
                    commit=move || run(false)
                    download_errors
                    choose
                    undo
                    undone
                />
            })}
        </section>
    }
}

#[component]
fn Report(
    answer: ImportReport,
    busy: RwSignal<bool>,
    commit: impl Fn() + Send + Sync + Copy + 'static,
    download_errors: impl Fn() + Send + Sync + Copy + 'static,
    choose: impl Fn(String, Option<Column>) + Send + Sync + Copy + 'static,
    undo: impl Fn(String) + Send + Sync + Copy + 'static,
    undone: RwSignal<Option<ImportUndone>>,
) -> impl IntoView {
    let batch_id = answer.batch_id.clone();
    let i18n = use_i18n();
    let lang = current_lang(i18n);
    let totals = answer.totals;
    let committable = can_commit(&answer);
    let failing: Vec<ImportRow> = failing_rows(&answer).into_iter().cloned().collect();
    let outcome = if answer.dry_run {
        t_string!(i18n, sheets_dry_run_result).to_string()
    } else {
        t_string!(i18n, sheets_imported).to_string()
    };
    view! {
        <div class="import-report" data-testid="import-report">
            <h2>{outcome}</h2>
            // No totals beside a sheet-level problem: no row was planned.
            {answer.problem.is_none().then(|| view! {
                <p data-testid="import-totals">
                    {t_string!(
                        i18n,
                        sheets_totals,
                        create = totals.create,
                        update = totals.update,
                        unchanged = totals.unchanged,
                        error = totals.error
                    )
                    .to_string()}
                </p>
            })}
            {answer.problem.as_ref().map(|problem| view! {
                <p class="notice notice-warn" role="alert" data-testid="import-problem">
                    {problem.message.get(lang).to_string()}
                </p>
            })}
            {answer.remembered.then(|| view! {
                <p class="hint" data-testid="import-remembered">{t!(i18n, sheets_mapping_remembered)}</p>
            })}
            <details open=answer.problem.is_some() data-testid="import-mapping">
                <summary>{t!(i18n, sheets_mapping)}</summary>
                <p class="hint">{t!(i18n, sheets_mapping_hint)}</p>
                <ul class="import-mapping">
                    {answer.columns.iter().map(|column| {
                        let title = column.title.clone();
                        let current = column.field;
                        view! {
                            <li>
                                <label>
                                    <span>{column.title.clone()}</span>
                                    <select
                                        data-testid="import-mapping-select"
                                        on:change=move |event| {
                                            let value = event_target_value(&event);
                                            choose(title.clone(), field_of(&value));
                                        }
                                    >
                                        <option value="" selected=current.is_none()>
                                            {t_string!(i18n, sheets_not_imported).to_string()}
                                        </option>
                                        {Column::ALL.into_iter().map(|field| view! {
                                            <option value=field_value(field) selected=current == Some(field)>
                                                {field.label().get(lang).to_string()}
                                            </option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                {column.stage_date.as_ref().filter(|_| current.is_none()).map(|stage| view! {
                                    <p class="hint" data-testid="import-stage-date">
                                        {t_string!(i18n, sheets_stage_date, stage = stage.get(lang).to_string()).to_string()}
                                    </p>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </details>
            {(!failing.is_empty()).then(|| view! {
                <ul class="import-errors" data-testid="import-errors">
                    {failing.into_iter().map(|row| view! {
                        <li>
                            <strong>{t_string!(i18n, sheets_line, line = row.line).to_string()}</strong>
                            {t_string!(
                                i18n,
                                sheets_row_error,
                                number = row.number.clone(),
                                column = row.column.clone().unwrap_or_default(),
                                reason = row.message.as_ref().map(|m| m.get(lang).to_string()).unwrap_or_default()
                            )
                            .to_string()}
                        </li>
                    }).collect_view()}
                </ul>
                <button
                    type="button"
                    class="secondary wide"
                    data-testid="import-errors-download"
                    on:click=move |_| download_errors()
                >
                    {t!(i18n, sheets_download_errors)}
                </button>
            })}
            {batch_id.map(|batch_id| view! {
                <Show
                    when=move || undone.with(Option::is_none)
                    fallback=move || view! {
                        <p class="notice" role="status" data-testid="import-undone">
                            {move || undone.get().map(|answer| t_string!(
                                i18n,
                                sheets_undone,
                                cancelled = answer.cancelled,
                                restored = answer.restored
                            ).to_string())}
                        </p>
                    }
                >
                    <button
                        type="button"
                        class="secondary wide"
                        data-testid="import-undo"
                        disabled=move || busy.get()
                        on:click={
                            let batch_id = batch_id.clone();
                            move |_| undo(batch_id.clone())
                        }
                    >
                        {t!(i18n, sheets_undo)}
                    </button>
                </Show>
            })}
            {committable.then(|| view! {
                <button
                    type="button"
                    class="primary wide"
                    data-testid="import-commit"
                    disabled=move || busy.get()
                    on:click=move |_| commit()
                >
                    {t!(i18n, sheets_commit)}
                </button>
            })}
        </div>
    }
}

/// Saves `bytes` as a download named `name` (an object URL clicked through a hidden link).
pub fn save_file(bytes: &[u8], mime: &str, name: &str) -> Result<(), wasm_bindgen::JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| wasm_bindgen::JsValue::from_str("no document"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}
