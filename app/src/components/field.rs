//! A labelled single-line input bound to a signal, with its error message under it: the shape
//! every form in the app uses. The children are the label.

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
        <div class="field">
            <label for=id>{children()}{required.then_some(" *")}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                prop:value=value
                on:input=move |event| value.set(event_target_value(&event))
            />
            {move || {
                error
                    .and_then(|error| error.get())
                    .map(|message| view! { <p class="field-error" role="alert">{message}</p> })
            }}
        </div>
    }
}
