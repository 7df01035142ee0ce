//! Every JSON shape the app and the worker exchange outside the sync protocol (which is in
//! `sync`): accounts, team members, notification channels and their outbox, share links, the
//! board summary and the error envelope. Both sides use these types, so a field renamed on one
//! side cannot silently stop reaching the other.
//!
//! Requests that the worker reads deny unknown fields (a typo is a 400, not a silently ignored
//! change). Fields the worker validates itself with a field-specific message (roles, channel
//! kinds) travel as text, so that a wrong value gets that message rather than a JSON error.
//! Timestamps are RFC 3339 in UTC with milliseconds, as the worker stores them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::role::Role;

/// RFC 3339 with milliseconds and `Z`: the one spelling of a time on the wire.
pub mod stamp {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn text(time: DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| time.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    /// The same for an optional time (`null` when absent).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            time: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => serializer.serialize_str(&super::text(*time)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|time| time.with_timezone(&Utc))
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

/// Tells "given as null" (`Some(None)`: clear it) from "not given" (`None` through
/// `serde(default)`: leave it) in partial updates.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

// ---- errors ------------------------------------------------------------------------------------

/// Every error answer: `{"error": {code, message, message_en, field?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable machine code (`invalid`, `forbidden`, `seq_gap`, …): a contract, never renamed.
    pub code: String,
    pub message: String,
    pub message_en: String,
    /// The input field an `invalid` answer is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

// ---- board -------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub active_orders: u32,
}

/// `GET /api/board/summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardSummary {
    pub stages: Vec<StageSummary>,
    pub total_active: u32,
}

// ---- accounts and team members -------------------------------------------------------------------

/// A team member as the server shows them: never password material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub login: String,
    pub roles: Vec<Role>,
    pub active: bool,
    #[serde(default)]
    pub work_phone: Option<String>,
    /// Absent in sessions a phone stored before these were sent.
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

/// What a sign-in (or the first-admin setup, or a password change) answers. The token is sent
/// this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub token: String,
    #[serde(with = "stamp")]
    pub expires_at: DateTime<Utc>,
    pub user: User,
    /// The password was chosen by an admin (a new member, or a reset): the app asks for a new
    /// one before anything else. Present only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub must_change_password: bool,
}

/// `POST /api/auth/password`: everyone changes their own password with the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `{"user": …}`: `GET /api/auth/me`, and a member created or changed by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneUser {
    pub user: User,
}

/// `GET /api/admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `POST /api/admin/users`: what an admin fills in to add a member. Roles travel as their names
/// so that an unknown one is refused with a message about roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub name: String,
    pub login: String,
    pub password: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub work_phone: Option<String>,
}

/// `PATCH /api/admin/users/:id`: `None` leaves a field as it is; `work_phone: Some(None)`
/// (`null`) clears the phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub work_phone: Option<Option<String>>,
}

/// `POST /api/admin/users/:id/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// Role names as the wire carries them.
pub fn role_names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|role| role.as_str().to_string()).collect()
}

// ---- notification channels -----------------------------------------------------------------------

/// A channel's product. Stored and sent as the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Wecom,
    Dingtalk,
    Feishu,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Wecom,
        ChannelKind::Dingtalk,
        ChannelKind::Feishu,
        ChannelKind::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Wecom => "wecom",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<ChannelKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// WeCom group robots have no signing secret: the key in the URL is the credential.
    pub fn takes_secret(self) -> bool {
        self != ChannelKind::Wecom
    }

    /// Customer notices carry the customer's phone and email for an SMS/email gateway: only a
    /// generic webhook takes them, never a team chat robot.
    pub fn takes_customer_notices(self) -> bool {
        self == ChannelKind::Webhook
    }
}

