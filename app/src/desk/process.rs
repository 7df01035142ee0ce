//! `/desk/process` (设置 → 流程设置): the admin shapes the company's follow-up process — stages in
//! order, each with its names, roles, SOP checklist, SLA, customer texts and exit rules — as a
//! draft, sees what a publish changes and how many orders are in the affected stages, publishes
//! it with a note, restores an older version, and moves in-flight orders onto the current one.
//!
//! Every rule is the domain's (`domain::process_editor`): the problems shown next to each field
//! are the server's own checks, run before anything is sent; a refusal the server still gives is
//! shown next to the field it names. Versions live on the server, so editing needs the network;
//! everyone else (and an admin offline) sees the current process from the device, read-only.

use std::collections::BTreeMap;

use domain::{
    board::CardStatus,
    process_editor::{
        affected_stages, drop_target, process_changes, FieldProblem, ProcessEditor, StageForm,
        StageTemplate,
    },
    wire::{ProcessImpact, ProcessMapping, ProcessRestore},
    AttachmentKind, ExitRequirement, Lang, Localized, OrderField, ProcessVersion, Role, StageId,
};
use leptos::prelude::*;
use leptos_i18n::I18nContext;
use wasm_bindgen::JsCast;

use crate::{
    api::{self, ApiError},
    format,
    i18n::*,
    locale::current_lang,
    network::use_online,
    state::{use_app_state, AppState},
};

use super::team::RolePicker;

/// The page's state, shared by its parts (all signals, so it is `Copy`).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Drag {
    from: usize,
    to: usize,
}

/// The vertical middles of the draft's stage rows as drawn now, top to bottom.
fn stage_row_middles() -> Vec<f64> {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return Vec::new();
    };
    let Ok(rows) = document.query_selector_all(
        "[data-testid=process-editor] [data-testid=process-stages] > [data-testid=process-stage]",
    ) else {
        return Vec::new();
    };
    (0..rows.length())
        .filter_map(|i| rows.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::Element>().ok())
        .map(|row| {
            let rect = row.get_bounding_client_rect();
            rect.top() + rect.height() / 2.0
        })
        .collect()
}

#[derive(Clone, Copy)]
struct Editing {
    state: AppState,
    i18n: I18nContext<Locale>,
    /// The draft being edited; `None` until the versions are read (and again after a publish,
    /// so the next one starts from the new current version).
    editor: RwSignal<Option<ProcessEditor>>,
    /// The version the draft is based on (the current one when it was read).
    base: RwSignal<Option<ProcessVersion>>,
    /// The stage whose form is open, by key: one at a time, so every label is unique.
    open: RwSignal<Option<StageId>>,
    /// The last refusal from the server that named a field.
    server_problem: RwSignal<Option<FieldProblem>>,
    /// The answer to the last save or publish (`Err` is shown as an alert).
    outcome: RwSignal<Option<Result<String, String>>>,
    /// A 409: who published what meanwhile.
    conflict: RwSignal<Option<String>>,
    revision: RwSignal<u32>,
    /// A stage being dragged on a desk: where it was and where it would land now.
    drag: RwSignal<Option<Drag>>,
    /// Everything wrong with the draft now (local checks, then the server's last refusal).
    problems: Memo<Vec<FieldProblem>>,
}

impl Editing {
    fn lang(&self) -> Lang {
        current_lang(self.i18n)
    }

    fn token(&self) -> Option<String> {
        self.state
            .session
            .with_untracked(|session| session.as_ref().map(|session| session.token.clone()))
    }

    /// Every change to the draft goes through here: a refusal the server gave for the old
    /// draft no longer applies.
    fn edit(&self, change: impl FnOnce(&mut ProcessEditor)) {
        self.editor.update(|editor| {
            if let Some(editor) = editor {
                change(editor);
            }
        });
        self.server_problem.set(None);
        // "Fix the marked problems first" or a refusal is about the draft as it was.
        if self.outcome.with_untracked(|o| matches!(o, Some(Err(_)))) {
            self.outcome.set(None);
        }
    }

    fn stage_index(&self, key: &StageId) -> Option<usize> {
        self.editor.with(|editor| {
            editor
                .as_ref()
                .and_then(|e| e.stages.iter().position(|s| &s.id == key))
        })
    }

    fn with_stage<T>(&self, key: &StageId, read: impl FnOnce(&StageForm) -> T) -> Option<T> {
        self.editor.with(|editor| {
            editor
                .as_ref()
                .and_then(|e| e.stages.iter().find(|s| &s.id == key))
                .map(read)
        })
    }

    fn edit_stage(&self, key: &StageId, change: impl FnOnce(&mut StageForm)) {
        let key = key.clone();
        self.edit(move |editor| {
            if let Some(stage) = editor.stages.iter_mut().find(|s| s.id == key) {
                change(stage);
            }
        });
    }

    fn problems(&self) -> Vec<FieldProblem> {
        self.problems.get()
    }

    /// The message to show next to `field` (its own problem or one of its parts').
    fn problem_at(&self, field: &str) -> Option<String> {
        let lang = self.lang();
        // A Chinese text's input also shows what is said about the text as a whole (a
        // duplicate name), so it is shown once, next to the text people read first.
        let whole = field.strip_suffix(".zh");
        self.problems()
            .into_iter()
            .find(|p| p.is_about(field) || whole.is_some_and(|whole| p.field == whole))
            .map(|p| p.message.get(lang).to_string())
    }

    /// Shows a refusal: next to its field when it names one the screen has, else as an alert.
    fn refused(&self, problem: ApiError) {
        let lang = self.lang();
        match problem.field() {
            Some(field) => {
                self.server_problem.set(Some(FieldProblem {
                    field: field.to_string(),
                    message: Localized::new(problem.message(Lang::Zh), problem.message(Lang::En)),
                }));
                self.outcome.set(Some(Err(problem.message(lang))));
            }
            None => self.outcome.set(Some(Err(problem.message(lang)))),
        }
    }
}

