//! Every call the app makes to the worker, in one module. Errors are one enum whose messages are
//! ready to show to a person.

use domain::{CustomerView, Lang};
use gloo_net::http::{Request, Response};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request never got an answer: no network, server down, or blocked.
    #[error("network unavailable")]
    Network,
    /// The server answered with an error body (stable `code`, readable messages).
    #[error("{message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        message_en: String,
    },
    /// The server answered something this build does not understand.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
}

impl ApiError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ApiError::Network, Lang::Zh) => "无法连接服务器".into(),
            (ApiError::Network, Lang::En) => "Cannot reach the server".into(),
            (ApiError::Server { message, .. }, Lang::Zh) => message.clone(),
            (ApiError::Server { message_en, .. }, Lang::En) => message_en.clone(),
            (ApiError::Unexpected(detail), Lang::Zh) => {
                format!("服务器返回了无法识别的内容（{detail}）")
            }
            (ApiError::Unexpected(detail), Lang::En) => {
                format!("Unexpected server answer ({detail})")
            }
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Server { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
    message_en: String,
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|error| ApiError::Unexpected(error.to_string()));
    }
    let status = response.status();
    match response.json::<ErrorEnvelope>().await {
        Ok(envelope) => Err(ApiError::Server {
            status,
            code: envelope.error.code,
            message: envelope.error.message,
            message_en: envelope.error.message_en,
        }),
        Err(_) => Err(ApiError::Unexpected(format!("HTTP {status}"))),
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub active_orders: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BoardSummary {
    pub stages: Vec<StageSummary>,
    pub total_active: u32,
}

pub async fn board_summary() -> Result<BoardSummary, ApiError> {
    let response = Request::get("/api/board/summary")
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    decode(response).await
}

#[derive(Debug, Clone, Serialize)]
pub struct LookupRequest {
    pub order_number: String,
    pub phone_last4: String,
    pub lang: Lang,
}

pub async fn track_lookup(request: &LookupRequest) -> Result<CustomerView, ApiError> {
    let response = Request::post("/api/track/lookup")
        .json(request)
        .map_err(|error| ApiError::Unexpected(error.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    decode(response).await
}
