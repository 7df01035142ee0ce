//! What someone typed into the order form (新建订单, 编辑订单) and has not saved, kept on this
//! device until they save it or throw it away: leaving the screen, the back button, a reload or
//! a closed app must not lose it.
//!
//! A draft holds only what differs from the form's starting values. An edit form reopened after
//! a colleague changed the order shows the colleague's values in the boxes nobody typed into,
//! and the typing in the others: restoring a whole copy of the form would have undone their
//! change with the next save.
//!
//! Drafts live in `localStorage`, which is read synchronously: the form opens with the typing
//! already in its boxes, not empty for a moment (someone might start typing into it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The order form's boxes as text: each field's id and its text, and the item rows (product,
/// quantity, unit, unit price).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderFormText {
    pub fields: BTreeMap<&'static str, String>,
    pub items: Vec<[String; 4]>,
}

/// The typing that differs from where the form started.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrderFormDraft {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<String, String>,
    /// The rows as a whole, once any of them changed (rows have no identity to merge by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    items: Option<Vec<[String; 4]>>,
}

impl OrderFormDraft {
    /// What was typed into a form that started as `start` and now reads `now`.
    pub fn typed(start: &OrderFormText, now: &OrderFormText) -> Self {
        OrderFormDraft {
            fields: now
                .fields
                .iter()
                .filter(|(id, text)| start.fields.get(*id) != Some(*text))
                .map(|(id, text)| (id.to_string(), text.clone()))
                .collect(),
            items: (now.items != start.items).then(|| now.items.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.items.is_none()
    }

    /// The form as it starts now (`start`, the order as stored today) with the typing over it.
    /// A field the form no longer has is dropped.
    pub fn over(&self, start: &OrderFormText) -> OrderFormText {
        let mut text = start.clone();
        for (id, value) in text.fields.iter_mut() {
            if let Some(typed) = self.fields.get(*id) {
                value.clone_from(typed);
            }
        }
        if let Some(items) = &self.items {
            text.items.clone_from(items);
        }
        text
    }
}

const KEY_PREFIX: &str = "gendan.form-draft.";

/// Where one person's draft of a new order (`order: None`) or of an edit is kept.
pub fn draft_key(user_id: &str, order: Option<Uuid>) -> String {
    match order {
        Some(id) => format!("{KEY_PREFIX}{user_id}.{id}"),
        None => format!("{KEY_PREFIX}{user_id}.new"),
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten())
}

/// The draft kept under `key`; a damaged one counts as none (it is replaced on the next key).
pub fn load_draft(key: &str) -> Option<OrderFormDraft> {
    let json = local_storage()?.get_item(key).ok().flatten()?;
    serde_json::from_str::<OrderFormDraft>(&json)
        .ok()
        .filter(|draft| !draft.is_empty())
}

/// Keeps `draft` under `key`, or forgets the key when nothing is typed.
pub fn keep_draft(key: &str, draft: &OrderFormDraft) {
    let Some(storage) = local_storage() else {
        return;
    };
    if draft.is_empty() {
        let _ = storage.remove_item(key);
    } else if let Ok(json) = serde_json::to_string(draft) {
        let _ = storage.set_item(key, &json);
    }
}

pub fn forget_draft(key: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(key);
    }
}

/// Forgets every draft on this device: wiping it, or another person taking it over.
pub fn forget_all_drafts() {
    let Some(storage) = local_storage() else {
        return;
    };
    let keys: Vec<String> = (0..storage.length().unwrap_or(0))
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(KEY_PREFIX))
        .collect();
    for key in keys {
        let _ = storage.remove_item(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    // Drafts live in localStorage, which only a browser has: without this the library's tests
    // run in Node, where `window` is missing and every draft reads back as none.
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    fn form(contact: &str, phone: &str, items: &[[&str; 4]]) -> OrderFormText {
        OrderFormText {
            fields: [
                ("company", "甲公司"),
                ("contact", contact),
                ("phone", phone),
            ]
            .into_iter()
            .map(|(id, text)| (id, text.to_string()))
            .collect(),
            items: items
                .iter()
                .map(|row| row.map(|cell| cell.to_string()))
                .collect(),
        }
    }

    #[wasm_bindgen_test]
    fn a_draft_keeps_only_the_typing_and_a_colleagues_change_elsewhere_survives_it() {
        let row = [["法兰", "10", "个", "12.50"]];
        let opened = form("赵一", "13900000001", &row);
        let typed = form("赵一一", "13900000001", &row);
        let draft = OrderFormDraft::typed(&opened, &typed);
        assert!(!draft.is_empty());
        // Stored and read back as JSON, as localStorage keeps it.
        let draft: OrderFormDraft =
            serde_json::from_str(&serde_json::to_string(&draft).unwrap()).unwrap();
        // Meanwhile a colleague changed the phone: reopened, the form shows both.
        let reopened = form("赵一", "13900000009", &row);
        assert_eq!(draft.over(&reopened), form("赵一一", "13900000009", &row));
        // Typing the original back leaves nothing to keep.
        assert!(OrderFormDraft::typed(&opened, &opened).is_empty());
    }

    #[wasm_bindgen_test]
    fn changed_rows_come_back_whole_and_untouched_rows_follow_the_order() {
        let opened = form("赵一", "1", &[["法兰", "10", "个", "12.50"]]);
        let typed = form(
            "赵一",
            "1",
            &[["法兰", "12", "个", "12.50"], ["垫片", "", "", ""]],
        );
        let draft = OrderFormDraft::typed(&opened, &typed);
        assert_eq!(draft.over(&opened).items, typed.items);
        let only_contact = OrderFormDraft::typed(
            &opened,
            &form("钱二", "1", &[["法兰", "10", "个", "12.50"]]),
        );
        let colleague = form("赵一", "1", &[["法兰", "20", "个", "12.50"]]);
        assert_eq!(only_contact.over(&colleague).items, colleague.items);
    }

    #[wasm_bindgen_test]
    fn drafts_are_kept_per_person_and_order_and_all_go_when_the_device_is_wiped() {
        let new = draft_key("u-wang", None);
        let edit = draft_key("u-wang", Some(Uuid::from_u128(7)));
        assert_ne!(new, edit);
        assert_ne!(new, draft_key("u-zhang", None));
        let typed = OrderFormDraft::typed(&form("a", "1", &[]), &form("b", "1", &[]));
        keep_draft(&new, &typed);
        keep_draft(&edit, &typed);
        assert_eq!(load_draft(&new), Some(typed.clone()));
        keep_draft(&new, &OrderFormDraft::default());
        assert_eq!(load_draft(&new), None, "nothing typed, nothing kept");
        let storage = local_storage().unwrap();
        storage.set_item("gendan.test-other", "1").unwrap();
        forget_all_drafts();
        assert_eq!(load_draft(&edit), None);
        assert_eq!(
            storage.get_item("gendan.test-other").unwrap(),
            Some("1".into()),
            "other keys stay"
        );
        storage.remove_item("gendan.test-other").unwrap();
    }
}