/// A notification channel as the server shows it: never its secret, never its full URL (the
/// token in a webhook URL is a credential too), only a masked URL and whether a secret is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: String,
    /// `wecom`, `dingtalk`, `feishu` or `webhook` (`ChannelKind`).
    pub kind: String,
    pub name: String,
    pub url: String,
    pub has_secret: bool,
    pub enabled: bool,
    pub receives_digest: bool,
    pub receives_customer_notices: bool,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
}

/// `POST /api/admin/notify/channels`. The kind travels as text so that an unknown one gets the
/// channel rules' message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receives_digest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receives_customer_notices: Option<bool>,
}

/// `PATCH /api/admin/notify/channels/:id`: `None` leaves a field as it is. The secret is
/// write-only, so "unchanged" is the default; `secret: Some(None)` (`null`) removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receives_digest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receives_customer_notices: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelList {
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneChannel {
    pub channel: Channel,
}

/// One message in the outbox, without its content (which may hold customer contacts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    #[serde(default)]
    pub idempotency_key: String,
    pub channel_id: String,
    /// `None` once the channel was deleted.
    pub channel_name: Option<String>,
    /// `digest`, `customer_notice`, `test`, `lookup_locked`, `help_asked` or `weekly_summary`.
    pub kind: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    #[serde(with = "stamp")]
    pub next_attempt_at: DateTime<Utc>,
    /// Set while a sender holds the row (`sending`).
    #[serde(default, with = "stamp::option")]
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    #[serde(with = "stamp")]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "stamp::option")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// `POST /api/admin/notify/channels/:id/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneMessage {
    pub message: OutboxMessage,
}

/// `GET /api/admin/notify/outbox`: the newest messages first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    pub messages: Vec<OutboxMessage>,
    /// After this many failed attempts a message is `failed` for good.
    pub max_attempts: i64,
}

// ---- sharing with customers -------------------------------------------------------------------

/// `POST /api/orders/:id/share`: a signed customer link for one order. The customer opens
/// `url` (or scans its QR code) and sees the order's progress without the phone digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareLink {
    pub url: String,
    pub token: String,
    #[serde(with = "stamp")]
    pub expires_at: DateTime<Utc>,
    /// A standalone `<svg>` document of the QR code of `url`; shown only as an image.
    pub qr_svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_update_tells_null_from_absent() {
        let clear: MemberChanges = serde_json::from_str(r#"{"work_phone":null}"#).unwrap();
        assert_eq!(clear.work_phone, Some(None));
        let keep: MemberChanges = serde_json::from_str(r#"{"active":false}"#).unwrap();
        assert_eq!(keep.work_phone, None);
        // And the app's side writes exactly what it means.
        let json = serde_json::to_string(&MemberChanges {
            work_phone: Some(None),
            ..MemberChanges::default()
        })
        .unwrap();
        assert_eq!(json, r#"{"work_phone":null}"#);
        assert_eq!(serde_json::to_string(&keep).unwrap(), r#"{"active":false}"#);
    }

    #[test]
    fn requests_with_unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Credentials>(
            r#"{"login":"a","password":"b","admin":true}"#
        )
        .is_err());
        assert!(serde_json::from_str::<ChannelChanges>(r#"{"kind":"wecom"}"#).is_err());
    }

    #[test]
    fn times_are_rfc3339_with_milliseconds_both_ways() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T08:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        let link = ShareLink {
            url: "u".into(),
            token: "t".into(),
            expires_at: at,
            qr_svg: "<svg/>".into(),
        };
        let json = serde_json::to_value(&link).unwrap();
        assert_eq!(json["expires_at"], "2026-12-02T08:00:00.250Z");
        assert_eq!(serde_json::from_value::<ShareLink>(json).unwrap(), link);
    }

    #[test]
    fn channel_rules_wecom_takes_no_secret_and_only_webhooks_take_customer_notices() {
        assert!(!ChannelKind::Wecom.takes_secret());
        assert!(ChannelKind::Dingtalk.takes_secret() && ChannelKind::Feishu.takes_secret());
        let notices: Vec<_> = ChannelKind::ALL
            .into_iter()
            .filter(|kind| kind.takes_customer_notices())
            .collect();
        assert_eq!(notices, vec![ChannelKind::Webhook]);
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ChannelKind::parse("WeCom"), None);
    }
}

// ---- the process (admins edit, everyone follows) --------------------------------------------

pub use crate::process_version::StageInput;
use crate::process_version::{ImpactRow, ProcessDraft, ProcessVersion};
use crate::stage::StageId;
use std::collections::BTreeMap;

/// `GET /api/admin/process`: every published version (oldest first, the last is current) and
/// the saved draft, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessOverview {
    pub current: u32,
    pub versions: Vec<ProcessVersion>,
    pub draft: Option<ProcessDraft>,
}

