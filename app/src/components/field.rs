//! A labelled single-line input bound to a signal: the shape every small form in the app uses.
//! The children are the label.

use leptos::prelude::*;

#[component]
pub fn TextField(
    id: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{children()}</label>
            <input
                id=id
                name=id
                type=kind
                prop:value=value
                on:input=move |event| value.set(event_target_value(&event))
            />
        </div>
    }
}
