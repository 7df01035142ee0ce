//! The field bundle's root: the screens every sales, warehouse and service phone uses and keeps
//! offline (see `bundle` for how screens are split between the bundles).

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    bundle::Bundle,
    routes::{
        board::BoardPage,
        customer::CustomerPage,
        login::LoginPage,
        new_order::{EditOrderPage, NewOrderPage},
        not_found::Elsewhere,
        order_detail::OrderDetailPage,
        password::PasswordPage,
        settings::SettingsPage,
        today::TodayPage,
    },
    shell::{AppFrame, TeamShell},
};

#[component]
pub fn FieldApp() -> impl IntoView {
    view! {
        <AppFrame>
            <Router>
                <Routes fallback=|| view! { <Elsewhere this=Bundle::Field /> }>
                    <Route path=path!("/login") view=LoginPage />
                    <ParentRoute path=path!("") view=TeamShell>
                        <Route path=path!("/") view=BoardPage />
                        <Route path=path!("/orders/new") view=NewOrderPage />
                        <Route path=path!("/orders/:id") view=OrderDetailPage />
                        <Route path=path!("/orders/:id/edit") view=EditOrderPage />
                        <Route path=path!("/today") view=TodayPage />
                        <Route path=path!("/customers/:company") view=CustomerPage />
                        <Route path=path!("/settings") view=SettingsPage />
                        <Route path=path!("/password") view=PasswordPage />
                    </ParentRoute>
                </Routes>
            </Router>
        </AppFrame>
    }
}
