//! The app ships as two bundles (ARCHITECTURE.md, "Two bundles"): the field bundle every phone
//! loads and keeps offline, and the desk bundle with the screens only admins and managers open
//! (team, notification channels, the process editor, analytics, and import/export to come).
//! Desk screens live under `/desk/`; the worker and the service worker answer those addresses
//! with the desk page, everything else with the field page. A link from one bundle to the other
//! is a plain link: the router finds no route for it, and its fallback
//! (`routes::not_found::Elsewhere`) loads the other page.

/// Where every desk screen's address starts.
pub const DESK_PREFIX: &str = "/desk/";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    Field,
    Desk,
}

/// The bundle whose page serves `path` (a path without query).
pub fn bundle_of(path: &str) -> Bundle {
    if path.starts_with(DESK_PREFIX) || path == "/desk" {
        Bundle::Desk
    } else {
        Bundle::Field
    }
}

/// Addresses that screens had before they moved to the desk bundle (bookmarks, old messages).
pub fn moved(path: &str) -> Option<&'static str> {
    match path.trim_end_matches('/') {
        "/team" => Some("/desk/team"),
        "/settings/notifications" => Some("/desk/notifications"),
        _ => None,
    }
}

/// Where a path that `this` bundle has no route for should be loaded from instead, if anywhere.
pub fn elsewhere(this: Bundle, path: &str) -> Option<String> {
    if let Some(target) = moved(path) {
        return Some(target.to_string());
    }
    (bundle_of(path) != this).then(|| path.to_string())
}

const HOP_KEY: &str = "gendan.bundle-hop";

/// Remembers the hop in this tab; refuses a second hop to the same address until a page of the
/// app has started normally (`hop_arrived`).
pub fn hop_allowed(target: &str) -> bool {
    let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) else {
        return true;
    };
    if storage.get_item(HOP_KEY).ok().flatten().as_deref() == Some(target) {
        return false;
    }
    let _ = storage.set_item(HOP_KEY, target);
    true
}

/// Called when a bundle showed a screen of its own: the next hop may go anywhere again.
pub fn hop_arrived() {
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = storage.remove_item(HOP_KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn desk_screens_are_under_the_desk_prefix_and_old_addresses_move_there() {
        assert_eq!(bundle_of("/desk/team"), Bundle::Desk);
        assert_eq!(bundle_of("/desk"), Bundle::Desk);
        assert_eq!(bundle_of("/desktop"), Bundle::Field);
        assert_eq!(bundle_of("/"), Bundle::Field);
        assert_eq!(bundle_of("/orders/new"), Bundle::Field);
        assert_eq!(
            elsewhere(Bundle::Field, "/desk/team").as_deref(),
            Some("/desk/team")
        );
        assert_eq!(elsewhere(Bundle::Desk, "/today").as_deref(), Some("/today"));
        assert_eq!(
            elsewhere(Bundle::Field, "/team").as_deref(),
            Some("/desk/team")
        );
        assert_eq!(
            elsewhere(Bundle::Field, "/settings/notifications/").as_deref(),
            Some("/desk/notifications")
        );
        // A field address the field bundle has no route for is simply not found.
        assert_eq!(elsewhere(Bundle::Field, "/no-such-page"), None);
        assert_eq!(elsewhere(Bundle::Desk, "/desk/no-such-page"), None);
    }
}
