//! One writer at a time across every tab of the app on this device. A change reads the order in
//! one IndexedDB transaction and writes it in another; two tabs doing that at once would each
//! write their own version and one change would vanish from the stored order (issue 19 item 3).
//! The Web Locks API (`navigator.locks`) serializes them per origin; the tab's own mutex (in
//! `AppState`) stays for browsers without it.

use std::cell::RefCell;

use futures::channel::oneshot;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const LOCK_NAME: &str = "gendan-device-writes";

/// Held while writing; the lock is released when this is dropped.
pub struct TabLock {
    release: Option<oneshot::Sender<()>>,
}

impl Drop for TabLock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.send(());
        }
    }
}

/// Waits until no other tab (or task) of this origin holds the write lock, then holds it.
/// Without `navigator.locks` (insecure contexts, old browsers) returns at once.
pub async fn acquire() -> TabLock {
    let Some(request) = lock_request_function() else {
        return TabLock { release: None };
    };
    let (acquired_tx, acquired_rx) = oneshot::channel::<()>();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let acquired_tx = RefCell::new(Some(acquired_tx));
    let release_rx = RefCell::new(Some(release_rx));
    // The lock is held until the promise this callback returns settles: when we say so.
    let callback = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
        if let Some(tx) = acquired_tx.borrow_mut().take() {
            let _ = tx.send(());
        }
        let release_rx = release_rx.borrow_mut().take();
        wasm_bindgen_futures::future_to_promise(async move {
            if let Some(rx) = release_rx {
                let _ = rx.await;
            }
            Ok(JsValue::UNDEFINED)
        })
    });
    let (locks, request) = request;
    if request
        .call2(&locks, &JsValue::from_str(LOCK_NAME), &callback)
        .is_err()
    {
        return TabLock { release: None };
    }
    match acquired_rx.await {
        Ok(()) => TabLock {
            release: Some(release_tx),
        },
        Err(_) => TabLock { release: None },
    }
}

/// `(navigator.locks, navigator.locks.request)` when the browser has them.
fn lock_request_function() -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request")).ok()?;
    Some((locks, request.dyn_into::<js_sys::Function>().ok()?))
}
