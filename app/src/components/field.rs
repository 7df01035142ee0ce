//! A labelled single-line input with its error message under it: the shape every form in the app
//! uses. The children are the label. `TextField` binds it to a signal of its own; `DraftField`
//! reads and writes text that lives in a plain draft struct (see `state::order_forms`).

use leptos::prelude::*;

#[component]
pub fn TextField(
    id: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    /// The browser's autofill hint (`username`, `current-password`, `new-password`, …).
    #[prop(default = "on")]
    autocomplete: &'static str,
    /// Marks the label with " *".
    #[prop(optional)]
    required: bool,
    /// The message to show under the input, if any.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
    children: Children,
) -> impl IntoView {
    view! {
        <DraftField
            id
            value=value
            on_input=Callback::new(move |text| value.set(text))
            kind
            autocomplete
            required
            error=error.unwrap_or_default()
        >
            {children()}
        </DraftField>
    }
}

#[component]
pub fn DraftField(
    id: &'static str,
    #[prop(into)] value: Signal<String>,
    on_input: Callback<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "on")] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] error: Signal<Option<String>>,
    /// Suggestions offered by the browser under the input (a `<datalist>` id).
    #[prop(optional)]
    list: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{children()}{required.then_some(" *")}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                list=list
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                prop:value=value
                on:input=move |event| on_input.run(event_target_value(&event))
            />
            {move || {
                error
                    .get()
                    .map(|message| view! { <p class="field-error" role="alert">{message}</p> })
            }}
        </div>
    }
}