/// `PUT /api/admin/process/draft` and, with `note`, `POST /api/admin/process/publish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessDraftInput {
    pub base_version: u32,
    pub stages: Vec<StageInput>,
    #[serde(default)]
    pub archived: Vec<StageInput>,
    /// Publishing only: what changed, for the version history.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/admin/process/restore`: publishes a copy of `version`'s stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessRestore {
    pub version: u32,
    pub base_version: u32,
    #[serde(default)]
    pub note: Option<String>,
}

/// The answer to a publish or a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessPublished {
    pub version: ProcessVersion,
}

/// `POST /api/admin/process/preview` and `/migrate`: for each stage that disappears, the stage
/// of the current version its orders go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessMapping {
    #[serde(default)]
    pub mapping: BTreeMap<StageId, StageId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessImpact {
    pub to_version: u32,
    pub rows: Vec<ImpactRow>,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMigrated {
    pub to_version: u32,
    pub moved: u32,
    /// Orders still to move (a request moves a bounded number): call again.
    pub remaining: u32,
}

/// `PUT /api/admin/holidays/{year}`: the whole year as the admin left it. Dates are
/// `YYYY-MM-DD` text, read by `HolidayYear::from_input` so a bad one is named by its field.
/// The answer is the whole `HolidayCalendar` with its new version. Unknown fields are refused
/// (a misspelt `"provisonal": true` would otherwise save the year as announced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayYearInput {
    pub holidays: Vec<String>,
    pub workdays: Vec<String>,
    /// Still waiting for the State Council's notice (the editor says so).
    #[serde(default)]
    pub provisional: bool,
}

/// What the live channel (`GET /api/live`, a WebSocket) sends a phone. A poke carries only the
/// server's data version, never order data: the phone answers it with a pull, which stays the one
/// path that brings data, with its permissions.
///
/// Read by a hand-written visitor: serde's internally-tagged derive buffers the message in a map
/// first, and with it a generic buffering layer (~several KB) came into the field bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    Poke { version: i64 },
    Pong,
}

impl<'de> Deserialize<'de> for LiveMessage {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, Visitor};
        use std::borrow::Cow;

        struct MessageVisitor;

        impl<'de> Visitor<'de> for MessageVisitor {
            type Value = LiveMessage;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a live message {type, version?}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LiveMessage, A::Error> {
                let mut kind: Option<Cow<'de, str>> = None;
                let mut version: Option<i64> = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "type" => kind = Some(map.next_value()?),
                        "version" => version = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                match kind.as_deref() {
                    Some("poke") => Ok(LiveMessage::Poke {
                        version: version.ok_or_else(|| A::Error::missing_field("version"))?,
                    }),
                    Some("pong") => Ok(LiveMessage::Pong),
                    Some(other) => Err(A::Error::unknown_variant(other, &["poke", "pong"])),
                    None => Err(A::Error::missing_field("type")),
                }
            }
        }

        from.deserialize_map(MessageVisitor)
    }
}

/// What a phone may send on the live channel: only a keep-alive. Anything else, or anything
/// longer than `LIVE_MESSAGE_LIMIT` bytes, closes that socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveClientMessage {
    Ping,
}

