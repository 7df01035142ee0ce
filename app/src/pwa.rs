//! The installable-app side of the browser: the service worker (registration, "a new version is
//! ready", applying it on the person's tap), the install prompt, and whether the app already
//! runs installed. The browser APIs are event-heavy, so the wiring is a few lines of JS; the
//! state the screens read is two signals.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
let registration = null;
let installPrompt = null;
let updating = false;

export function registerServiceWorker(onUpdateReady) {
  if (!('serviceWorker' in navigator)) return;
  // Reload once the new version has taken over — only when the person asked for it (the first
  // install also changes the controller, and must not reload the page).
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (updating) window.location.reload();
  });
  navigator.serviceWorker.register('/sw.js').then((reg) => {
    registration = reg;
    const ready = () => {
      if (reg.waiting && navigator.serviceWorker.controller) onUpdateReady();
    };
    ready();
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      if (!worker) return;
      worker.addEventListener('statechange', () => {
        if (worker.state === 'installed') ready();
      });
    });
    // Look for a new version whenever the app comes back to the foreground.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') reg.update().catch(() => {});
    });
  }).catch((error) => console.warn('service worker not registered', error));
}

export function applyUpdate() {
  const waiting = registration && registration.waiting;
  if (!waiting) return false;
  updating = true;
  waiting.postMessage({ type: 'SKIP_WAITING' });
  return true;
}

export function listenForInstallPrompt(onAvailable, onInstalled) {
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    installPrompt = event;
    onAvailable();
  });
  window.addEventListener('appinstalled', () => {
    installPrompt = null;
    onInstalled();
  });
}

export function promptInstall() {
  if (!installPrompt) return Promise.resolve(false);
  const prompt = installPrompt;
  installPrompt = null;
  prompt.prompt();
  return prompt.userChoice.then((choice) => choice.outcome === 'accepted', () => false);
}

export function isStandalone() {
  return window.matchMedia('(display-mode: standalone)').matches || window.navigator.standalone === true;
}

export function isIos() {
  const ua = window.navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) || (ua.includes('Macintosh') && navigator.maxTouchPoints > 1);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = registerServiceWorker)]
    fn register_service_worker(on_update_ready: &Closure<dyn FnMut()>);
    #[wasm_bindgen(js_name = applyUpdate)]
    fn apply_update_js() -> bool;
    #[wasm_bindgen(js_name = listenForInstallPrompt)]
    fn listen_for_install_prompt(
        on_available: &Closure<dyn FnMut()>,
        on_installed: &Closure<dyn FnMut()>,
    );
    #[wasm_bindgen(js_name = promptInstall)]
    fn prompt_install_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = isStandalone)]
    fn is_standalone_js() -> bool;
    #[wasm_bindgen(js_name = isIos)]
    fn is_ios_js() -> bool;
}

/// What the screens need to know about the installed app.
#[derive(Clone, Copy)]
pub struct Pwa {
    /// A new version is installed and waiting for the person's tap.
    pub update_ready: RwSignal<bool>,
    /// The browser offered to install the app (Chromium's `beforeinstallprompt`).
    pub can_install: RwSignal<bool>,
}

impl Pwa {
    /// Switches to the waiting version; the page reloads when it has taken over. Unsynced
    /// changes are safe: they live in IndexedDB, which an update does not touch.
    pub fn apply_update(&self) {
        if !apply_update_js() {
            self.update_ready.set(false);
        }
    }

    /// Shows the browser's install dialog; `true` if the person accepted.
    pub async fn install(&self) -> bool {
        let accepted = wasm_bindgen_futures::JsFuture::from(prompt_install_js())
            .await
            .ok()
            .and_then(|value| value.as_bool())
            .unwrap_or(false);
        self.can_install.set(false);
        accepted
    }

    pub fn is_installed(&self) -> bool {
        is_standalone_js()
    }

    /// iOS Safari has no install prompt: people add the app from the share sheet.
    pub fn needs_ios_hint(&self) -> bool {
        is_ios_js() && !is_standalone_js()
    }
}

/// Registers the service worker and listens for the install prompt; provides [`Pwa`].
pub fn provide_pwa() -> Pwa {
    let pwa = Pwa {
        update_ready: RwSignal::new(false),
        can_install: RwSignal::new(false),
    };
    provide_context(pwa);
    // These closures live as long as the page: the browser may call them at any time.
    let on_update = Closure::<dyn FnMut()>::new(move || pwa.update_ready.set(true));
    register_service_worker(&on_update);
    on_update.forget();
    let on_available = Closure::<dyn FnMut()>::new(move || pwa.can_install.set(true));
    let on_installed = Closure::<dyn FnMut()>::new(move || pwa.can_install.set(false));
    listen_for_install_prompt(&on_available, &on_installed);
    on_available.forget();
    on_installed.forget();
    pwa
}

pub fn use_pwa() -> Pwa {
    expect_context::<Pwa>()
}
