//! The worker's one error type, and the one place where errors become HTTP statuses.
//!
//! Every handler returns `Result<Response, ApiError>`; `ApiError::into_response` is the only code
//! that decides a status, a stable machine `code` and the readable message a client sees.
//! Internal details (D1 messages, panics) are logged, never sent.

use domain::{
    wire::{ErrorDetail, ErrorEnvelope},
    DomainError, FileProblem, Lang, Localized,
};
use worker::Response;

use crate::http::BodyError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is not valid JSON for this endpoint: {0}")]
    MalformedJson(String),
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no such API route")]
    RouteNotFound,
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("this endpoint only answers a WebSocket upgrade")]
    UpgradeRequired,
    #[error("no matching order")]
    OrderNotFound,
    #[error("this endpoint is disabled on this deployment")]
    Disabled,
    #[error("no valid session")]
    Unauthorized,
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error("the account is disabled")]
    AccountDisabled,
    #[error("the user lacks the role this needs")]
    Forbidden,
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u32 },
    #[error("the login is already used by another account")]
    LoginTaken,
    #[error("no such user")]
    UserNotFound,
    #[error("the last active admin cannot lose admin rights")]
    LastAdmin,
    #[error("setup is closed: accounts already exist")]
    SetupClosed,
    #[error("missing or wrong setup token")]
    SetupTokenInvalid,
    #[error("demo data refused: the database has accounts the demo data did not create")]
    DemoDataRefused,
    #[error("push starts at seq {first_seq} but the server has processed up to {last_seq}")]
    SeqGap { last_seq: u64, first_seq: u64 },
    #[error("seqs must start at 1 or more and increase by exactly one within a push")]
    SeqOrder,
    #[error("a push carries at most {limit} mutations")]
    TooManyMutations { limit: usize },
    #[error("this device id belongs to another user")]
    DeviceNotYours,
    #[error("bad query parameters: {0}")]
    BadQuery(String),
    #[error("the changes could not be stored just now (contention or a transient D1 error)")]
    SyncBusy,
    #[error("invalid notification channel {field}: {en}")]
    InvalidChannel {
        field: &'static str,
        zh: String,
        en: String,
    },
    #[error("no such notification channel")]
    ChannelNotFound,
    #[error("SHARE_SECRET is missing or shorter than 32 bytes")]
    ShareNotConfigured,
    #[error("the customer link is malformed or not signed by this server")]
    LinkInvalid,
    #[error("the customer link has expired")]
    LinkExpired,
    #[error("the order kept changing while the customer's change was written")]
    OrderBusy,
    #[error("process version {current} was published after the draft's base")]
    ProcessConflict {
        current: u32,
        author: String,
        note: String,
        published_at: String,
    },
    #[error("no such process version")]
    ProcessVersionNotFound,
    /// An uploaded spreadsheet that cannot be imported as a whole (format, encoding, header):
    /// the sheet rooms give the code and the sentence, here is only the status.
    #[error("sheet refused: {code}")]
    SheetRefused {
        code: &'static str,
        message: Localized,
    },
    /// A spreadsheet over the size or row limit.
    #[error("sheet too large: {code}")]
    SheetTooLarge {
        code: &'static str,
        message: Localized,
    },
    #[error("the import has {errors} rows with errors")]
    ImportHasErrors { errors: u32 },
    #[error("orders changed while the import was written")]
    ImportConflict,
    #[error("no such import batch")]
    ImportBatchNotFound,
    #[error("this import was undone already")]
    ImportAlreadyUndone,
    #[error("orders changed since the import: {numbers:?}")]
    ImportUndoBlocked { numbers: Vec<String> },
    /// Uploaded bytes that are not an accepted, complete file (`domain::check_file`).
    #[error("file refused: {}", .0.code())]
    FileRefused(FileProblem),
    #[error("no such attachment on this order (or it was removed)")]
    AttachmentNotFound,
    #[error("the attachment's file has not been uploaded yet")]
    FileNotUploaded,
    #[error("the bytes are not the file the attachment names (type or size)")]
    FileMismatch,
    #[error("the bytes do not hash to the SHA-256 in the path")]
    HashMismatch,
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Database(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error answer. `code` is stable and meant for programs; `message` is
/// for people (Chinese first, because that is who reads it), `message_en` for the English UI.
impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::MalformedJson(_) => 400,
            ApiError::UnsupportedMediaType => 415,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::RouteNotFound
            | ApiError::OrderNotFound
            | ApiError::Disabled
            | ApiError::UserNotFound
            | ApiError::ChannelNotFound => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::UpgradeRequired => 426,
            ApiError::Unauthorized | ApiError::InvalidCredentials => 401,
            ApiError::Forbidden
            | ApiError::AccountDisabled
            | ApiError::SetupTokenInvalid
            | ApiError::WrongCurrentPassword => 403,
            ApiError::TooManyAttempts { .. } => 429,
            ApiError::SeqGap { .. } => 409,
            ApiError::SeqOrder | ApiError::BadQuery(_) | ApiError::InvalidChannel { .. } => 400,
            ApiError::TooManyMutations { .. } => 413,
            ApiError::DeviceNotYours => 403,
            ApiError::SyncBusy | ApiError::OrderBusy | ApiError::ShareNotConfigured => 503,
            // Not 401/403: there is no credential to retry with, only a new link to ask for.
            ApiError::LinkInvalid => 404,
            ApiError::LinkExpired => 410,
            ApiError::LoginTaken
            | ApiError::LastAdmin
            | ApiError::SetupClosed
            | ApiError::DemoDataRefused
            | ApiError::ProcessConflict { .. } => 409,
            ApiError::ProcessVersionNotFound => 404,
            ApiError::SheetRefused { .. } | ApiError::ImportHasErrors { .. } => 422,
            ApiError::SheetTooLarge { .. } => 413,
            ApiError::ImportConflict
            | ApiError::ImportAlreadyUndone
            | ApiError::ImportUndoBlocked { .. } => 409,
            ApiError::ImportBatchNotFound => 404,
            ApiError::FileRefused(problem) => match problem {
                FileProblem::Empty => 400,
                FileProblem::TooLarge => 413,
                FileProblem::UnsupportedType => 415,
                FileProblem::Truncated => 422,
            },
            ApiError::AttachmentNotFound | ApiError::FileNotUploaded => 404,
            ApiError::FileMismatch | ApiError::HashMismatch => 422,
            ApiError::Domain(error) => match error {
                DomainError::NotFound => 404,
                DomainError::Forbidden { .. } => 403,
                DomainError::OrderExists | DomainError::StaleStage { .. } => 409,
                _ => 422,
            },
            ApiError::Database(_) => 503,
            ApiError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::UpgradeRequired => "upgrade_required",
            ApiError::OrderNotFound => "order_not_found",
            ApiError::Disabled => "disabled",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::WrongCurrentPassword => "wrong_current_password",
            ApiError::AccountDisabled => "account_disabled",
            // The same code as a domain refusal: the client reacts the same way to both.
            ApiError::Forbidden => "forbidden",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::LoginTaken => "login_taken",
            ApiError::UserNotFound => "user_not_found",
            ApiError::LastAdmin => "last_admin",
            ApiError::SetupClosed => "setup_closed",
            ApiError::SetupTokenInvalid => "setup_token_invalid",
            ApiError::DemoDataRefused => "demo_data_refused",
            ApiError::SeqGap { .. } => "seq_gap",
            ApiError::SeqOrder => "seq_order",
            ApiError::TooManyMutations { .. } => "too_many_mutations",
            ApiError::DeviceNotYours => "device_not_yours",
            ApiError::BadQuery(_) => "bad_query",
            ApiError::SyncBusy => "sync_busy",
            ApiError::InvalidChannel { .. } => "invalid_channel",
            ApiError::ChannelNotFound => "channel_not_found",
            ApiError::ShareNotConfigured => "share_not_configured",
            ApiError::LinkInvalid => "link_invalid",
            ApiError::LinkExpired => "link_expired",
            ApiError::OrderBusy => "order_busy",
            ApiError::ProcessConflict { .. } => "process_conflict",
            ApiError::ProcessVersionNotFound => "process_version_not_found",
            ApiError::SheetRefused { code, .. } | ApiError::SheetTooLarge { code, .. } => code,
            ApiError::ImportHasErrors { .. } => "import_has_errors",
            ApiError::ImportConflict => "import_conflict",
            ApiError::ImportBatchNotFound => "import_batch_not_found",
            // The stable code of every refusal by role; the sentence says why.
            ApiError::ImportAlreadyUndone => "import_already_undone",
            ApiError::ImportUndoBlocked { .. } => "import_undo_blocked",
            ApiError::FileRefused(problem) => problem.code(),
            ApiError::AttachmentNotFound => "attachment_not_found",
            ApiError::FileNotUploaded => "file_not_uploaded",
            ApiError::FileMismatch => "file_mismatch",
            ApiError::HashMismatch => "hash_mismatch",
            ApiError::Domain(error) => error.code(),
            ApiError::Database(_) => "database_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let pick = |zh_text: &str, en_text: &str| if zh { zh_text } else { en_text }.to_string();
        match self {
            ApiError::MalformedJson(detail) if unknown_field(detail).is_some() => {
                let name = unknown_field(detail).unwrap_or_default();
                if zh {
                    format!("请求中有无法识别的字段“{name}”（是否拼写错误？），没有保存任何内容")
                } else {
                    format!("Unknown field '{name}' in the request (a typo?); nothing was saved")
                }
            }
            ApiError::MalformedJson(detail) => {
                if zh {
                    format!("请求内容不是有效的 JSON：{detail}")
                } else {
                    format!("The request body is not valid JSON: {detail}")
                }
            }
            ApiError::UnsupportedMediaType => pick(
                "请求内容必须是 JSON（Content-Type: application/json）",
                "The request body must be JSON (Content-Type: application/json)",
            ),
            ApiError::PayloadTooLarge { limit } => {
                if zh {
                    format!("请求内容过大（上限 {} KiB）", limit / 1024)
                } else {
                    format!("The request body is too large (limit {} KiB)", limit / 1024)
                }
            }
            ApiError::RouteNotFound => pick("没有这个接口", "No such API endpoint"),
            ApiError::UpgradeRequired => pick(
                "这个接口只接受 WebSocket 连接",
                "This endpoint only accepts a WebSocket connection",
            ),
            ApiError::MethodNotAllowed => pick("该接口不支持此请求方法", "Method not allowed"),
            ApiError::OrderNotFound => pick("没有找到匹配的订单", "No matching order was found"),
            ApiError::Disabled => {
                pick("此功能在当前部署中未启用", "Not enabled on this deployment")
            }
            ApiError::Unauthorized => pick(
                "请先登录（登录已失效或已退出）",
                "Please sign in (your session is missing, has expired or was ended)",
            ),
            ApiError::InvalidCredentials => pick("账号或密码错误", "Wrong account or password"),
            ApiError::WrongCurrentPassword => {
                pick("当前密码不正确", "The current password is wrong")
            }
            ApiError::AccountDisabled => pick(
                "此账号已停用，请联系管理员",
                "This account is disabled; please contact your admin",
            ),
            ApiError::Forbidden => pick(
                "你没有权限执行此操作",
                "You do not have permission to do this",
            ),
            ApiError::TooManyAttempts { retry_after_secs } => {
                let minutes = retry_after_secs.div_ceil(60).max(1);
                if zh {
                    format!("尝试次数过多，请 {minutes} 分钟后再试")
                } else {
                    format!("Too many failed attempts; try again in {minutes} min")
                }
            }
            ApiError::LoginTaken => pick(
                "这个登录账号已被其他成员使用",
                "This login is already used by another team member",
            ),
            ApiError::UserNotFound => pick("没有这个成员", "No such team member"),
            ApiError::LastAdmin => pick(
                "至少要保留一位启用的管理员",
                "At least one active admin must remain",
            ),
            ApiError::SetupClosed => pick(
                "初始设置已完成：已有账号，请登录",
                "Setup is already done: accounts exist, please sign in",
            ),
            ApiError::SetupTokenInvalid => pick(
                "设置口令缺失或不正确",
                "The setup token is missing or wrong",
            ),
            ApiError::DemoDataRefused => pick(
                "已有正式账号：不能再加入演示数据",
                "Accounts already exist: demo data cannot be added to this database",
            ),
            ApiError::SeqGap {
                last_seq,
                first_seq,
            } => {
                if zh {
                    format!("同步序号不连续：服务器已处理到第 {last_seq} 条，本次从第 {first_seq} 条开始；请先同步再重试")
                } else {
                    format!("Gap in the sync sequence: the server has processed up to {last_seq}, this push starts at {first_seq}; pull, then push from {}", last_seq + 1)
                }
            }
            ApiError::SeqOrder => pick(
                "同步序号必须从 1 起、逐条加一",
                "Mutation seqs must be 1 or more and increase by exactly one within a push",
            ),
            ApiError::TooManyMutations { limit } => {
                if zh {
                    format!("一次最多同步 {limit} 条修改，请分批发送")
                } else {
                    format!("A push carries at most {limit} mutations; send them in pages")
                }
            }
            ApiError::DeviceNotYours => pick(
                "此设备标识属于其他账号，请在本设备重新登录后再同步",
                "This device id belongs to another account; sign in again on this device before syncing",
            ),
            ApiError::BadQuery(detail) => {
                if zh {
                    format!("请求参数不正确：{detail}")
                } else {
                    format!("Bad query parameters: {detail}")
                }
            }
            ApiError::SyncBusy => pick(
                "服务器暂时未能保存这些修改，稍后会自动重试",
                "The server could not store these changes just now; they are retried automatically",
            ),
            ApiError::InvalidChannel { zh: zh_text, en, .. } => pick(zh_text, en),
            ApiError::ChannelNotFound => pick("没有这个通知渠道", "No such notification channel"),
            ApiError::ShareNotConfigured => pick(
                "客户链接功能尚未配置（缺少 SHARE_SECRET），请联系管理员",
                "Customer links are not set up on this deployment (SHARE_SECRET is missing); please contact your admin",
            ),
            ApiError::LinkInvalid => pick(
                "这个查询链接无效，请核对链接，或用订单号和电话后 4 位查询",
                "This order link is not valid; check the link, or look the order up by number and phone digits",
            ),
            ApiError::LinkExpired => pick(
                "这个查询链接已过期，请用订单号和电话后 4 位查询，或向销售顾问索取新链接",
                "This order link has expired; look the order up by number and phone digits, or ask your sales contact for a new link",
            ),
            ApiError::OrderBusy => pick(
                "订单正在更新，请稍后再试",
                "The order is being updated; please try again in a moment",
            ),
            ApiError::ProcessConflict {
                current,
                author,
                note,
                published_at,
            } => {
                if zh {
                    format!("{author} 已于 {published_at} 发布了第 {current} 版流程（说明：{note}），你的草稿基于旧版本；请在新版本上重新修改后再发布")
                } else {
                    format!("{author} published process version {current} at {published_at} China time (note: {note}) after your draft's base; rebase your draft on it and publish again")
                }
            }
            ApiError::ProcessVersionNotFound => {
                pick("没有这个流程版本", "No such process version")
            }
            ApiError::Domain(error) => error.message(lang),
            ApiError::FileRefused(problem) => problem.message().get(lang).to_string(),
            ApiError::AttachmentNotFound => pick(
                "这张订单上没有这个附件（可能已删除，或添加附件的修改还没有同步）",
                "This order has no such attachment (it may have been removed, or the change adding it has not been synced yet)",
            ),
            ApiError::FileNotUploaded => pick(
                "这个文件还没有从添加它的手机上传到服务器，请稍后再看",
                "This file has not been uploaded from the phone that added it yet; look again later",
            ),
            ApiError::FileMismatch => pick(
                "上传的文件与附件记录的类型或大小不符",
                "The uploaded file's type or size differs from the attachment's record",
            ),
            ApiError::HashMismatch => pick(
                "文件内容与校验值不符（可能传输中损坏），请重新上传",
                "The file's content does not match its hash (damaged in transfer?); upload it again",
            ),
            ApiError::Database(_) => pick(
                "数据库暂时不可用，请稍后重试",
                "The database is temporarily unavailable; please retry",
            ),
            ApiError::Internal(_) => pick("服务器内部错误", "Internal server error"),
            ApiError::SheetRefused { message, .. } | ApiError::SheetTooLarge { message, .. } => {
                message.get(lang).to_string()
            }
            ApiError::ImportHasErrors { errors } => {
                if zh {
                    format!("有 {errors} 行有错误，没有导入任何订单：请修正后重新试运行")
                } else {
                    format!("{errors} rows have errors; nothing was imported: fix them and run the dry run again")
                }
            }
            ApiError::ImportConflict => pick(
                "导入期间订单被其他人修改，没有导入任何订单：请重新试运行后再导入",
                "Orders changed while importing; nothing was imported: run the dry run again, then import",
            ),
            ApiError::ImportBatchNotFound => pick("没有这次导入", "No such import"),
            ApiError::ImportAlreadyUndone => pick(
                "这次导入已经撤销过了，不能再撤销",
                "This import was already undone; it cannot be undone twice",
            ),
            ApiError::ImportUndoBlocked { numbers } => {
                let shown = numbers.join(if zh { "、" } else { ", " });
                if zh {
                    format!("导入后这些订单又被修改过，不能撤销（没有撤销任何订单）：{shown}。请在订单里手动处理")
                } else {
                    format!("These orders changed after the import, so it cannot be undone (nothing was undone): {shown}. Change them by hand")
                }
            }
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::Domain(error) => error.field().map(str::to_string),
            ApiError::InvalidChannel { field, .. } => Some(field.to_string()),
            ApiError::MalformedJson(detail) => unknown_field(detail).map(str::to_string),
            _ => None,
        }
    }

    pub fn into_response(self) -> Response {
        if self.status() >= 500 {
            worker::console_error!("{self}");
        }
        let body = ErrorEnvelope {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.message(Lang::Zh),
                message_en: self.message(Lang::En),
                field: self.field(),
            },
        };
        let mut response = crate::http::json_response(&body, self.status());
        // Static header names and ASCII values: setting them cannot fail.
        match self {
            ApiError::TooManyAttempts { retry_after_secs } => {
                let _ = response
                    .headers_mut()
                    .set("retry-after", &retry_after_secs.to_string());
            }
            ApiError::Unauthorized => {
                let _ = response
                    .headers_mut()
                    .set("www-authenticate", "Bearer realm=\"gendan\"");
            }
            ApiError::SyncBusy | ApiError::OrderBusy | ApiError::Database(_) => {
                let _ = response.headers_mut().set("retry-after", "1");
            }
            _ => {}
        }
        response
    }
}

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::Database(error.to_string())
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Malformed(detail) => ApiError::MalformedJson(detail),
            BodyError::UnsupportedMediaType => ApiError::UnsupportedMediaType,
            BodyError::TooLarge { limit } => ApiError::PayloadTooLarge { limit },
        }
    }
}

/// The name serde gives for a field an input type does not know (`deny_unknown_fields`):
/// "unknown field `requried`, expected one of …". A misspelt key is a typo to name, not
/// broken JSON.
fn unknown_field(detail: &str) -> Option<&str> {
    let rest = detail.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_key_is_named_as_a_typo_and_as_the_field() {
        let detail: String =
            serde_json::from_str::<Strict>(r#"{"required": true, "requried": true}"#)
                .unwrap_err()
                .to_string();
        let error = ApiError::MalformedJson(detail);
        assert_eq!(error.code(), "malformed_json");
        assert_eq!(error.field().as_deref(), Some("requried"));
        assert_eq!(
            error.message(Lang::Zh),
            "请求中有无法识别的字段“requried”（是否拼写错误？），没有保存任何内容"
        );
        // Broken JSON is still said to be broken JSON.
        let broken = ApiError::MalformedJson("EOF while parsing an object".into());
        assert_eq!(broken.field(), None);
        assert!(broken
            .message(Lang::Zh)
            .starts_with("请求内容不是有效的 JSON"));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        required: bool,
    }
}