/// The keep-alive exactly as the app sends it; the server answers it without waking the object.
pub const LIVE_PING: &str = r#"{"type":"ping"}"#;
pub const LIVE_PONG: &str = r#"{"type":"pong"}"#;
/// The largest client message the live channel reads (bytes).
pub const LIVE_MESSAGE_LIMIT: usize = 1024;
/// The WebSocket subprotocol the app asks for; the session token travels as a second one.
pub const LIVE_PROTOCOL: &str = "gendan-live";

#[cfg(test)]
mod live_tests {
    use super::*;

    /// The derive `LiveMessage` had before its hand-written Deserialize: the oracle.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum DerivedLiveMessage {
        Poke { version: i64 },
        Pong,
    }

    #[test]
    fn live_messages_read_what_the_derive_read() {
        let accepted = [
            r#"{"type":"poke","version":7}"#,
            r#"{"version":-3,"type":"poke"}"#,
            r#"{"type":"pong"}"#,
            r#"{"type":"pong","version":1,"extra":[1]}"#,
        ];
        for json in accepted {
            let ours = serde_json::from_str::<LiveMessage>(json).unwrap();
            let derived = serde_json::from_str::<DerivedLiveMessage>(json).unwrap();
            assert_eq!(
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&derived).unwrap(),
                "{json}"
            );
        }
        let refused = [
            r#"{"type":"poke"}"#,
            r#"{"type":"ping"}"#,
            r#"{"version":7}"#,
            r#"{"type":"poke","version":"7"}"#,
            r#""pong""#,
        ];
        for json in refused {
            assert!(
                serde_json::from_str::<DerivedLiveMessage>(json).is_err(),
                "{json}"
            );
            assert!(serde_json::from_str::<LiveMessage>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn live_messages_have_the_documented_shapes() {
        assert_eq!(
            serde_json::to_string(&LiveMessage::Poke { version: 7 }).unwrap(),
            r#"{"type":"poke","version":7}"#
        );
        assert_eq!(
            serde_json::to_string(&LiveMessage::Pong).unwrap(),
            LIVE_PONG
        );
        assert_eq!(
            serde_json::to_string(&LiveClientMessage::Ping).unwrap(),
            LIVE_PING
        );
        assert!(serde_json::from_str::<LiveClientMessage>(r#"{"type":"poke"}"#).is_err());
    }
}

/// A header of an imported sheet and the field it was mapped to (`None`: not imported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportColumn {
    pub title: String,
    pub field: Option<crate::sheet::Column>,
    /// The stage whose entry date this column holds (需求确认日期 …), when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_date: Option<crate::i18n::Localized>,
}

/// One row's result: what it does, or why it cannot (with the header of the column at fault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The row as numbered in the file (Excel's row number).
    pub line: usize,
    pub number: String,
    pub action: crate::sheet::RowAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<crate::i18n::Localized>,
}

/// The answer of `POST /api/admin/import`: the dry run's (or the commit's) result per row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub mode: crate::sheet::ImportMode,
    /// Set once committed: the id that names this import in the orders' history and for undo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    pub columns: Vec<ImportColumn>,
    /// The mapping was the one remembered from an earlier import of a file with these headers.
    #[serde(default)]
    pub remembered: bool,
    /// Why no row was planned, when the sheet as mapped cannot be imported (no order number
    /// column): the columns are still given, so the person can map one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<ImportProblem>,
    pub totals: crate::sheet::ImportTotals,
    pub rows: Vec<ImportRow>,
}

/// The answer of `POST /api/admin/import/{batch_id}/undo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportUndone {
    pub batch_id: String,
    /// Orders the import had created, now cancelled.
    pub cancelled: u32,
    /// Orders the import had updated, now back as they were.
    pub restored: u32,
}

/// A sheet-level problem a dry run reports beside its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    pub code: String,
    pub message: crate::i18n::Localized,
}

/// The answer to an attachment upload (`PUT /api/orders/:id/files/:sha256`): `stored` is false
/// when the server already held these bytes (a retry, or the same photo from another phone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAnswer {
    pub sha256: String,
    pub stored: bool,
}
