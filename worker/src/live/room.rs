//! The Durable Object behind the live channel: one per deployment. It holds the phones' sockets
//! with the hibernation API (`accept_web_socket`, the holder in each socket's attachment), so idle connections cost nothing and
//! survive the object being evicted from memory; it keeps no other state.

use std::cell::Cell;

use domain::wire::{
    LiveClientMessage, LiveMessage, LIVE_MESSAGE_LIMIT, LIVE_PING, LIVE_PONG, LIVE_PROTOCOL,
};
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, DurableObject, Env, Method, Request, Response, ResponseBuilder, State,
    WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

/// Sockets one user may hold (phones, tabs); a new one closes the oldest beyond this.
pub const SOCKETS_PER_USER: usize = 10;

/// Close codes the app reads (4000–4999 are the application's own).
pub const CLOSE_REPLACED: u16 = 4000;
pub const CLOSE_SIGNED_OUT: u16 = 4001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;

#[derive(Serialize, Deserialize)]
pub(super) struct Poke {
    pub version: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Close {
    User(String),
    Session(String),
}

/// Kept with each socket across hibernation (its attachment): whose it is, and when it was
/// opened, to find a user's oldest.
#[derive(Serialize, Deserialize)]
struct Holder {
    user: String,
    session: String,
    at_ms: f64,
    serial: u64,
}

/// What to do with a client's message: only the keep-alive is allowed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Pong,
    Close(u16, &'static str),
}

pub(super) fn judge(message: &WebSocketIncomingMessage) -> Verdict {
    match message {
        WebSocketIncomingMessage::String(text) if text.len() > LIVE_MESSAGE_LIMIT => {
            Verdict::Close(CLOSE_TOO_BIG, "message too big")
        }
        WebSocketIncomingMessage::String(text) => {
            match serde_json::from_str::<LiveClientMessage>(text) {
                Ok(LiveClientMessage::Ping) => Verdict::Pong,
                Err(_) => Verdict::Close(CLOSE_POLICY, "malformed message"),
            }
        }
        WebSocketIncomingMessage::Binary(_) => Verdict::Close(CLOSE_POLICY, "malformed message"),
    }
}

#[durable_object]
pub struct LiveRoom {
    state: State,
    /// Orders sockets opened within one millisecond; restarting at 0 after hibernation is fine.
    serial: Cell<u64>,
}

impl LiveRoom {
    /// Every held socket with its holder (a socket without one is not ours to keep).
    fn held(&self) -> Vec<(Holder, WebSocket)> {
        self.state
            .get_websockets()
            .into_iter()
            .filter_map(|ws| Some((ws.deserialize_attachment::<Holder>().ok()??, ws)))
            .collect()
    }

    fn open(&self, user_id: &str, session_hash: &str) -> worker::Result<Response> {
        let mut mine: Vec<(Holder, WebSocket)> = self
            .held()
            .into_iter()
            .filter(|(holder, _)| holder.user == user_id)
            .collect();
        mine.sort_by(|(a, _), (b, _)| a.at_ms.total_cmp(&b.at_ms).then(a.serial.cmp(&b.serial)));
        let excess = (mine.len() + 1).saturating_sub(SOCKETS_PER_USER);
        for (_, ws) in mine.into_iter().take(excess) {
            let _ = ws.close(Some(CLOSE_REPLACED), Some("too many connections"));
        }

        let pair = WebSocketPair::new()?;
        let serial = self.serial.get() + 1;
        self.serial.set(serial);
        self.state.accept_web_socket(&pair.server);
        pair.server.serialize_attachment(Holder {
            user: user_id.to_string(),
            session: session_hash.to_string(),
            at_ms: js_sys::Date::now(),
            serial,
        })?;
        Ok(ResponseBuilder::new()
            .with_status(101)
            .with_header("sec-websocket-protocol", LIVE_PROTOCOL)?
            .with_websocket(pair.client)
            .empty())
    }

    fn poke(&self, version: i64) -> worker::Result<Response> {
        let text = serde_json::to_string(&LiveMessage::Poke { version })?;
        let mut sent = 0;
        for ws in self.state.get_websockets() {
            // A socket that is closing refuses; the others still get the poke.
            if ws.send_with_str(&text).is_ok() {
                sent += 1;
            }
        }
        Response::from_json(&serde_json::json!({ "sent": sent }))
    }

    fn close(&self, close: Close) -> worker::Result<Response> {
        let mut closed = 0;
        for (holder, ws) in self.held() {
            let matches = match &close {
                Close::User(id) => holder.user == *id,
                Close::Session(hash) => holder.session == *hash,
            };
            if matches && ws.close(Some(CLOSE_SIGNED_OUT), Some("signed out")).is_ok() {
                closed += 1;
            }
        }
        Response::from_json(&serde_json::json!({ "closed": closed }))
    }
}

impl DurableObject for LiveRoom {
    fn new(state: State, _env: Env) -> Self {
        // The keep-alive is answered by the runtime without waking a hibernating object.
        if let Ok(pair) =
            worker::worker_sys::WebSocketRequestResponsePair::new(LIVE_PING, LIVE_PONG)
        {
            state.set_websocket_auto_response(&pair);
        }
        Self {
            state,
            serial: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let path = req.path();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method(), parts.as_slice()) {
            (Method::Get, ["connect", user_id, session_hash]) => self.open(user_id, session_hash),
            (Method::Post, ["poke"]) => {
                let poke: Poke = req.json().await?;
                self.poke(poke.version)
            }
            (Method::Post, ["close"]) => {
                let close: Close = req.json().await?;
                self.close(close)
            }
            _ => Response::error("no such live room command", 404),
        }
    }

    async fn websocket_message(
        &self,
        ws: WebSocket,
        message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        match judge(&message) {
            Verdict::Pong => ws.send_with_str(LIVE_PONG),
            Verdict::Close(code, reason) => ws.close(Some(code), Some(reason)),
        }
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        // Finish the closing handshake; the runtime may already have answered it.
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_keep_alive_is_answered_everything_else_closes() {
        let text = |s: &str| WebSocketIncomingMessage::String(s.to_string());
        assert_eq!(judge(&text(LIVE_PING)), Verdict::Pong);
        assert_eq!(judge(&text(r#"{ "type": "ping" }"#)), Verdict::Pong);
        assert_eq!(
            judge(&text("hello")),
            Verdict::Close(CLOSE_POLICY, "malformed message")
        );
        assert_eq!(
            judge(&text(&format!(
                r#"{{"type":"ping","pad":"{}"}}"#,
                "x".repeat(1100)
            ))),
            Verdict::Close(CLOSE_TOO_BIG, "message too big")
        );
        assert_eq!(
            judge(&WebSocketIncomingMessage::Binary(vec![1, 2])),
            Verdict::Close(CLOSE_POLICY, "malformed message")
        );
    }
}