#[component]
pub fn ProcessPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let is_admin = move || state.is_admin();
    let editor = RwSignal::new(None::<ProcessEditor>);
    let base = RwSignal::new(None::<ProcessVersion>);
    let server_problem = RwSignal::new(None::<FieldProblem>);
    let problems = Memo::new(move |_| {
        let mut problems = editor.with(|editor| {
            base.with(|base| match (editor, base) {
                (Some(editor), Some(base)) => editor.problems(base),
                _ => Vec::new(),
            })
        });
        if let Some(problem) = server_problem.get() {
            problems.insert(0, problem);
        }
        problems
    });
    let editing = Editing {
        state,
        i18n,
        editor,
        base,
        open: RwSignal::new(None),
        server_problem,
        outcome: RwSignal::new(None),
        conflict: RwSignal::new(None),
        revision: RwSignal::new(0),
        drag: RwSignal::new(None),
        problems,
    };
    let overview = LocalResource::new(move || {
        editing.revision.track();
        let token = state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
            .filter(|_| is_admin() && online.get());
        async move {
            match token {
                Some(token) => Some(api::process_overview(&token).await),
                None => None,
            }
        }
    });
    // The versions as read from the server: the base, and the draft when there is none yet (the
    // saved draft if it is still based on the current version).
    Effect::new(move || {
        let Some(Some(Ok(overview))) = overview.get() else {
            return;
        };
        let Some(current) = overview.versions.last().cloned() else {
            return;
        };
        editing.editor.update(|editor| {
            if editor.is_none() {
                *editor = Some(match &overview.draft {
                    Some(draft) if draft.base_version == current.number => {
                        ProcessEditor::from_draft(draft)
                    }
                    _ => ProcessEditor::from_version(&current),
                });
            }
        });
        editing.base.set(Some(current));
    });
    view! {
        <section class="page process stack">
            <h1>{t!(i18n, process_title)}</h1>
            <p class="hint">{t!(i18n, process_intro)}</p>
            // Working-day SLAs count on the company's holiday calendar, kept on its own page.
            <p><a href="/desk/holidays" class="button secondary" data-testid="holidays-link">{t!(i18n, process_holidays_link)}</a></p>
            {move || {
                if !is_admin() {
                    return view! {
                        <p class="notice" data-testid="process-read-only">{t!(i18n, process_read_only)}</p>
                        <ReadOnlyProcess />
                    }
                    .into_any();
                }
                if !online.get() {
                    return view! {
                        <p class="notice notice-warn" data-testid="process-offline">{t!(i18n, process_needs_network)}</p>
                        <ReadOnlyProcess />
                    }
                    .into_any();
                }
                match overview.get().flatten() {
                    None => view! { <p class="hint">{t!(i18n, process_loading)}</p> }.into_any(),
                    Some(Err(problem)) => view! {
                        <p class="notice notice-warn" role="alert">{problem.message(current_lang(i18n))}</p>
                    }
                    .into_any(),
                    Some(Ok(overview)) => view! {
                        <Editor editing />
                        <Migration editing versions=overview.versions.clone() />
                        <History editing versions=overview.versions />
                    }
                    .into_any(),
                }
            }}
        </section>
    }
}

