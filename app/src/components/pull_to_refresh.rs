//! Pull down at the top of the board or 今天 to sync now; the gesture is `state::PullGesture`.

use leptos::prelude::*;

use crate::{
    i18n::*,
    state::{use_app_state, PullGesture},
};

fn first_touch_y(event: &web_sys::TouchEvent) -> Option<f64> {
    event
        .touches()
        .get(0)
        .map(|touch| f64::from(touch.client_y()))
}

fn scrolled_to_top() -> bool {
    web_sys::window()
        .and_then(|window| window.scroll_y().ok())
        .is_none_or(|y| y <= 0.0)
}

#[component]
pub fn PullToRefresh(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let pull = RwSignal::new(PullGesture::default());
    view! {
        <div
            class="pull-to-refresh"
            on:touchstart=move |event| {
                if let Some(y) = first_touch_y(&event) {
                    pull.update(|p| p.start(y, scrolled_to_top()));
                }
            }
            on:touchmove=move |event| {
                if let Some(y) = first_touch_y(&event) {
                    pull.update(|p| p.move_to(y));
                }
            }
            on:touchend=move |_| {
                let mut sync = false;
                pull.update(|p| sync = p.release());
                if sync {
                    state.request_sync();
                }
            }
            on:touchcancel=move |_| pull.set(PullGesture::default())
        >
            <div
                class="pull-indicator"
                data-testid="pull-indicator"
                aria-hidden="true"
                style:height=move || format!("{}px", pull.with(PullGesture::shown))
            >
                {move || {
                    if pull.with(PullGesture::ready) {
                        t_string!(i18n, pull_release).to_string()
                    } else if pull.with(PullGesture::shown) > 0.0 {
                        t_string!(i18n, pull_more).to_string()
                    } else {
                        String::new()
                    }
                }}
            </div>
            {children()}
        </div>
    }
}
