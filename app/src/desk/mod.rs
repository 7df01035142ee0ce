//! The desk bundle: screens only admins and managers open, loaded only when opened and cached for
//! offline use from then on (see `bundle`). A new admin or manager screen goes here, under
//! `/desk/…`, so field phones never download it.

pub mod analytics;
pub mod channel_draft;
pub mod charts;
pub mod holidays;
pub mod member_draft;
pub mod notify_channels;
pub mod process;
// Import/export (issue 15).
pub mod sheets;
pub mod team;

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path,
};

use crate::{
    bundle::Bundle,
    routes::not_found::Elsewhere,
    shell::{AppFrame, TeamShell},
};
use analytics::AnalyticsPage;
use holidays::HolidaysPage;
use notify_channels::NotifyChannelsPage;
use process::ProcessPage;
use sheets::SheetsPage;
use team::TeamPage;

#[component]
pub fn DeskApp() -> impl IntoView {
    view! {
        <AppFrame>
            <Router>
                <Routes fallback=|| view! { <Elsewhere this=Bundle::Desk /> }>
                    <ParentRoute path=path!("") view=TeamShell>
                        <Route path=path!("/desk") view=|| view! { <Redirect path="/desk/team" /> } />
                        <Route path=path!("/desk/team") view=TeamPage />
                        <Route path=path!("/desk/notifications") view=NotifyChannelsPage />
                        <Route path=path!("/desk/analytics") view=AnalyticsPage />
                        <Route path=path!("/desk/process") view=ProcessPage />
                        <Route path=path!("/desk/holidays") view=HolidaysPage />
                        // Import/export (issue 15).
                        <Route path=path!("/desk/import") view=SheetsPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </AppFrame>
    }
}