/// The current process as this device holds it: what everyone follows, read-only.
#[component]
fn ReadOnlyProcess() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let lang = move || current_lang(i18n);
    move || {
        // The versions are read from storage after the first render and change with pulls
        // (which also change the cards): drawn again on either.
        state.status.track();
        state.cards.track();
        let current = state.processes().current().clone();
        view! {
            <p class="hint">{t_string!(i18n, process_current_version, number = current.number).to_string()}</p>
            <ol class="process-stages" data-testid="process-stages">
                {current.stages.into_iter().map(|stage| {
                    let days = stage.sla_days;
                    let working = stage.sla_working_days;
                    view! {
                        <li class="process-stage" data-testid="process-stage">
                            <div class="process-stage-head">
                                <strong class="process-stage-name">{stage.name.get(lang()).to_string()}</strong>
                                <span class="hint">{if working { t_string!(i18n, process_stage_sla_working, days = days).to_string() } else { t_string!(i18n, process_stage_sla, days = days).to_string() }}</span>
                            </div>
                            <ul class="process-items">
                                {stage.checklist.iter().map(|item| {
                                    let required = item.required;
                                    view! {
                                        <li>
                                            {item.label.get(lang()).to_string()}
                                            {required.then(|| view! { " " <span class="badge badge-required">{t!(i18n, checklist_required)}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
    }
}

#[component]
fn Editor(editing: Editing) -> impl IntoView {
    let i18n = editing.i18n;
    let keys = move || {
        editing.editor.with(|editor| {
            editor
                .as_ref()
                .map(|e| e.stages.iter().map(|s| s.id.clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    // Problems of the whole draft (no stage left, a deleted stage) have no field of their own;
    // nor do archived stages (edited, then archived), which the screen shows without inputs.
    let whole_draft_problem = move || {
        editing
            .problems
            .get()
            .into_iter()
            .find(|p| p.field == "stages" || p.is_about("archived") || p.field == "base_version")
            .map(|p| p.message.get(editing.lang()).to_string())
    };
    view! {
        <section class="stack" data-testid="process-editor">
            <div class="page-head">
                <h2>{t!(i18n, process_draft_title)}</h2>
                <span class="hint" data-testid="process-base">
                    {move || editing.base.get().map(|base| t_string!(i18n, process_current_version, number = base.number).to_string())}
                </span>
            </div>
            {move || whole_draft_problem().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <ol class="process-stages" data-testid="process-stages">
                <For each=keys key=|key| key.clone() let:key>
                    <StageRow editing key />
                </For>
            </ol>
            <AddStage editing />
            <Archived editing />
            <CustomerPreview editing />
            <Publish editing />
        </section>
    }
}

/// One stage in the list: its name, where it stands, the buttons to move, edit and archive it,
/// and its form when open.
#[component]
fn StageRow(editing: Editing, key: StageId) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let index = {
        let key = key.clone();
        Signal::derive(move || editing.stage_index(&key).unwrap_or(0))
    };
    let is_last = move || {
        editing
            .editor
            .with(|e| e.as_ref().map_or(0, |e| e.stages.len()))
            <= index.get() + 1
    };
    let name = {
        let key = key.clone();
        Signal::derive(move || {
            editing
                .with_stage(&key, |s| {
                    let name = s.name.get(lang()).trim().to_string();
                    if name.is_empty() {
                        s.id.to_string()
                    } else {
                        name
                    }
                })
                .unwrap_or_default()
        })
    };
    let sla = {
        let key = key.clone();
        Signal::derive(move || {
            editing
                .with_stage(&key, |s| (s.sla_days.clone(), s.sla_working_days))
                .unwrap_or_default()
        })
    };
    let is_open = {
        let key = key.clone();
        Signal::derive(move || editing.open.with(|open| open.as_ref() == Some(&key)))
    };
    let problem = move || editing.problem_at(&format!("stages[{}]", index.get()));
    let toggle = {
        let key = key.clone();
        move |_| {
            editing.open.update(|open| {
                *open = if open.as_ref() == Some(&key) {
                    None
                } else {
                    Some(key.clone())
                };
            })
        }
    };
    let archive = {
        let key = key.clone();
        move |_| {
            if let Some(at) = editing.stage_index(&key) {
                let base = editing.base.get_untracked();
                editing.edit(|e| {
                    if let Some(base) = &base {
                        e.archive(base, at);
                    }
                });
                editing.open.set(None);
            }
        }
    };
    let data_key = key.to_string();
    // Drag and drop by the handle (pointer events, so mouse, pen and touch alike); the handle
    // holds the pointer until it is let go, and the stage lands where `drop_target` says.
    let start_drag = move |event: web_sys::PointerEvent| {
        if let Some(handle) = event
            .current_target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        {
            let _ = handle.set_pointer_capture(event.pointer_id());
        }
        event.prevent_default();
        let from = index.get_untracked();
        editing.drag.set(Some(Drag { from, to: from }));
    };
    let follow_drag = move |event: web_sys::PointerEvent| {
        let Some(drag) = editing.drag.get_untracked() else {
            return;
        };
        let to = drop_target(&stage_row_middles(), drag.from, f64::from(event.client_y()));
        if to != drag.to {
            editing.drag.set(Some(Drag { to, ..drag }));
        }
    };
    let end_drag = move |_: web_sys::PointerEvent| {
        if let Some(drag) = editing.drag.get_untracked() {
            editing.drag.set(None);
            if drag.to != drag.from {
                editing.edit(|e| e.move_to(drag.from, drag.to));
            }
        }
    };
    let is_dragged = move || editing.drag.get().is_some_and(|d| d.from == index.get());
    let is_drop_target = move || {
        editing
            .drag
            .get()
            .is_some_and(|d| d.from != d.to && d.to == index.get())
    };
    view! {
        <li class="process-stage" class:dragging=is_dragged class:drop-target=is_drop_target data-testid="process-stage" data-key=data_key data-name=name>
            <div class="process-stage-head">
                <span
                    class="drag-handle"
                    data-testid="drag-handle"
                    aria-hidden="true"
                    title=move || t_string!(i18n, process_drag).to_string()
                    on:pointerdown=start_drag
                    on:pointermove=follow_drag
                    on:pointerup=end_drag
                    on:pointercancel=move |_| editing.drag.set(None)
                >"⠿"</span>
                <span class="process-stage-number">{move || index.get() + 1}</span>
                <strong class="process-stage-name">{name}</strong>
                <span class="hint">{move || {
                    let (days, working) = sla.get();
                    if working { t_string!(i18n, process_stage_sla_working, days = days).to_string() } else { t_string!(i18n, process_stage_sla, days = days).to_string() }
                }}</span>
            </div>
            {move || problem().filter(|_| !is_open.get()).map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <div class="button-row process-stage-actions">
                <button type="button" class="secondary" disabled=move || index.get() == 0 on:click=move |_| { let at = index.get(); editing.edit(|e| e.move_up(at)); }>
                    {t!(i18n, process_move_up)}
                </button>
                <button type="button" class="secondary" disabled=is_last on:click=move |_| { let at = index.get(); editing.edit(|e| e.move_down(at)); }>
                    {t!(i18n, process_move_down)}
                </button>
                <button type="button" class="secondary" aria-expanded=move || is_open.get().to_string() on:click=toggle>
                    {move || if is_open.get() { t_string!(i18n, process_close).to_string() } else { t_string!(i18n, process_edit).to_string() }}
                </button>
                <button type="button" class="secondary" on:click=archive>{t!(i18n, process_archive)}</button>
            </div>
            <Show when=move || is_open.get()>
                <StageEditor editing key=key.clone() />
            </Show>
        </li>
    }
}

/// A labelled input bound to one text of the open stage, with the problem of `field` under it.
#[component]
fn StageText(
    editing: Editing,
    id: String,
    #[prop(into)] label: Signal<String>,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(into)] field: Signal<String>,
    #[prop(optional)] multiline: bool,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let error = move || editing.problem_at(&field.get());
    let input_id = id.clone();
    let input = if multiline {
        view! {
            <textarea
                id=input_id
                rows="3"
                aria-invalid=move || error().is_some().then_some("true")
                prop:value=value
                on:input=move |event| on_input.run(event_target_value(&event))
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=input_id
                type=kind
                inputmode=(kind == "text" && id.ends_with("sla")).then_some("numeric")
                aria-invalid=move || error().is_some().then_some("true")
                prop:value=value
                on:input=move |event| on_input.run(event_target_value(&event))
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {input}
            {move || error().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
        </div>
    }
}

/// The open stage's form: every setting a stage has.
#[component]
fn StageEditor(editing: Editing, key: StageId) -> impl IntoView {
    let i18n = editing.i18n;
    let at = {
        let key = key.clone();
        move || format!("stages[{}]", editing.stage_index(&key).unwrap_or(0))
    };
    // One text of the stage: how to read it and how to write it.
    let text = {
        let key = key.clone();
        move |read: fn(&StageForm) -> String, write: fn(&mut StageForm, String)| {
            let (read_key, write_key) = (key.clone(), key.clone());
            (
                Signal::derive(move || editing.with_stage(&read_key, read).unwrap_or_default()),
                Callback::new(move |value: String| {
                    editing.edit_stage(&write_key, |s| write(s, value))
                }),
            )
        }
    };
    let field = {
        let at = at.clone();
        move |suffix: &'static str| {
            let at = at.clone();
            Signal::derive(move || format!("{}{suffix}", at()))
        }
    };
    let id = |name: &str| format!("process-{name}");
    let (name_zh, set_name_zh) = text(|s| s.name.zh.clone(), |s, v| s.name.zh = v);
    let (name_en, set_name_en) = text(|s| s.name.en.clone(), |s, v| s.name.en = v);
    let (sla, set_sla) = text(|s| s.sla_days.clone(), |s, v| s.sla_days = v);
    let (label_zh, set_label_zh) = text(
        |s| s.customer_label.zh.clone(),
        |s, v| s.customer_label.zh = v,
    );
    let (label_en, set_label_en) = text(
        |s| s.customer_label.en.clone(),
        |s, v| s.customer_label.en = v,
    );
    let (message_zh, set_message_zh) = text(
        |s| s.customer_message.zh.clone(),
        |s, v| s.customer_message.zh = v,
    );
    let (message_en, set_message_en) = text(
        |s| s.customer_message.en.clone(),
        |s, v| s.customer_message.en = v,
    );
    let label = |text: fn(I18nContext<Locale>) -> String| Signal::derive(move || text(i18n));
    let roles_key = key.clone();
    let set_roles_key = key.clone();
    let is_on = Callback::new(move |role: Role| {
        editing
            .with_stage(&roles_key, |s| s.responsible.contains(&role))
            .unwrap_or(false)
    });
    let set_role = Callback::new(move |(role, on): (Role, bool)| {
        editing.edit_stage(&set_roles_key, |s| s.set_role(role, on))
    });
    let roles_problem = {
        let at = at.clone();
        move || editing.problem_at(&format!("{}.responsible", at()))
    };
    view! {
        <div class="process-stage-form stack" data-testid="stage-form">
            <StageText editing id=id("name-zh") label=label(|i18n| t_string!(i18n, process_name_zh).to_string()) value=name_zh on_input=set_name_zh field=field(".name.zh") />
            <StageText editing id=id("name-en") label=label(|i18n| t_string!(i18n, process_name_en).to_string()) value=name_en on_input=set_name_en field=field(".name.en") />
            <RolePicker id="process-roles".to_string() is_on set=set_role />
            {move || roles_problem().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <StageText editing id=id("sla") label=label(|i18n| t_string!(i18n, process_sla).to_string()) value=sla on_input=set_sla field=field(".sla_days") />
            <StageCheck editing key=key.clone() id="process-sla-working".to_string()
                label=label(|i18n| t_string!(i18n, process_sla_working).to_string())
                read=|s| s.sla_working_days write=|s, on| s.sla_working_days = on />
            <Checklist editing key=key.clone() />
            <StageText editing id=id("label-zh") label=label(|i18n| t_string!(i18n, process_customer_label_zh).to_string()) value=label_zh on_input=set_label_zh field=field(".customer_label.zh") />
            <StageText editing id=id("label-en") label=label(|i18n| t_string!(i18n, process_customer_label_en).to_string()) value=label_en on_input=set_label_en field=field(".customer_label.en") />
            <StageText editing id=id("message-zh") multiline=true label=label(|i18n| t_string!(i18n, process_customer_message_zh).to_string()) value=message_zh on_input=set_message_zh field=field(".customer_message.zh") />
            <StageText editing id=id("message-en") multiline=true label=label(|i18n| t_string!(i18n, process_customer_message_en).to_string()) value=message_en on_input=set_message_en field=field(".customer_message.en") />
            <StageCheck editing key=key.clone() id="process-notify".to_string()
                label=label(|i18n| t_string!(i18n, process_notify_customer).to_string())
                read=|s| s.notify_customer write=|s, on| s.notify_customer = on />
            <fieldset class="role-picker">
                <legend>{t!(i18n, process_exit_title)}</legend>
                <StageCheck editing key=key.clone() id="process-exit-shipment".to_string()
                    label=label(|i18n| t_string!(i18n, process_exit_shipment).to_string())
                    read=|s| s.exit_requirements.contains(&ExitRequirement::Shipment)
                    write=|s, on| s.set_exit_requirement(ExitRequirement::Shipment, on) />
                <StageCheck editing key=key.clone() id="process-exit-invoice".to_string()
                    label=label(|i18n| t_string!(i18n, process_exit_invoice).to_string())
                    read=|s| s.exit_requirements.contains(&ExitRequirement::Invoice)
                    write=|s, on| s.set_exit_requirement(ExitRequirement::Invoice, on) />
            </fieldset>
            <fieldset class="role-picker" data-testid="required-fields">
                <legend>{t!(i18n, process_required_fields)}</legend>
                {OrderField::ALL.into_iter().map(|field| view! {
                    <StageCheck editing key=key.clone() id=format!("process-field-{}", field.key())
                        label=Signal::derive(move || field.label().get(editing.lang()).to_string())
                        read=move |s| s.required_fields.contains(&field)
                        write=move |s, on| s.set_required_field(field, on) />
                }).collect_view()}
            </fieldset>
            <StageCheck editing key=key.clone() id="process-skippable".to_string()
                label=label(|i18n| t_string!(i18n, process_skippable).to_string())
                read=|s| s.skippable write=|s, on| s.skippable = on />
        </div>
    }
}

/// One yes/no setting of the open stage as a checkbox with its label: `read` says whether it
/// is on, `write` turns it on or off.
#[component]
fn StageCheck(
    editing: Editing,
    key: StageId,
    id: String,
    label: Signal<String>,
    read: impl Fn(&StageForm) -> bool + Copy + Send + Sync + 'static,
    write: impl Fn(&mut StageForm, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let read_key = key.clone();
    let label_for = id.clone();
    view! {
        <label class="check" for=label_for>
            <input
                id=id
                type="checkbox"
                prop:checked=move || editing.with_stage(&read_key, read).unwrap_or(false)
                on:change=move |event| {
                    let on = event_target_checked(&event);
                    editing.edit_stage(&key, |s| write(s, on));
                }
            />
            <span>{label}</span>
        </label>
    }
}

/// The open stage's SOP checklist: each item's text in both languages, add and remove.
#[component]
fn Checklist(editing: Editing, key: StageId) -> impl IntoView {
    let i18n = editing.i18n;
    let ids = {
        let key = key.clone();
        move || {
            editing
                .with_stage(&key, |s| {
                    s.checklist.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
    };
    let add_key = key.clone();
    let list_problem = {
        let key = key.clone();
        move || {
            let at = editing.stage_index(&key).unwrap_or(0);
            let field = format!("stages[{at}].checklist");
            editing
                .problems()
                .into_iter()
                .find(|p| p.field == field)
                .map(|p| p.message.get(editing.lang()).to_string())
        }
    };
    view! {
        <fieldset class="process-checklist stack" data-testid="stage-checklist">
            <legend>{t!(i18n, process_checklist)}</legend>
            <For each=ids key=|id| id.clone() let:item>
                <ChecklistItem editing key=key.clone() item />
            </For>
            {move || list_problem().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <button type="button" class="secondary" on:click=move |_| {
                let base = editing.base.get_untracked();
                if let (Some(at), Some(base)) = (editing.stage_index(&add_key), base) {
                    editing.edit(|e| e.add_item(&base, at));
                }
            }>{t!(i18n, process_item_add)}</button>
        </fieldset>
    }
}

#[component]
fn ChecklistItem(editing: Editing, key: StageId, item: String) -> impl IntoView {
    let i18n = editing.i18n;
    let position = {
        let (key, item) = (key.clone(), item.clone());
        Signal::derive(move || {
            editing
                .with_stage(&key, |s| s.checklist.iter().position(|i| i.id == item))
                .flatten()
                .unwrap_or(0)
        })
    };
    let text = |read: fn(&Localized) -> String, write: fn(&mut Localized, String)| {
        let (read_key, read_item, write_key, write_item) =
            (key.clone(), item.clone(), key.clone(), item.clone());
        (
            Signal::derive(move || {
                editing
                    .with_stage(&read_key, |s| {
                        s.checklist
                            .iter()
                            .find(|i| i.id == read_item)
                            .map(|i| read(&i.label))
                    })
                    .flatten()
                    .unwrap_or_default()
            }),
            Callback::new(move |value: String| {
                let write_item = write_item.clone();
                editing.edit_stage(&write_key, move |s| {
                    if let Some(i) = s.checklist.iter_mut().find(|i| i.id == write_item) {
                        write(&mut i.label, value);
                    }
                })
            }),
        )
    };
    let (zh, set_zh) = text(|l| l.zh.clone(), |l, v| l.zh = v);
    let (en, set_en) = text(|l| l.en.clone(), |l, v| l.en = v);
    let field = {
        let key = key.clone();
        move |suffix: &'static str| {
            let key = key.clone();
            Signal::derive(move || {
                format!(
                    "stages[{}].checklist[{}]{suffix}",
                    editing.stage_index(&key).unwrap_or(0),
                    position.get()
                )
            })
        }
    };
    let label_zh = Signal::derive(move || {
        t_string!(i18n, process_item_zh, n = position.get() + 1).to_string()
    });
    let label_en = Signal::derive(move || {
        t_string!(i18n, process_item_en, n = position.get() + 1).to_string()
    });
    let remove_key = key.clone();
    let (required_read, required_write, required_item) = (key.clone(), key.clone(), item.clone());
    let required_id = format!("process-item-{item}-required");
    let required_for = required_id.clone();
    let is_required = {
        let item = item.clone();
        move || {
            editing
                .with_stage(&required_read, |s| {
                    s.checklist.iter().any(|i| i.id == item && i.required)
                })
                .unwrap_or(false)
        }
    };
    let (evidence_read, evidence_write, evidence_item) = (key.clone(), key.clone(), item.clone());
    let evidence_id = format!("process-item-{item}-evidence");
    let evidence_for = evidence_id.clone();
    let evidence = {
        let item = item.clone();
        move || {
            editing
                .with_stage(&evidence_read, |s| {
                    s.checklist
                        .iter()
                        .find(|i| i.id == item)
                        .and_then(|i| i.evidence)
                })
                .flatten()
        }
    };
    let lang = move || editing.lang();
    view! {
        <div class="process-item" data-testid="checklist-item">
            <StageText editing id=format!("process-item-{item}-zh") label=label_zh value=zh on_input=set_zh field=field(".label.zh") />
            <StageText editing id=format!("process-item-{item}-en") label=label_en value=en on_input=set_en field=field(".label.en") />
            <label class="check" for=required_for>
                <input
                    id=required_id
                    type="checkbox"
                    data-testid="checklist-item-required"
                    prop:checked=is_required
                    on:change=move |event| {
                        let on = event_target_checked(&event);
                        let item = required_item.clone();
                        editing.edit_stage(&required_write, move |s| s.set_item_required(&item, on));
                    }
                />
                <span>{t!(i18n, process_item_required)}</span>
            </label>
            <div class="field">
            <label for=evidence_for>{t!(i18n, process_item_evidence)}</label>
            <select
                id=evidence_id
                data-testid="checklist-item-evidence"
                on:change=move |event| {
                    let kind = AttachmentKind::from_key(&event_target_value(&event));
                    let item = evidence_item.clone();
                    editing.edit_stage(&evidence_write, move |s| s.set_item_evidence(&item, kind));
                }
            >
                <option value="" selected={let evidence = evidence.clone(); move || evidence().is_none()}>
                    {t!(i18n, process_item_evidence_none)}
                </option>
                {AttachmentKind::ALL.into_iter().map(|kind| {
                    let evidence = evidence.clone();
                    view! {
                        <option value=kind.key() selected=move || evidence() == Some(kind)>
                            {move || t_string!(i18n, process_item_evidence_photo, kind = kind.label(lang())).to_string()}
                        </option>
                    }
                }).collect_view()}
            </select>
            </div>
            <button type="button" class="secondary" on:click=move |_| {
                if let Some(at) = editing.stage_index(&remove_key) {
                    let item = position.get_untracked();
                    editing.edit(|e| e.remove_item(at, item));
                }
            }>{t!(i18n, process_item_remove)}</button>
        </div>
    }
}

/// Adds a stage, blank or from a template, after a chosen stage; its form opens.
#[component]
fn AddStage(editing: Editing) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let template = RwSignal::new(String::new());
    // The stage to place the new one after, by key ("" = at the start); the last one at first.
    let after = RwSignal::new(None::<String>);
    let stages = move || {
        editing.editor.with(|editor| {
            editor
                .as_ref()
                .map(|e| {
                    e.stages
                        .iter()
                        .map(|s| (s.id.to_string(), s.name.get(lang()).to_string()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let chosen_after = move || {
        after.get().unwrap_or_else(|| {
            stages()
                .last()
                .map(|(key, _)| key.clone())
                .unwrap_or_default()
        })
    };
    let add = move |_| {
        let Some(base) = editing.base.get_untracked() else {
            return;
        };
        let template = StageTemplate::ALL
            .into_iter()
            .find(|t| t.key() == template.get_untracked());
        let after_key = chosen_after();
        let mut opened = None;
        editing.edit(|e| {
            let after = e.stages.iter().position(|s| s.id == after_key.as_str());
            let at = e.add_stage(&base, template, after);
            opened = Some(e.stages[at].id.clone());
        });
        editing.open.set(opened);
    };
    view! {
        <fieldset class="process-add stack" data-testid="add-stage">
            <legend>{t!(i18n, process_add_title)}</legend>
            <div class="field">
                <label for="process-template">{t!(i18n, process_template)}</label>
                <select id="process-template" on:change=move |event| template.set(event_target_value(&event))>
                    <option value="" selected=true>{t!(i18n, process_template_blank)}</option>
                    {StageTemplate::ALL.into_iter().map(|t| view! {
                        <option value=t.key()>{move || t.name().get(lang()).to_string()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="process-after">{t!(i18n, process_add_after)}</label>
                <select id="process-after" prop:value=chosen_after on:change=move |event| after.set(Some(event_target_value(&event)))>
                    <option value="">{t!(i18n, process_add_first)}</option>
                    {move || stages().into_iter().map(|(key, name)| view! { <option value=key.clone() selected=chosen_after() == key>{name}</option> }).collect_view()}
                </select>
            </div>
            <button type="button" class="secondary" on:click=add>{t!(i18n, process_add)}</button>
        </fieldset>
    }
}

#[component]
fn Archived(editing: Editing) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let archived = move || {
        editing.editor.with(|editor| {
            editor
                .as_ref()
                .map(|e| {
                    e.archived
                        .iter()
                        .map(|s| s.name.get(lang()).to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    move || {
        let list = archived();
        (!list.is_empty()).then(|| view! {
            <section class="stack" data-testid="archived-stages">
                <h3>{t!(i18n, process_archived_title)}</h3>
                <p class="hint">{t!(i18n, process_archived_hint)}</p>
                <ul class="process-stages">
                    {list.into_iter().enumerate().map(|(at, name)| view! {
                        <li class="process-stage" data-testid="archived-stage">
                            <div class="process-stage-head"><strong class="process-stage-name">{name}</strong></div>
                            <button type="button" class="secondary" on:click=move |_| editing.edit(|e| e.restore(at))>
                                {t!(i18n, process_restore_stage)}
                            </button>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// The stage names the customer page will show, in order.
#[component]
fn CustomerPreview(editing: Editing) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let labels = move || {
        editing.editor.with(|editor| {
            editor
                .as_ref()
                .map(|e| {
                    e.stages
                        .iter()
                        .map(|s| s.customer_label.get(lang()).to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="stack" data-testid="customer-preview">
            <h3>{t!(i18n, process_customer_preview)}</h3>
            <ol class="process-customer-steps">
                {move || labels().into_iter().map(|label| view! { <li>{label}</li> }).collect_view()}
            </ol>
        </section>
    }
}

/// What the publish changes and how many orders are in the affected stages (from this device's
/// orders), the note, save and publish, and a conflict with the way out of it.
#[component]
fn Publish(editing: Editing) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let draft_version = move || {
        let base = editing.base.get()?;
        let draft = editing
            .editor
            .with(|e| e.as_ref().and_then(|e| e.as_version(&base)))?;
        Some((base, draft))
    };
    let changes = move || {
        draft_version()
            .map(|(base, draft)| {
                process_changes(&base, &draft)
                    .iter()
                    .map(|c| c.sentence(lang()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let affected = move || {
        let Some((base, draft)) = draft_version() else {
            return Vec::new();
        };
        let mut counts: BTreeMap<StageId, u32> = BTreeMap::new();
        editing.state.cards.with(|cards| {
            for card in cards.values().filter(|c| c.status == CardStatus::Active) {
                *counts.entry(card.stage.clone()).or_default() += 1;
            }
        });
        affected_stages(&base, &draft)
            .into_iter()
            .filter_map(|key| {
                let count = counts.get(&key).copied().unwrap_or(0);
                let name = base
                    .stages
                    .iter()
                    .find(|s| s.id == key)?
                    .name
                    .get(lang())
                    .to_string();
                (count > 0).then_some((name, count))
            })
            .collect::<Vec<_>>()
    };
    let note_problem = move || editing.problem_at("note");
    let send = move |publish: bool| {
        let Some(token) = editing.token() else {
            return;
        };
        editing.conflict.set(None);
        if publish && !editing.problems().is_empty() {
            editing
                .outcome
                .set(Some(Err(t_string!(i18n, process_fix_first).to_string())));
            return;
        }
        let Some(input) = editing
            .editor
            .with_untracked(|e| e.as_ref().map(|e| e.to_input(publish)))
        else {
            return;
        };
        editing.outcome.set(None);
        leptos::task::spawn_local(async move {
            if publish {
                match api::publish_process(&token, &input).await {
                    Ok(published) => {
                        let number = published.version.number;
                        editing.outcome.set(Some(Ok(t_string!(
                            i18n,
                            process_published,
                            number = number
                        )
                        .to_string())));
                        editing.editor.set(None);
                        editing.open.set(None);
                        editing.revision.update(|n| *n += 1);
                    }
                    Err(problem) if problem.code() == Some("process_conflict") => {
                        editing.conflict.set(Some(problem.message(editing.lang())));
                    }
                    Err(problem) => editing.refused(problem),
                }
            } else {
                match api::save_process_draft(&token, &input).await {
                    Ok(_) => editing
                        .outcome
                        .set(Some(Ok(t_string!(i18n, process_saved).to_string()))),
                    Err(problem) => editing.refused(problem),
                }
            }
        });
    };
    let rebase = move |_| {
        let Some(token) = editing.token() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match api::process_overview(&token).await {
                Ok(overview) => {
                    let Some(current) = overview.versions.last().cloned() else {
                        return;
                    };
                    let number = current.number;
                    editing.edit(|e| e.rebase(&current));
                    editing.base.set(Some(current));
                    editing.conflict.set(None);
                    editing.outcome.set(Some(Ok(t_string!(
                        i18n,
                        process_rebased,
                        number = number
                    )
                    .to_string())));
                    editing.revision.update(|n| *n += 1);
                }
                Err(problem) => editing.refused(problem),
            }
        });
    };
    view! {
        <section class="stack" data-testid="process-publish">
            <h3>{t!(i18n, process_impact_title)}</h3>
            <div data-testid="process-impact">
                {move || {
                    let changes = changes();
                    if changes.is_empty() {
                        view! { <p class="hint">{t!(i18n, process_no_changes)}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="process-changes">
                                {changes.into_iter().map(|sentence| view! { <li>{sentence}</li> }).collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                }}
                {move || {
                    let rows = affected();
                    (!rows.is_empty()).then(|| view! {
                        <p class="hint">{t!(i18n, process_impact_orders)}</p>
                        <ul class="process-changes" data-testid="process-impact-orders">
                            {rows.into_iter().map(|(stage, count)| view! {
                                <li>{t_string!(i18n, process_impact_row, stage = stage, count = count).to_string()}</li>
                            }).collect_view()}
                        </ul>
                    })
                }}
            </div>
            <div class="field">
                <label for="process-note">{t!(i18n, process_note)}</label>
                <textarea
                    id="process-note"
                    rows="2"
                    aria-invalid=move || note_problem().is_some().then_some("true")
                    prop:value=move || editing.editor.with(|e| e.as_ref().map(|e| e.note.clone()).unwrap_or_default())
                    on:input=move |event| {
                        let note = event_target_value(&event);
                        editing.edit(|e| e.note = note);
                    }
                ></textarea>
                {move || note_problem().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            </div>
            {move || editing.conflict.get().map(|message| view! {
                <div class="notice notice-warn stack" role="alert" data-testid="process-conflict">
                    <p>{message}</p>
                    <button type="button" class="primary" on:click=rebase>{t!(i18n, process_conflict_rebase)}</button>
                </div>
            })}
            {move || editing.outcome.get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="hint" role="status" data-testid="process-outcome">{text}</p> }.into_any(),
                Err(text) => view! { <p class="field-error" role="alert" data-testid="process-outcome">{text}</p> }.into_any(),
            })}
            <div class="button-row">
                <button type="button" class="secondary" on:click=move |_| send(false)>{t!(i18n, process_save_draft)}</button>
                <button type="button" class="primary" on:click=move |_| send(true)>{t!(i18n, process_publish)}</button>
            </div>
        </section>
    }
}

/// Moves in-flight orders of older versions onto the current one: a target for every stage the
/// current version no longer has, the server's preview, then the move.
#[component]
fn Migration(editing: Editing, versions: Vec<ProcessVersion>) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let Some(current) = versions.last().cloned() else {
        return ().into_any();
    };
    if versions.len() < 2 {
        return ().into_any();
    }
    // Stages older versions have that the current one does not: their orders need a target.
    let mut gone: Vec<(StageId, Localized)> = Vec::new();
    for version in &versions[..versions.len() - 1] {
        for stage in &version.stages {
            if !current.stages.iter().any(|s| s.id == stage.id)
                && !gone.iter().any(|(k, _)| *k == stage.id)
            {
                gone.push((stage.id.clone(), stage.name.clone()));
            }
        }
    }
    let names: BTreeMap<StageId, Localized> = versions
        .iter()
        .flat_map(|v| v.stages.iter().chain(&v.archived))
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    let names = StoredValue::new(names);
    let targets: Vec<(StageId, String)> = current
        .stages
        .iter()
        .map(|s| (s.id.clone(), s.name.get(lang()).to_string()))
        .collect();
    let mapping = RwSignal::new(BTreeMap::<StageId, StageId>::new());
    let preview = RwSignal::new(None::<Result<ProcessImpact, String>>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let field_problem = RwSignal::new(None::<(String, String)>);
    let number = current.number;
    let call = move |run: bool| {
        let Some(token) = editing.token() else {
            return;
        };
        let body = ProcessMapping {
            mapping: mapping.get_untracked(),
        };
        field_problem.set(None);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let lang = editing.lang();
            let refused = move |problem: ApiError| {
                if let Some(field) = problem.field() {
                    field_problem.set(Some((field.to_string(), problem.message(lang))));
                }
                problem.message(lang)
            };
            if !run {
                let answer = api::preview_migration(&token, &body).await;
                preview.set(Some(answer.map_err(refused)));
                return;
            }
            let mut moved = 0;
            // Each call moves a bounded number of orders; the server says how many remain.
            for _ in 0..200 {
                match api::migrate_orders(&token, &body).await {
                    Ok(answer) => {
                        moved += answer.moved;
                        if answer.remaining == 0 || answer.moved == 0 {
                            break;
                        }
                    }
                    Err(problem) => {
                        outcome.set(Some(Err(refused(problem))));
                        return;
                    }
                }
            }
            outcome.set(Some(Ok(t_string!(
                i18n,
                process_migrated,
                count = moved,
                number = number
            )
            .to_string())));
            preview.set(None);
        });
    };
    let stage_name = move |key: &StageId| {
        names.with_value(|names| {
            names
                .get(key)
                .map(|n| n.get(lang()).to_string())
                .unwrap_or_else(|| key.to_string())
        })
    };
    view! {
        <section class="stack" data-testid="process-migrate">
            <h2>{t!(i18n, process_migrate_title)}</h2>
            <p class="hint">{t!(i18n, process_migrate_hint)}</p>
            {gone.into_iter().map(|(key, name)| {
                let input_id = format!("process-map-{key}");
                let field = format!("mapping.{key}");
                let targets = targets.clone();
                let write_key = key.clone();
                view! {
                    <div class="field">
                        <label for=input_id.clone()>{move || t_string!(i18n, process_migrate_target, stage = name.get(lang()).to_string()).to_string()}</label>
                        <select id=input_id on:change=move |event| {
                            let value = event_target_value(&event);
                            mapping.update(|m| {
                                if value.is_empty() { m.remove(&write_key); } else { m.insert(write_key.clone(), StageId(value)); }
                            });
                        }>
                            <option value="">{t!(i18n, process_migrate_choose)}</option>
                            {targets.into_iter().map(|(key, name)| view! { <option value=key.to_string()>{name}</option> }).collect_view()}
                        </select>
                        {move || field_problem.get().filter(|(f, _)| *f == field).map(|(_, message)| view! { <p class="field-error" role="alert">{message}</p> })}
                    </div>
                }
            }).collect_view()}
            {move || preview.get().map(|answer| match answer {
                Ok(impact) if impact.total == 0 => view! { <p class="hint" data-testid="migrate-preview">{t!(i18n, process_migrate_none)}</p> }.into_any(),
                Ok(impact) => view! {
                    <ul class="process-changes" data-testid="migrate-preview">
                        {impact.rows.into_iter().map(|row| view! {
                            <li>{t_string!(i18n, process_migrate_row, version = row.from_version, from = stage_name(&row.from_stage), to = stage_name(&row.to_stage), count = row.orders).to_string()}</li>
                        }).collect_view()}
                    </ul>
                }
                .into_any(),
                Err(text) => view! { <p class="field-error" role="alert" data-testid="migrate-preview">{text}</p> }.into_any(),
            })}
            {move || outcome.get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="hint" role="status" data-testid="migrate-outcome">{text}</p> }.into_any(),
                Err(text) => view! { <p class="field-error" role="alert" data-testid="migrate-outcome">{text}</p> }.into_any(),
            })}
            <div class="button-row">
                <button type="button" class="secondary" on:click=move |_| call(false)>{t!(i18n, process_migrate_preview)}</button>
                <button type="button" class="primary" on:click=move |_| call(true)>{t!(i18n, process_migrate_run)}</button>
            </div>
        </section>
    }
    .into_any()
}

/// Every published version, newest first: who, when, the note, what changed from the one
/// before, and "restore" (publish a copy of it).
#[component]
fn History(editing: Editing, versions: Vec<ProcessVersion>) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let current = versions.last().map_or(0, |v| v.number);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let restore = move |number: u32| {
        let Some(token) = editing.token() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let body = ProcessRestore {
                version: number,
                base_version: current,
                note: None,
            };
            match api::restore_process(&token, &body).await {
                Ok(published) => {
                    let number = published.version.number;
                    editing.editor.set(None);
                    editing.open.set(None);
                    editing.outcome.set(Some(Ok(t_string!(
                        i18n,
                        process_restored,
                        number = number
                    )
                    .to_string())));
                    editing.revision.update(|n| *n += 1);
                }
                Err(problem) => outcome.set(Some(Err(problem.message(editing.lang())))),
            }
        });
    };
    let rows: Vec<_> = versions
        .iter()
        .enumerate()
        .rev()
        .map(|(i, version)| {
            let changes = i
                .checked_sub(1)
                .map(|p| process_changes(&versions[p], version))
                .unwrap_or_default();
            (version.clone(), changes)
        })
        .collect();
    let compare = (versions.len() > 1)
        .then(|| view! { <CompareVersions editing versions=versions.clone() /> });
    view! {
        <section class="stack" data-testid="process-history">
            <h2>{t!(i18n, process_history_title)}</h2>
            {compare}
            {move || outcome.get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="hint" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="field-error" role="alert">{text}</p> }.into_any(),
            })}
            <ol class="process-versions">
                {rows.into_iter().map(|(version, changes)| {
                    let number = version.number;
                    let is_current = number == current;
                    view! {
                        <li class="process-version stack" data-testid="process-version" data-number=number.to_string()>
                            <div class="process-stage-head">
                                <strong>{t_string!(i18n, process_version_title, number = number).to_string()}</strong>
                                {is_current.then(|| view! { <span class="badge">{t!(i18n, process_version_current)}</span> })}
                            </div>
                            <p class="hint">{version.author.shown_name(lang()).to_string()}" · "{format::date_time(version.published_at, lang())}</p>
                            {(!version.note.is_empty()).then(|| view! { <p data-testid="version-note">{version.note.clone()}</p> })}
                            <ul class="process-changes">
                                {changes.iter().map(|change| view! { <li>{change.sentence(lang())}</li> }).collect_view()}
                            </ul>
                            {(!is_current).then(|| view! {
                                <button type="button" class="secondary" on:click=move |_| restore(number)>{t!(i18n, process_restore_version)}</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// What changed between any two versions an admin picks (the history lists only each version
/// against the one before): stage keys are stable, so the difference reads the same way.
#[component]
fn CompareVersions(editing: Editing, versions: Vec<ProcessVersion>) -> impl IntoView {
    let i18n = editing.i18n;
    let lang = move || editing.lang();
    let newest = versions.last().map_or(1, |v| v.number);
    let previous = versions.iter().rev().nth(1).map_or(newest, |v| v.number);
    let from = RwSignal::new(previous);
    let to = RwSignal::new(newest);
    let numbers: Vec<u32> = versions.iter().map(|v| v.number).collect();
    let changes = {
        let versions = versions.clone();
        move || {
            let find = |number: u32| versions.iter().find(|v| v.number == number);
            match (find(from.get()), find(to.get())) {
                (Some(older), Some(newer)) => process_changes(older, newer)
                    .iter()
                    .map(|change| change.sentence(lang()))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            }
        }
    };
    let picker = move |id: &'static str,
                       label: fn(I18nContext<Locale>) -> String,
                       chosen: RwSignal<u32>| {
        let numbers = numbers.clone();
        view! {
            <div class="field">
                <label for=id>{move || label(i18n)}</label>
                <select id=id on:change=move |event| {
                    if let Ok(number) = event_target_value(&event).parse() {
                        chosen.set(number);
                    }
                }>
                    {numbers.into_iter().map(|number| view! {
                        <option value=number.to_string() selected=move || chosen.get() == number>
                            {move || t_string!(i18n, process_version_title, number = number).to_string()}
                        </option>
                    }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        <fieldset class="process-add process-compare stack" data-testid="process-compare">
            <legend>{t!(i18n, process_compare_title)}</legend>
            <div class="form-row">
                {picker("process-compare-from", |i18n| t_string!(i18n, process_compare_from).to_string(), from)}
                {picker("process-compare-to", |i18n| t_string!(i18n, process_compare_to).to_string(), to)}
            </div>
            {move || {
                let changes = changes();
                if changes.is_empty() {
                    view! { <p class="hint" data-testid="compare-changes">{t!(i18n, process_compare_same)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="process-changes" data-testid="compare-changes">
                            {changes.into_iter().map(|sentence| view! { <li>{sentence}</li> }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </fieldset>
    }
}
