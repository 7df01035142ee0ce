//! What an attachment is evidence of (签收单, 合同, 发票, 质检照片, 其他). A leaf of its own:
//! the stage vocabulary (a checklist item may need a kind as evidence) and `DomainError` (which
//! names the missing kind) use it, and `attachment.rs` uses both of them.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// What the file is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// 签收单: the delivery note the customer signed.
    DeliveryNote,
    Contract,
    Invoice,
    QcPhoto,
    Other,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 5] = [
        AttachmentKind::DeliveryNote,
        AttachmentKind::Contract,
        AttachmentKind::Invoice,
        AttachmentKind::QcPhoto,
        AttachmentKind::Other,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            AttachmentKind::DeliveryNote => ("签收单", "signed delivery note"),
            AttachmentKind::Contract => ("合同", "contract"),
            AttachmentKind::Invoice => ("发票", "invoice"),
            AttachmentKind::QcPhoto => ("质检照片", "QC photo"),
            AttachmentKind::Other => ("其他文件", "file"),
        };
        lang.pick(zh, en)
    }

    /// What a checklist item that needs this kind asks for, as an object of "需要…" / "needs …":
    /// a photo of a signature, but a contract or an invoice may as well be a PDF, and a QC
    /// photo is one already ("质检照片照片" was the old wording).
    pub fn evidence_label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            AttachmentKind::DeliveryNote => ("签收单照片", "a signed delivery note photo"),
            AttachmentKind::Contract => ("合同（照片或 PDF）", "the contract (photo or PDF)"),
            AttachmentKind::Invoice => ("发票（照片或 PDF）", "the invoice (photo or PDF)"),
            AttachmentKind::QcPhoto => ("质检照片", "a QC photo"),
            AttachmentKind::Other => ("照片或文件", "a photo or file"),
        };
        lang.pick(zh, en)
    }

    /// The stable wire name (`delivery_note`), also used in forms.
    pub fn key(self) -> &'static str {
        match self {
            AttachmentKind::DeliveryNote => "delivery_note",
            AttachmentKind::Contract => "contract",
            AttachmentKind::Invoice => "invoice",
            AttachmentKind::QcPhoto => "qc_photo",
            AttachmentKind::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<AttachmentKind> {
        AttachmentKind::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
    }

    /// Customers see the papers that concern them (the signed delivery note, the invoice);
    /// contracts, QC photos and the rest stay with the team.
    pub fn customer_visible(self) -> bool {
        matches!(self, AttachmentKind::DeliveryNote | AttachmentKind::Invoice)
    }
}
