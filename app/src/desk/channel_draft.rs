//! The notification-channel form as plain data: what the admin typed, and the request it makes.
//! `ChannelForm` only wires inputs to a `ChannelDraft`; what is sent (and what is left out
//! because the channel's kind does not take it) is decided here and tested here.

use domain::wire::{Channel, ChannelChanges, ChannelKind, NewChannel};

#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDraft {
    pub kind: ChannelKind,
    pub name: String,
    /// Write-only: an edit starts empty and sends a URL only when one was typed.
    pub url: String,
    /// Write-only, like the URL.
    pub secret: String,
    pub remove_secret: bool,
    pub enabled: bool,
    pub receives_digest: bool,
    pub receives_customer_notices: bool,
}

impl ChannelDraft {
    /// A new channel: a WeCom robot, on, receiving the digest.
    pub fn new() -> Self {
        ChannelDraft {
            kind: ChannelKind::Wecom,
            name: String::new(),
            url: String::new(),
            secret: String::new(),
            remove_secret: false,
            enabled: true,
            receives_digest: true,
            receives_customer_notices: false,
        }
    }

    /// Editing `channel`: its name and purposes; the URL and secret are not known here.
    pub fn editing(channel: &Channel) -> Self {
        ChannelDraft {
            kind: ChannelKind::parse(&channel.kind).unwrap_or(ChannelKind::Webhook),
            name: channel.name.clone(),
            enabled: channel.enabled,
            receives_digest: channel.receives_digest,
            receives_customer_notices: channel.receives_customer_notices,
            ..ChannelDraft::new()
        }
    }

    /// Whether the form shows the secret field (WeCom robots have none).
    pub fn shows_secret(&self) -> bool {
        self.kind.takes_secret()
    }

    /// Whether the form offers customer notices (generic webhooks only).
    pub fn shows_customer_notices(&self) -> bool {
        self.kind.takes_customer_notices()
    }

    fn typed(text: &str) -> Option<String> {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    }

    fn customer_notices(&self) -> bool {
        self.receives_customer_notices && self.shows_customer_notices()
    }

    /// The request that adds this channel. A ticked box or a typed secret that the chosen kind
    /// does not take (left over from another kind) is not sent.
    pub fn to_new_channel(&self) -> NewChannel {
        NewChannel {
            kind: self.kind.as_str().to_string(),
            name: self.name.trim().to_string(),
            url: self.url.trim().to_string(),
            secret: Self::typed(&self.secret).filter(|_| self.shows_secret()),
            enabled: Some(self.enabled),
            receives_digest: Some(self.receives_digest),
            receives_customer_notices: Some(self.customer_notices()),
        }
    }

    /// The change set for `existing`: only what was typed (URL, secret) or changed (name), and
    /// the purposes as shown.
    pub fn to_changes(&self, existing: &Channel) -> ChannelChanges {
        let secret = match (self.remove_secret, Self::typed(&self.secret)) {
            (true, _) => Some(None),
            (false, Some(new)) => Some(Some(new)),
            (false, None) => None,
        };
        ChannelChanges {
            name: Self::typed(&self.name).filter(|name| *name != existing.name),
            url: Self::typed(&self.url),
            secret,
            enabled: None,
            receives_digest: Some(self.receives_digest),
            receives_customer_notices: Some(self.customer_notices()),
        }
    }
}

impl Default for ChannelDraft {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn existing() -> Channel {
        Channel {
            id: "ch-1".into(),
            kind: "dingtalk".into(),
            name: "销售群".into(),
            url: "https://oapi.dingtalk.com/robot/send?access_token=…abcd".into(),
            has_secret: true,
            enabled: true,
            receives_digest: true,
            receives_customer_notices: false,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[wasm_bindgen_test]
    fn a_wecom_robot_is_added_without_the_secret_or_customer_notices_left_from_another_kind() {
        let mut draft = ChannelDraft::new();
        draft.kind = ChannelKind::Webhook;
        draft.secret = "SEC123".into();
        draft.receives_customer_notices = true;
        draft.kind = ChannelKind::Wecom;
        draft.name = "  仓库群 ".into();
        draft.url = " https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k ".into();
        let request = draft.to_new_channel();
        assert_eq!(request.kind, "wecom");
        assert_eq!(request.name, "仓库群");
        assert_eq!(
            request.url,
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
        );
        assert_eq!(request.secret, None);
        assert_eq!(request.receives_customer_notices, Some(false));
        assert_eq!(request.enabled, Some(true));
    }

    #[wasm_bindgen_test]
    fn a_webhook_keeps_its_secret_and_may_take_customer_notices() {
        let mut draft = ChannelDraft::new();
        draft.kind = ChannelKind::Webhook;
        draft.secret = " s3cret ".into();
        draft.receives_customer_notices = true;
        let request = draft.to_new_channel();
        assert_eq!(request.secret.as_deref(), Some("s3cret"));
        assert_eq!(request.receives_customer_notices, Some(true));
    }

    #[wasm_bindgen_test]
    fn an_untouched_edit_sends_no_url_secret_or_name() {
        let channel = existing();
        let changes = ChannelDraft::editing(&channel).to_changes(&channel);
        assert_eq!(changes.name, None);
        assert_eq!(changes.url, None);
        assert_eq!(changes.secret, None);
        assert_eq!(changes.enabled, None);
        assert_eq!(changes.receives_digest, Some(true));
    }

    #[wasm_bindgen_test]
    fn removing_the_secret_wins_over_a_typed_one_and_a_new_name_is_sent() {
        let channel = existing();
        let mut draft = ChannelDraft::editing(&channel);
        draft.secret = "SECnew".into();
        let changes = draft.to_changes(&channel);
        assert_eq!(changes.secret, Some(Some("SECnew".into())));
        draft.remove_secret = true;
        draft.name = "销售一群".into();
        let changes = draft.to_changes(&channel);
        assert_eq!(changes.secret, Some(None));
        assert_eq!(changes.name.as_deref(), Some("销售一群"));
    }
}
