//! The company's follow-up process as versioned data: published versions are immutable, an admin
//! edits a draft and publishes it, and every order runs on the version it was started on.
//!
//! Why versions and not one editable pipeline: peers that let admins rename or delete stages in
//! place have hidden orders already in them. Here a stage key is never deleted or reused (it is
//! archived, and comes back only as itself), so every order's stage always exists in its own
//! version; structural changes reach in-flight orders only through an explicit, total
//! [`migration`](plan_migration), each moved order recording why in its history.
//!
//! Wording (names, customer texts, checklist labels) is the exception: people expect a renamed
//! stage to read the new way everywhere at once, so [`Processes`] lends every version the
//! newest wording of each stage and checklist item it shares with later versions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::history::{EventKind, HistoryEvent};
use crate::holidays::WorkCalendar;
use crate::i18n::Localized;
use crate::order::{Order, StageProgress};
use crate::pipeline::{Pipeline, StageDef, StageId};
use crate::role::Role;
use crate::staff::StaffRef;
use crate::stage::{ChecklistItemDef, ExitRequirement, OrderField};
use crate::text::{is_bidi_control, is_format, visible};

/// The version every company starts with: the standard six stages.
pub const FIRST_VERSION: u32 = 1;
/// More stages than this is not a follow-up process any phone screen can show.
pub const MAX_STAGES: usize = 30;
pub const MAX_CHECKLIST_ITEMS: usize = 50;
/// Longest SLA accepted; anything beyond a year is a typo, not a plan.
pub const MAX_SLA_DAYS: u32 = 365;
pub const MAX_NAME_CHARS: usize = 40;
pub const MAX_MESSAGE_CHARS: usize = 500;
pub const MAX_CHECKLIST_LABEL_CHARS: usize = 200;
pub const MAX_NOTE_CHARS: usize = 500;
const MAX_KEY_CHARS: usize = 40;

/// The serde default of `Order::process_version`: orders stored before versions existed, and
/// older phones that do not send the field, run on version 1 (the standard process).
pub fn first_version() -> u32 {
    FIRST_VERSION
}

/// One published process: immutable once published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessVersion {
    pub number: u32,
    /// Who published it (the system for version 1).
    pub author: StaffRef,
    pub published_at: DateTime<Utc>,
    pub note: String,
    /// The active stages, in order.
    pub stages: Vec<StageDef>,
    /// Stages taken out of the process; kept so their keys are never given to another stage and
    /// so they can be restored as themselves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub archived: Vec<StageDef>,
}

impl ProcessVersion {
    /// Version 1: the standard six stages, published by the system.
    pub fn standard() -> ProcessVersion {
        ProcessVersion {
            number: FIRST_VERSION,
            author: crate::staff::system_actor(),
            published_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            note: "标准流程".into(),
            stages: Pipeline::standard().stages,
            archived: Vec::new(),
        }
    }

    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.stages.clone())
    }

    fn all_keys(&self) -> impl Iterator<Item = &StageId> {
        self.stages.iter().chain(&self.archived).map(|s| &s.id)
    }

    fn holds(&self, key: &StageId) -> bool {
        self.stages.iter().any(|s| &s.id == key)
    }

    /// The stage with `key`, active or archived.
    fn def(&self, key: &StageId) -> Option<&StageDef> {
        self.stages
            .iter()
            .chain(&self.archived)
            .find(|s| &s.id == key)
    }
}

/// What an admin is editing: a copy of the version it was started from (`base`), changed by
/// [`ProcessDraft::edit`] or replaced as a whole (the API's "save draft"), checked by
/// [`ProcessDraft::check`] before it is stored or published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessDraft {
    pub base_version: u32,
    pub stages: Vec<StageDef>,
    #[serde(default)]
    pub archived: Vec<StageDef>,
}

/// One editing step, as the editor screen makes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DraftEdit {
    /// A new stage after `after` (at the start when `None`). Its key must be new.
    Add {
        after: Option<StageId>,
        stage: StageDef,
    },
    /// Replaces the stage with the same key (names, roles, checklist, SLA, rules).
    Update { stage: StageDef },
    /// Moves a stage to position `to` (0-based) among the active stages.
    Move { stage: StageId, to: usize },
    /// Takes a stage out of the process; its key stays reserved.
    Archive { stage: StageId },
    /// Brings an archived stage back, after `after`.
    Restore {
        stage: StageId,
        after: Option<StageId>,
    },
}

impl ProcessDraft {
    pub fn from_version(version: &ProcessVersion) -> ProcessDraft {
        ProcessDraft {
            base_version: version.number,
            stages: version.stages.clone(),
            archived: version.archived.clone(),
        }
    }

    /// Applies one edit and checks the result against `base`; on error the draft is unchanged.
    pub fn edit(&mut self, base: &ProcessVersion, edit: DraftEdit) -> Result<(), DomainError> {
        let mut next = self.clone();
        match edit {
            DraftEdit::Add { after, stage } => {
                if next.key_known(&stage.id) || base.all_keys().any(|k| *k == stage.id) {
                    return Err(DomainError::invalid(
                        "stage.id",
                        format!("阶段标识“{}”已被使用过，不能再用于新阶段", stage.id),
                        format!(
                            "Stage key '{}' has been used before and cannot be given to a new stage",
                            stage.id
                        ),
                    ));
                }
                let at = next.position_after(after.as_ref())?;
                next.stages.insert(at, stage);
            }
            DraftEdit::Update { stage } => {
                let Some(slot) = next.stages.iter_mut().find(|s| s.id == stage.id) else {
                    return Err(no_such_stage("stage.id", &stage.id));
                };
                *slot = stage;
            }
            DraftEdit::Move { stage, to } => {
                let Some(from) = next.stages.iter().position(|s| s.id == stage) else {
                    return Err(no_such_stage("stage", &stage));
                };
                if to >= next.stages.len() {
                    return Err(DomainError::invalid(
                        "to",
                        "目标位置超出阶段列表",
                        "The target position is past the end of the stage list",
                    ));
                }
                let moved = next.stages.remove(from);
                next.stages.insert(to, moved);
            }
            DraftEdit::Archive { stage } => {
                let Some(at) = next.stages.iter().position(|s| s.id == stage) else {
                    return Err(no_such_stage("stage", &stage));
                };
                let archived = next.stages.remove(at);
                // A stage added in this draft was never published: no order can be in it and
                // no version holds its key, so taking it out simply removes it.
                if base.def(&archived.id).is_some() {
                    next.archived.push(archived);
                }
            }
            DraftEdit::Restore { stage, after } => {
                let Some(at) = next.archived.iter().position(|s| s.id == stage) else {
                    return Err(no_such_stage("stage", &stage));
                };
                let restored = next.archived.remove(at);
                let to = next.position_after(after.as_ref())?;
                next.stages.insert(to, restored);
            }
        }
        next.check(base)?;
        *self = next;
        Ok(())
    }

    fn key_known(&self, key: &StageId) -> bool {
        self.stages
            .iter()
            .chain(&self.archived)
            .any(|s| &s.id == key)
    }

    fn position_after(&self, after: Option<&StageId>) -> Result<usize, DomainError> {
        match after {
            None => Ok(0),
            Some(key) => self
                .stages
                .iter()
                .position(|s| &s.id == key)
                .map(|i| i + 1)
                .ok_or_else(|| no_such_stage("after", key)),
        }
    }

    /// Everything a draft must satisfy before it is stored or published, each refusal naming
    /// its field (`stages[2].sla_days`, `archived`, …):
    /// - 1..=30 active stages; keys lowercase ASCII, unique across active and archived;
    /// - every key `base` has (active or archived) is still here: stages are archived, never
    ///   deleted, so no key can later be given to a different stage;
    /// - only stages `base` has may be archived: a new stage cannot be born archived (nothing
    ///   else bounds how many archived stages every later version would carry);
    /// - names and customer texts present in both languages (not empty once spaces and
    ///   invisible format characters are removed, no bidi controls) and within their lengths,
    ///   stage names unique per language, at least one responsible role, SLA 0..=365 days,
    ///   ≤ 50 checklist items with unique ids and labels (per language, within the stage), no
    ///   repeated exit requirement. Archived stages are held to the same rules, except one left
    ///   exactly as `base` published it: an admin cannot edit an archived stage, so a stage
    ///   published before a rule existed must not block every later publish.
    pub fn check(&self, base: &ProcessVersion) -> Result<(), DomainError> {
        if self.stages.is_empty() {
            return Err(DomainError::invalid(
                "stages",
                "流程至少需要一个启用的阶段",
                "The process needs at least one active stage",
            ));
        }
        if self.stages.len() > MAX_STAGES {
            return Err(DomainError::invalid(
                "stages",
                format!("流程最多 {MAX_STAGES} 个阶段"),
                format!("A process has at most {MAX_STAGES} stages"),
            ));
        }
        let mut keys = BTreeSet::new();
        for (i, stage) in self.stages.iter().enumerate() {
            check_stage(&format!("stages[{i}]"), stage)?;
            if !keys.insert(&stage.id) {
                return Err(DomainError::invalid(
                    format!("stages[{i}].id").as_str(),
                    format!("阶段标识“{}”重复", stage.id),
                    format!("Stage key '{}' is used twice", stage.id),
                ));
            }
        }
        for (i, stage) in self.archived.iter().enumerate() {
            let at = format!("archived[{i}]");
            match base.def(&stage.id) {
                None => {
                    return Err(DomainError::invalid(
                        &format!("{at}.id"),
                        format!(
                            "阶段“{}”从未发布过，不能直接归档；不需要它就把它删掉",
                            shortened(stage.id.as_str())
                        ),
                        format!(
                            "Stage '{}' was never published, so it cannot be archived; remove it instead",
                            shortened(stage.id.as_str())
                        ),
                    ))
                }
                Some(published) if published == stage => {}
                Some(_) => check_stage(&at, stage)?,
            }
            if !keys.insert(&stage.id) {
                return Err(DomainError::invalid(
                    format!("archived[{i}].id").as_str(),
                    format!("阶段标识“{}”既在启用中又已归档，或归档了两次", stage.id),
                    format!(
                        "Stage key '{}' is both active and archived, or archived twice",
                        stage.id
                    ),
                ));
            }
        }
        for key in base.all_keys() {
            if !keys.contains(key) {
                return Err(DomainError::invalid(
                    "archived",
                    format!("阶段“{key}”不能删除，只能归档"),
                    format!("Stage '{key}' cannot be deleted, only archived"),
                ));
            }
        }
        // Per language: a stage may be called "QC" in both, and one stage's English name may
        // be another's Chinese one; two stages reading the same in one language may not.
        let (mut zh_names, mut en_names) = (BTreeSet::new(), BTreeSet::new());
        for (i, stage) in self.stages.iter().enumerate() {
            let (zh, en) = (visible(&stage.name.zh), visible(&stage.name.en));
            let repeated = if !zh_names.insert(zh.clone()) {
                Some(zh)
            } else if !en_names.insert(en.clone()) {
                Some(en)
            } else {
                None
            };
            if let Some(name) = repeated {
                return Err(DomainError::invalid(
                    format!("stages[{i}].name").as_str(),
                    format!("阶段名称“{name}”重复"),
                    format!("Stage name '{name}' is used twice"),
                ));
            }
        }
        Ok(())
    }

    /// Whether publishing this draft over `base` changes anything at all.
    pub fn differs_from(&self, base: &ProcessVersion) -> bool {
        self.stages != base.stages || self.archived != base.archived
    }
}

/// `number` is not a version at all (newer than `current`, or 0).
pub fn no_such_version(field: &str, number: u32, current: u32) -> DomainError {
    DomainError::invalid(
        field,
        format!("没有第 {number} 版流程（当前是第 {current} 版）"),
        format!("There is no process version {number} (the current one is {current})"),
    )
}

fn no_such_stage(field: &str, key: &StageId) -> DomainError {
    DomainError::invalid(
        field,
        format!("草稿中没有阶段“{key}”"),
        format!("The draft has no stage '{key}'"),
    )
}

/// At most 40 characters of `text`, for quoting something an admin sent back in a message.
fn shortened(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_KEY_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn check_text(
    field: &str,
    what: (&str, &str),
    text: &Localized,
    max: usize,
) -> Result<(), DomainError> {
    for (lang, value) in [("zh", &text.zh), ("en", &text.en)] {
        let field = format!("{field}.{lang}");
        let value = value.trim();
        // Zero-width characters alone look exactly like nothing.
        if value.chars().all(|c| c.is_whitespace() || is_format(c)) {
            return Err(DomainError::invalid(
                &field,
                format!("{}不能为空", what.0),
                format!("{} is required", what.1),
            ));
        }
        if value.chars().count() > max {
            return Err(DomainError::invalid(
                &field,
                format!("{}最多 {max} 个字", what.0),
                format!("{} must be at most {max} characters", what.1),
            ));
        }
        // Newlines are fine in a customer message; no other control character is.
        if value.chars().any(|c| c.is_control() && c != '\n') {
            return Err(DomainError::invalid(
                &field,
                format!("{}包含无效的控制字符", what.0),
                format!("{} contains invalid control characters", what.1),
            ));
        }
        // Anywhere, even inside visible text: they make a name read as something it is not
        // (U+202E turns "Contract fdp.exe" into "Contract exe.pdf").
        if value.chars().any(is_bidi_control) {
            return Err(DomainError::InvisibleCharacters {
                field,
                message: Localized::new(
                    format!("{}包含会改变文字方向的字符（双向控制符），请删除后重试", what.0),
                    format!(
                        "{} contains direction-changing characters (bidi controls); remove them and try again",
                        what.1
                    ),
                ),
            });
        }
    }
    Ok(())
}

pub(crate) fn check_stage(at: &str, stage: &StageDef) -> Result<(), DomainError> {
    let key = stage.id.as_str();
    let key_ok = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key.as_bytes()[0].is_ascii_lowercase()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !key_ok {
        return Err(DomainError::invalid(
            &format!("{at}.id"),
            format!("阶段标识“{key}”无效：以小写字母开头，只用小写字母、数字和下划线，最多 {MAX_KEY_CHARS} 个"),
            format!("Stage key '{key}' is invalid: start with a lowercase letter, use a-z, 0-9 and _, at most {MAX_KEY_CHARS}"),
        ));
    }
    check_text(
        &format!("{at}.name"),
        ("阶段名称", "The stage name"),
        &stage.name,
        MAX_NAME_CHARS,
    )?;
    check_text(
        &format!("{at}.customer_label"),
        ("客户看到的阶段名", "The customer label"),
        &stage.customer_label,
        MAX_NAME_CHARS,
    )?;
    check_text(
        &format!("{at}.customer_message"),
        ("客户看到的说明", "The customer message"),
        &stage.customer_message,
        MAX_MESSAGE_CHARS,
    )?;
    if stage.responsible.is_empty() {
        return Err(DomainError::invalid(
            &format!("{at}.responsible"),
            format!("阶段“{}”需要至少一个负责角色", stage.name.zh),
            format!(
                "Stage '{}' needs at least one responsible role",
                stage.name.en
            ),
        ));
    }
    if stage.sla_days > MAX_SLA_DAYS {
        return Err(DomainError::invalid(
            &format!("{at}.sla_days"),
            format!(
                "阶段“{}”的时限须在 0 到 {MAX_SLA_DAYS} 天之间",
                stage.name.zh
            ),
            format!(
                "Stage '{}' SLA must be 0 to {MAX_SLA_DAYS} days",
                stage.name.en
            ),
        ));
    }
    if stage.checklist.len() > MAX_CHECKLIST_ITEMS {
        return Err(DomainError::invalid(
            &format!("{at}.checklist"),
            format!("每个阶段最多 {MAX_CHECKLIST_ITEMS} 个清单项"),
            format!("A stage has at most {MAX_CHECKLIST_ITEMS} checklist items"),
        ));
    }
    let mut items = BTreeSet::new();
    let (mut zh_labels, mut en_labels) = (BTreeSet::new(), BTreeSet::new());
    for (j, item) in stage.checklist.iter().enumerate() {
        let field = format!("{at}.checklist[{j}]");
        if item.id.trim().is_empty()
            || item.id.len() > MAX_KEY_CHARS
            || !items.insert(item.id.as_str())
        {
            return Err(DomainError::invalid(
                &format!("{field}.id"),
                "清单项标识为空、过长或重复",
                "The checklist item id is empty, too long or used twice",
            ));
        }
        check_text(
            &format!("{field}.label"),
            ("清单项", "The checklist item"),
            &item.label,
            MAX_CHECKLIST_LABEL_CHARS,
        )?;
        // Two lines reading the same: nobody ticking them knows which is which, and the history
        // ("ticked …") could not tell them apart either.
        for (lang, label, seen) in [
            ("zh", &item.label.zh, &mut zh_labels),
            ("en", &item.label.en, &mut en_labels),
        ] {
            let label = visible(label);
            if !seen.insert(label.clone()) {
                return Err(DomainError::invalid(
                    &format!("{field}.label.{lang}"),
                    format!("清单项“{label}”在这个阶段里重复"),
                    format!("The checklist item '{label}' is listed twice in this stage"),
                ));
            }
        }
    }
    let requirements: BTreeSet<_> = stage.exit_requirements.iter().collect();
    if requirements.len() != stage.exit_requirements.len() {
        return Err(DomainError::invalid(
            &format!("{at}.exit_requirements"),
            "离开条件重复",
            "An exit requirement is listed twice",
        ));
    }
    let fields: BTreeSet<_> = stage.required_fields.iter().collect();
    if fields.len() != stage.required_fields.len() {
        return Err(DomainError::invalid(
            &format!("{at}.required_fields"),
            "必填字段重复",
            "A required field is listed twice",
        ));
    }
    Ok(())
}

/// A stage as the editor sends it: roles and exit requirements as text, so that an unknown one
/// is refused naming its field instead of failing the whole body's JSON.
///
/// Unknown fields are refused, here and in its texts and checklist items: a misspelt
/// `"requried": true` would otherwise save an optional item the admin believes required.
/// `Localized` and `ChecklistItemDef` themselves stay lenient because stored versions are read
/// through them; only this input reads them strictly (`strict_localized`, `strict_checklist`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageInput {
    pub id: StageId,
    #[serde(deserialize_with = "strict_localized")]
    pub name: Localized,
    pub responsible: Vec<String>,
    #[serde(default, deserialize_with = "strict_checklist")]
    pub checklist: Vec<ChecklistItemDef>,
    pub sla_days: i64,
    #[serde(default)]
    pub sla_working_days: bool,
    #[serde(deserialize_with = "strict_localized")]
    pub customer_label: Localized,
    #[serde(deserialize_with = "strict_localized")]
    pub customer_message: Localized,
    #[serde(default)]
    pub notify_customer: bool,
    #[serde(default)]
    pub exit_requirements: Vec<String>,
    /// Order field names (`OrderField`'s wire names) required before leaving the stage.
    #[serde(default)]
    pub required_fields: Vec<String>,
    /// Absent means skippable, as every stage was before the flag existed.
    #[serde(default = "yes")]
    pub skippable: bool,
}

fn yes() -> bool {
    true
}

/// `Localized` as an admin sends it: exactly `zh` and `en`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictLocalized {
    zh: String,
    en: String,
}

impl From<StrictLocalized> for Localized {
    fn from(text: StrictLocalized) -> Localized {
        Localized::new(text.zh, text.en)
    }
}

/// `ChecklistItemDef` as an admin sends it: only its own fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictChecklistItem {
    id: String,
    label: StrictLocalized,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    evidence: Option<crate::attachment_kind::AttachmentKind>,
}

fn strict_localized<'de, D: serde::Deserializer<'de>>(input: D) -> Result<Localized, D::Error> {
    StrictLocalized::deserialize(input).map(Localized::from)
}

fn strict_checklist<'de, D: serde::Deserializer<'de>>(
    input: D,
) -> Result<Vec<ChecklistItemDef>, D::Error> {
    let items = Vec::<StrictChecklistItem>::deserialize(input)?;
    Ok(items
        .into_iter()
        .map(|item| ChecklistItemDef {
            id: item.id,
            label: item.label.into(),
            required: item.required,
            evidence: item.evidence,
        })
        .collect())
}

impl StageInput {
    pub fn parse(&self, at: &str) -> Result<StageDef, DomainError> {
        let mut responsible = Vec::new();
        for (i, role) in self.responsible.iter().enumerate() {
            let Some(role) = Role::parse(role) else {
                return Err(DomainError::invalid(
                    &format!("{at}.responsible[{i}]"),
                    format!("未知的角色“{role}”"),
                    format!("Unknown role '{role}'"),
                ));
            };
            if !responsible.contains(&role) {
                responsible.push(role);
            }
        }
        let mut exit_requirements = Vec::new();
        for (i, requirement) in self.exit_requirements.iter().enumerate() {
            let parsed = match requirement.as_str() {
                "shipment" => ExitRequirement::Shipment,
                "invoice" => ExitRequirement::Invoice,
                other => {
                    return Err(DomainError::invalid(
                        &format!("{at}.exit_requirements[{i}]"),
                        format!("未知的离开条件“{other}”"),
                        format!("Unknown exit requirement '{other}'"),
                    ))
                }
            };
            exit_requirements.push(parsed);
        }
        let mut required_fields = Vec::new();
        for (i, name) in self.required_fields.iter().enumerate() {
            let Some(field) = OrderField::parse(name) else {
                return Err(DomainError::invalid(
                    &format!("{at}.required_fields[{i}]"),
                    format!("未知的订单字段“{name}”"),
                    format!("Unknown order field '{name}'"),
                ));
            };
            required_fields.push(field);
        }
        let sla_days = u32::try_from(self.sla_days)
            .ok()
            .filter(|d| *d <= MAX_SLA_DAYS)
            .ok_or_else(|| {
                DomainError::invalid(
                    &format!("{at}.sla_days"),
                    format!("时限须在 0 到 {MAX_SLA_DAYS} 天之间"),
                    format!("The SLA must be 0 to {MAX_SLA_DAYS} days"),
                )
            })?;
        Ok(StageDef {
            id: self.id.clone(),
            name: self.name.clone(),
            responsible,
            checklist: self.checklist.clone(),
            sla_days,
            sla_working_days: self.sla_working_days,
            customer_label: self.customer_label.clone(),
            customer_message: self.customer_message.clone(),
            notify_customer: self.notify_customer,
            exit_requirements,
            required_fields,
            skippable: self.skippable,
        })
    }
}

/// Parses the editor's stage lists into a draft (not yet checked: call [`ProcessDraft::check`]).
pub fn draft_from_input(
    base_version: u32,
    stages: &[StageInput],
    archived: &[StageInput],
) -> Result<ProcessDraft, DomainError> {
    if stages.len() > MAX_STAGES {
        return Err(DomainError::invalid(
            "stages",
            format!("流程最多 {MAX_STAGES} 个阶段"),
            format!("A process has at most {MAX_STAGES} stages"),
        ));
    }
    Ok(ProcessDraft {
        base_version,
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, s)| s.parse(&format!("stages[{i}]")))
            .collect::<Result<_, _>>()?,
        archived: archived
            .iter()
            .enumerate()
            .map(|(i, s)| s.parse(&format!("archived[{i}]")))
            .collect::<Result<_, _>>()?,
    })
}

/// Why a publish was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishRefusal {
    Invalid(DomainError),
    /// Someone published after the draft's base: the draft must be rebased on `current`.
    StaleBase {
        current: Box<ProcessVersion>,
    },
}

/// Every version a device or the server holds, and the pipeline each order runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processes {
    versions: BTreeMap<u32, ProcessVersion>,
    /// Each version's stages with the newest wording (see the module comment).
    effective: BTreeMap<u32, Pipeline>,
    /// The current stages, then every stage only older versions have (newest wording): what
    /// the board and 今天 look stages up in, so an order on a retired stage is never lost.
    board: Pipeline,
}

impl Default for Processes {
    fn default() -> Self {
        Processes::standard()
    }
}

impl Processes {
    /// A company that never published anything: version 1 only.
    pub fn standard() -> Processes {
        Processes::new(vec![ProcessVersion::standard()])
    }

    /// One version 1 with these stages (tests and tools that build their own pipeline).
    pub fn single(pipeline: Pipeline) -> Processes {
        Processes::new(vec![ProcessVersion {
            stages: pipeline.stages,
            ..ProcessVersion::standard()
        }])
    }

    /// The versions known here; version 1 is added when missing, so there is always one.
    pub fn new(versions: impl IntoIterator<Item = ProcessVersion>) -> Processes {
        // `collect_map` rather than `collect`: no sort instantiated per map type (bundle size).
        let mut versions: BTreeMap<u32, ProcessVersion> =
            crate::sorting::collect_map(versions.into_iter().map(|v| (v.number, v)));
        versions
            .entry(FIRST_VERSION)
            .or_insert_with(ProcessVersion::standard);
        let mut newest: BTreeMap<&StageId, &StageDef> = BTreeMap::new();
        for version in versions.values().rev() {
            for stage in &version.stages {
                newest.entry(&stage.id).or_insert(stage);
            }
        }
        let effective: BTreeMap<u32, Pipeline> =
            crate::sorting::collect_map(versions.iter().map(|(number, version)| {
                let stages = version
                    .stages
                    .iter()
                    .map(|stage| with_wording(stage, newest.get(&stage.id).copied()))
                    .collect();
                (*number, Pipeline::new(stages))
            }));
        let current = effective
            .values()
            .next_back()
            .expect("version 1 is present");
        let mut board = current.clone();
        for version in versions.values().rev() {
            for stage in &version.stages {
                if board.stage(&stage.id).is_none() {
                    board
                        .stages
                        .push(with_wording(stage, newest.get(&stage.id).copied()));
                }
            }
        }
        Processes {
            versions,
            effective,
            board,
        }
    }

    /// The current stages followed by the retired ones (stages only older versions have, whose
    /// orders are still somewhere): the board's columns and 今天's lookups. The first
    /// `current_pipeline().stages.len()` stages are the current process.
    pub fn board_pipeline(&self) -> &Pipeline {
        &self.board
    }

    pub fn current(&self) -> &ProcessVersion {
        self.versions
            .values()
            .next_back()
            .expect("version 1 is always present")
    }

    pub fn current_number(&self) -> u32 {
        self.current().number
    }

    pub fn current_pipeline(&self) -> &Pipeline {
        self.pipeline(self.current_number())
    }

    pub fn knows(&self, version: u32) -> bool {
        self.versions.contains_key(&version)
    }

    pub fn version(&self, number: u32) -> Option<&ProcessVersion> {
        self.versions.get(&number)
    }

    pub fn versions(&self) -> impl DoubleEndedIterator<Item = &ProcessVersion> {
        self.versions.values()
    }

    /// The pipeline of `version`, with the newest wording. A version not known here (a phone
    /// that has not fetched it yet) reads as the newest one it knows: the order stays visible,
    /// and the server, which knows every version, decides its changes.
    pub fn pipeline(&self, version: u32) -> &Pipeline {
        self.effective
            .get(&version)
            .or_else(|| self.effective.values().next_back())
            .expect("version 1 is always present")
    }

    pub fn for_order(&self, order: &Order) -> &Pipeline {
        self.pipeline(order.process_version)
    }

    /// The same versions with deadlines of working-day stages counted on `calendar` (an admin's
    /// update of a year) instead of the shipped one.
    pub fn with_calendar(self, calendar: WorkCalendar) -> Processes {
        self.counting_on(std::sync::Arc::new(calendar))
    }

    fn counting_on(mut self, calendar: std::sync::Arc<WorkCalendar>) -> Processes {
        for pipeline in self.effective.values_mut().chain([&mut self.board]) {
            pipeline.calendar = calendar.clone();
        }
        self
    }

    /// The working-day calendar every deadline here counts on.
    pub fn calendar(&self) -> &WorkCalendar {
        &self.board.calendar
    }

    /// These versions and `more` (newly received ones), still counting on this calendar.
    pub fn with_more_versions(&self, more: &[ProcessVersion]) -> Processes {
        Processes::new(self.versions().chain(more).cloned())
            .counting_on(self.board.calendar.clone())
    }

    /// Checks `draft` and makes it the next version, or says why not.
    pub fn publish(
        &self,
        draft: &ProcessDraft,
        author: StaffRef,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<ProcessVersion, PublishRefusal> {
        self.check_base(draft.base_version)?;
        let current = self.current();
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS || note.chars().any(char::is_control) {
            return Err(PublishRefusal::Invalid(DomainError::invalid(
                "note",
                format!("发布说明最多 {MAX_NOTE_CHARS} 个字，且不能包含控制字符"),
                format!("The note must be at most {MAX_NOTE_CHARS} characters, without control characters"),
            )));
        }
        draft.check(current).map_err(PublishRefusal::Invalid)?;
        // A copy of the current version would still mark every order as needing migration.
        if !draft.differs_from(current) {
            return Err(PublishRefusal::Invalid(DomainError::invalid(
                "stages",
                format!(
                    "没有改动：草稿与当前第 {} 版完全相同，没有发布新版本",
                    current.number
                ),
                format!(
                    "Nothing changed: the draft is the same as the current version {}, so nothing was published",
                    current.number
                ),
            )));
        }
        Ok(ProcessVersion {
            number: current.number + 1,
            author,
            published_at: now,
            note: note.to_string(),
            stages: draft.stages.clone(),
            archived: draft.archived.clone(),
        })
    }

    /// Whether a draft based on `base_version` may be published now: it must be the current
    /// version. An older one is stale (someone published since: rebase); a number that is no
    /// version at all is bad input, not a conflict, and is named as such.
    pub fn check_base(&self, base_version: u32) -> Result<(), PublishRefusal> {
        let current = self.current();
        if base_version == current.number {
            return Ok(());
        }
        if self.version(base_version).is_none() {
            return Err(PublishRefusal::Invalid(no_such_version(
                "base_version",
                base_version,
                current.number,
            )));
        }
        Err(PublishRefusal::StaleBase {
            current: Box::new(current.clone()),
        })
    }

    /// Restoring an old version publishes a copy of its stages as the next version; stages
    /// added since are archived (never deleted).
    pub fn restore_draft(&self, number: u32) -> Result<ProcessDraft, DomainError> {
        let Some(old) = self.version(number) else {
            return Err(DomainError::invalid(
                "version",
                format!("没有第 {number} 版流程"),
                format!("There is no process version {number}"),
            ));
        };
        let current = self.current();
        let mut archived: Vec<StageDef> = current
            .stages
            .iter()
            .chain(&current.archived)
            .filter(|s| !old.holds(&s.id))
            .cloned()
            .collect();
        archived.dedup_by(|a, b| a.id == b.id);
        Ok(ProcessDraft {
            base_version: current.number,
            stages: old.stages.clone(),
            archived,
        })
    }
}

fn with_wording(stage: &StageDef, newest: Option<&StageDef>) -> StageDef {
    let Some(newest) = newest else {
        return stage.clone();
    };
    let mut stage = stage.clone();
    stage.name = newest.name.clone();
    stage.customer_label = newest.customer_label.clone();
    stage.customer_message = newest.customer_message.clone();
    for item in &mut stage.checklist {
        if let Some(newer) = newest.item(&item.id) {
            item.label = newer.label.clone();
        }
    }
    stage
}

/// Where the in-flight orders of older versions go: for each version, each of its stages to a
/// stage of the target version. Built by [`plan_migration`], so it is always total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationPlan {
    pub to_version: u32,
    pub moves: BTreeMap<u32, BTreeMap<StageId, StageId>>,
}

/// How many orders of one stage move where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactRow {
    pub from_version: u32,
    pub from_stage: StageId,
    pub to_stage: StageId,
    pub orders: u32,
}

/// Checks an admin's `mapping` (disappearing stage → target stage) for moving active orders
/// of `from_versions` onto the current version. Stages the target still has keep their
/// orders, so a mapping entry for one is refused (it would move orders back, or forward past
/// stages they may not skip); every stage that disappears must be mapped to an active stage of
/// the target, or the whole migration is refused (never a partial one). A mapping entry for a
/// stage no version ever had is refused too: it is a typo, not a plan. An entry for a stage
/// whose orders have all moved already is fine: sending a finished migration again moves
/// nothing.
pub fn plan_migration(
    processes: &Processes,
    from_versions: &BTreeSet<u32>,
    mapping: &BTreeMap<StageId, StageId>,
) -> Result<MigrationPlan, DomainError> {
    let target = processes.current();
    for (from, to) in mapping {
        let field = format!("mapping.{}", shortened(from.as_str()));
        if let Some(kept) = target.stages.iter().find(|s| &s.id == from) {
            return Err(DomainError::invalid(
                &field,
                format!(
                    "阶段“{}”仍在当前流程中，它的订单留在原处，不能迁移到别的阶段",
                    kept.name.zh
                ),
                format!(
                    "Stage '{}' is still in the current process: its orders stay where they are and cannot be moved",
                    kept.name.en
                ),
            ));
        }
        if !processes
            .versions()
            .any(|v| v.stages.iter().any(|s| &s.id == from))
        {
            return Err(DomainError::invalid(
                &field,
                format!("没有哪一版流程有阶段“{}”", shortened(from.as_str())),
                format!(
                    "No process version has a stage '{}'",
                    shortened(from.as_str())
                ),
            ));
        }
        if !target.holds(to) {
            return Err(DomainError::invalid(
                &field,
                format!("目标阶段“{}”不在当前流程中", shortened(to.as_str())),
                format!(
                    "Target stage '{}' is not in the current process",
                    shortened(to.as_str())
                ),
            ));
        }
    }
    let mut moves = BTreeMap::new();
    for &from in from_versions {
        if from == target.number {
            continue;
        }
        let Some(version) = processes.version(from) else {
            return Err(DomainError::invalid(
                "from_version",
                format!("没有第 {from} 版流程"),
                format!("There is no process version {from}"),
            ));
        };
        let mut stage_moves = BTreeMap::new();
        for stage in &version.stages {
            let to = match mapping.get(&stage.id) {
                Some(to) => to.clone(),
                None if target.holds(&stage.id) => stage.id.clone(),
                None => {
                    return Err(DomainError::invalid(
                        &format!("mapping.{}", stage.id),
                        format!(
                            "阶段“{}”在新流程中已不存在，请选择其订单的去向",
                            stage.name.zh
                        ),
                        format!(
                            "Stage '{}' is not in the new process: choose where its orders go",
                            stage.name.en
                        ),
                    ))
                }
            };
            stage_moves.insert(stage.id.clone(), to);
        }
        moves.insert(from, stage_moves);
    }
    Ok(MigrationPlan {
        to_version: target.number,
        moves,
    })
}

impl MigrationPlan {
    /// Orders per (version, stage) that would move, for the preview before migrating.
    pub fn impact<'a>(&self, orders: impl IntoIterator<Item = &'a Order>) -> Vec<ImpactRow> {
        let mut counts: BTreeMap<(u32, StageId, StageId), u32> = BTreeMap::new();
        for order in orders {
            if let Some(to) = self.target_of(order) {
                *counts
                    .entry((order.process_version, order.stage.clone(), to.clone()))
                    .or_default() += 1;
            }
        }
        counts
            .into_iter()
            .map(|((from_version, from_stage, to_stage), orders)| ImpactRow {
                from_version,
                from_stage,
                to_stage,
                orders,
            })
            .collect()
    }

    /// Where `order` goes, if this plan moves it (active orders of a planned version only:
    /// completed and cancelled orders keep the process they ended on).
    pub fn target_of(&self, order: &Order) -> Option<&StageId> {
        if !order.is_active() {
            return None;
        }
        self.moves.get(&order.process_version)?.get(&order.stage)
    }

    /// The order on the target version, with a `process_migrated` event; `None` if the plan
    /// does not move it. Moving to another stage starts a visit of it from `now` (its deadline
    /// counts from the move); stages of the new version behind the order's new stage that it
    /// never visited are recorded as skipped, so they are never overdue for it.
    pub fn migrate(
        &self,
        processes: &Processes,
        order: &Order,
        actor: &StaffRef,
        now: DateTime<Utc>,
    ) -> Option<(Order, HistoryEvent)> {
        let to = self.target_of(order)?.clone();
        let pipeline = processes.pipeline(self.to_version);
        let to_index = pipeline.index_of(&to)?;
        let skipped = pipeline.stages[..to_index]
            .iter()
            .filter(|s| order.progress_of(&s.id).is_none())
            .map(|s| s.id.clone())
            .collect();
        let mut moved = order.clone();
        let from_version = moved.process_version;
        let from_stage = moved.stage.clone();
        moved.process_version = self.to_version;
        if to != from_stage {
            if let Some(visit) = moved.stages.last_mut() {
                visit.left_at = Some(now);
            }
            let def = &pipeline.stages[to_index];
            moved.stage = to.clone();
            moved.stages.push(StageProgress {
                stage: to.clone(),
                entered_at: now,
                entered_by: actor.clone(),
                due_date: None,
                checklist: def
                    .checklist
                    .iter()
                    .map(|i| (i.id.clone(), false))
                    .collect(),
                responsible: None,
                left_at: None,
            });
        }
        let event = HistoryEvent {
            at: now,
            actor: actor.clone(),
            kind: EventKind::ProcessMigrated {
                from_version,
                to_version: self.to_version,
                from_stage,
                to_stage: to,
                skipped,
            },
        };
        moved.history.push(event.clone());
        moved.updated_at = now;
        Some((moved, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_editor::StageForm;

    fn base() -> ProcessVersion {
        ProcessVersion::standard()
    }

    #[test]
    fn the_standard_version_passes_its_own_checks() {
        assert_eq!(ProcessDraft::from_version(&base()).check(&base()), Ok(()));
    }

    #[test]
    fn a_stage_cannot_be_deleted_only_archived() {
        let mut draft = ProcessDraft::from_version(&base());
        draft.stages.remove(1);
        let error = draft.check(&base()).unwrap_err();
        assert_eq!(error.field(), Some("archived"));
    }

    fn field_of(draft: &ProcessDraft) -> Option<String> {
        draft
            .check(&base())
            .err()
            .and_then(|e| e.field().map(str::to_string))
    }

    /// The draft with `key` archived after `change`.
    fn archiving(key: &str, change: impl FnOnce(&mut StageDef)) -> ProcessDraft {
        let mut draft = ProcessDraft::from_version(&base());
        let at = draft.stages.iter().position(|s| s.id == key).unwrap();
        let mut stage = draft.stages.remove(at);
        change(&mut stage);
        draft.archived.push(stage);
        draft
    }

    #[test]
    fn an_archived_stage_gets_the_same_checks_as_an_active_one() {
        assert_eq!(field_of(&archiving("after_sales", |_| {})), None);
        type Spoil = fn(&mut StageDef);
        let cases: [(&str, Spoil); 5] = [
            ("archived[0].name.zh", |s| s.name.zh = " ".into()),
            ("archived[0].name.en", |s| s.name.en = "x".repeat(3_000)),
            ("archived[0].responsible", |s| s.responsible.clear()),
            ("archived[0].customer_label.zh", |s| {
                s.customer_label.zh = "a\0b".into()
            }),
            ("archived[0].checklist", |s| {
                s.checklist = (0..100)
                    .map(|i| {
                        ChecklistItemDef::optional(
                            &format!("i{i}"),
                            Localized::new(format!("项{i}"), format!("Item {i}")),
                        )
                    })
                    .collect()
            }),
        ];
        for (field, spoil) in cases {
            assert_eq!(
                field_of(&archiving("after_sales", spoil)).as_deref(),
                Some(field)
            );
        }
    }

    #[test]
    fn a_new_stage_cannot_be_born_archived() {
        let mut draft = ProcessDraft::from_version(&base());
        let mut junk = base().stages[0].clone();
        junk.id = StageId::new("junk");
        junk.name = Localized::new("杂项", "Junk");
        draft.archived.push(junk.clone());
        assert_eq!(field_of(&draft).as_deref(), Some("archived[0].id"));
        junk.id = StageId::new("Other Bad Key!");
        draft.archived = vec![junk];
        assert_eq!(field_of(&draft).as_deref(), Some("archived[0].id"));
    }

    #[test]
    fn archiving_a_stage_added_in_the_same_draft_takes_it_out_again() {
        let mut draft = ProcessDraft::from_version(&base());
        let mut quote = base().stages[0].clone();
        quote.id = StageId::new("quote");
        quote.name = Localized::new("报价", "Quotation");
        draft
            .edit(
                &base(),
                DraftEdit::Add {
                    after: None,
                    stage: quote,
                },
            )
            .unwrap();
        draft
            .edit(
                &base(),
                DraftEdit::Archive {
                    stage: StageId::new("quote"),
                },
            )
            .unwrap();
        assert_eq!(draft, ProcessDraft::from_version(&base()));
    }

    #[test]
    fn an_archived_stage_published_before_a_rule_existed_is_not_judged_again_unchanged() {
        // A version stored before archived stages were checked, with a name today's rules refuse.
        let mut old = base();
        let mut retired = old.stages.pop().unwrap();
        retired.name = Localized::new("\u{200b}", "\u{200b}");
        old.archived.push(retired);
        let mut draft = ProcessDraft::from_version(&old);
        draft.stages[0].sla_days += 1;
        assert_eq!(draft.check(&old), Ok(()));
        draft.archived[0].sla_days += 1;
        assert_eq!(
            draft.check(&old).unwrap_err().field(),
            Some("archived[0].name.zh")
        );
    }

    #[test]
    fn stage_names_are_unique_per_language() {
        let mut draft = ProcessDraft::from_version(&base());
        draft.stages[5].name = Localized::new("QC", "QC");
        assert_eq!(
            field_of(&draft),
            None,
            "zh and en of one stage may be equal"
        );
        draft.stages[4].name = Localized::new("Delivery", "交付");
        draft.stages[3].name = Localized::new("生产", "Delivery");
        assert_eq!(field_of(&draft), None, "one stage's en may be another's zh");
        draft.stages[2].name.zh = "QC".into();
        assert_eq!(field_of(&draft).as_deref(), Some("stages[5].name"));
        draft.stages[2].name = Localized::new("下单", "qc");
        draft.stages[1].name.en = "Delivery".into();
        assert_eq!(field_of(&draft).as_deref(), Some("stages[3].name"));
    }

    #[test]
    fn names_that_are_invisible_or_turn_text_around_are_refused() {
        let named = |zh: &str, en: &str| {
            let mut draft = ProcessDraft::from_version(&base());
            draft.stages[1].name = Localized::new(zh, en);
            draft
        };
        assert_eq!(
            field_of(&named("\u{200b}", "\u{200c}")).as_deref(),
            Some("stages[1].name.zh")
        );
        assert_eq!(
            field_of(&named("合同", " \u{feff}\u{2060} ")).as_deref(),
            Some("stages[1].name.en")
        );
        for bidi in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            let draft = named("合同", &format!("Contract {bidi}fdp.exe"));
            let error = draft.check(&base()).unwrap_err();
            assert_eq!(error.field(), Some("stages[1].name.en"), "{bidi:?}");
            assert_eq!(error.code(), "invisible_characters");
        }
        // An emoji sequence joins its parts with U+200D: a legal name.
        assert_eq!(
            field_of(&named("合同👨\u{200d}💼", "Contract 👨\u{200d}💼")),
            None
        );
        let mut draft = ProcessDraft::from_version(&base());
        draft.stages[0].customer_message.zh = "说明\u{202e}".into();
        assert_eq!(
            field_of(&draft).as_deref(),
            Some("stages[0].customer_message.zh")
        );
    }

    #[test]
    fn two_checklist_items_of_one_stage_cannot_read_the_same() {
        let mut draft = ProcessDraft::from_version(&base());
        let first = draft.stages[0].checklist[0].label.clone();
        draft.stages[0].checklist[1].label = Localized::new(first.zh.clone(), "Other words");
        assert_eq!(
            field_of(&draft).as_deref(),
            Some("stages[0].checklist[1].label.zh")
        );
        draft.stages[0].checklist[1].label = Localized::new("别的话", first.en.clone());
        assert_eq!(
            field_of(&draft).as_deref(),
            Some("stages[0].checklist[1].label.en")
        );
        // The same words in another stage are fine.
        let mut draft = ProcessDraft::from_version(&base());
        draft.stages[1].checklist[0].label = first;
        assert_eq!(field_of(&draft), None);
    }

    #[test]
    fn a_base_that_is_no_version_is_bad_input_not_a_stale_draft() {
        let processes = without_contract();
        let mut draft = ProcessDraft::from_version(processes.current());
        draft.stages[0].sla_days += 1;
        for (base, stale) in [(999, false), (0, false), (1, true), (2, false)] {
            draft.base_version = base;
            let refusal = processes.publish(&draft, crate::staff::system_actor(), "", base_time());
            match refusal {
                Err(PublishRefusal::StaleBase { current }) => {
                    assert!(stale, "{base}");
                    assert_eq!(current.number, 2);
                }
                Err(PublishRefusal::Invalid(error)) => {
                    assert!(!stale, "{base}");
                    assert_eq!(error.field(), Some("base_version"));
                    assert!(error
                        .message(crate::Lang::En)
                        .contains("There is no process version"));
                }
                Ok(version) => assert_eq!((base, version.number), (2, 3)),
            }
        }
    }

    fn base_time() -> DateTime<Utc> {
        base().published_at
    }

    #[test]
    fn publishing_or_restoring_what_is_already_current_is_refused_as_nothing_changed() {
        let processes = Processes::standard();
        let now = base().published_at;
        let same = ProcessDraft::from_version(processes.current());
        let refused = processes.publish(&same, crate::staff::system_actor(), "再发一次", now);
        let Err(PublishRefusal::Invalid(error)) = refused else {
            panic!("published an unchanged draft: {refused:?}");
        };
        assert!(
            error.message(crate::Lang::Zh).contains("没有改动"),
            "{error}"
        );
        assert!(
            error.message(crate::Lang::En).contains("Nothing changed"),
            "{error}"
        );
        let restored = processes.restore_draft(1).unwrap();
        assert!(matches!(
            processes.publish(&restored, crate::staff::system_actor(), "", now),
            Err(PublishRefusal::Invalid(_))
        ));
    }

    fn without_contract() -> Processes {
        let v1 = Processes::standard();
        let draft = archiving("contract", |_| {});
        let v2 = v1
            .publish(
                &draft,
                crate::staff::system_actor(),
                "",
                base().published_at,
            )
            .unwrap();
        Processes::new([base(), v2])
    }

    #[test]
    fn a_mapping_cannot_move_the_orders_of_a_stage_the_current_version_still_has() {
        let processes = without_contract();
        let from = BTreeSet::from([1]);
        let mapping = |pairs: &[(&str, &str)]| -> BTreeMap<StageId, StageId> {
            pairs
                .iter()
                .map(|(a, b)| (StageId::new(a), StageId::new(b)))
                .collect()
        };
        for pair in [("delivery", "requirement"), ("requirement", "delivery")] {
            let refused = plan_migration(
                &processes,
                &from,
                &mapping(&[("contract", "order_entry"), pair]),
            )
            .unwrap_err();
            assert_eq!(
                refused.field().map(str::to_string),
                Some(format!("mapping.{}", pair.0))
            );
            // Nothing left to migrate: still refused, the same way.
            let refused =
                plan_migration(&processes, &BTreeSet::new(), &mapping(&[pair])).unwrap_err();
            assert_eq!(
                refused.field().map(str::to_string),
                Some(format!("mapping.{}", pair.0))
            );
        }
    }

    #[test]
    fn a_migration_sent_again_once_every_order_moved_moves_nothing() {
        let processes = without_contract();
        let mapping = BTreeMap::from([(StageId::new("contract"), StageId::new("order_entry"))]);
        // The orders left are all on the current version.
        for from in [BTreeSet::new(), BTreeSet::from([2])] {
            let plan = plan_migration(&processes, &from, &mapping).unwrap();
            assert!(plan.moves.is_empty());
        }
        // A stage no version ever had is still a typo.
        let typo = BTreeMap::from([(StageId::new("contrakt"), StageId::new("order_entry"))]);
        assert_eq!(
            plan_migration(&processes, &BTreeSet::new(), &typo)
                .unwrap_err()
                .field(),
            Some("mapping.contrakt")
        );
    }

    #[test]
    fn unknown_fields_in_an_edited_stage_are_refused_naming_them() {
        let stage =
            serde_json::to_value(StageForm::from_def(&base().stages[0]).to_input()).unwrap();
        let spoiled = |path: &[&str], key: &str| {
            let mut value = stage.clone();
            let mut at = &mut value;
            for step in path {
                at = match step.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*step],
                };
            }
            at[key] = serde_json::Value::Bool(true);
            serde_json::from_value::<StageInput>(value)
                .unwrap_err()
                .to_string()
        };
        assert!(serde_json::from_value::<StageInput>(stage.clone()).is_ok());
        for (path, key) in [
            (&[][..], "skipable"),
            (&["checklist", "0"][..], "requried"),
            (&["name"][..], "fr"),
            (&["checklist", "0", "label"][..], "ja"),
            (&["customer_message"][..], "zh_tw"),
        ] {
            let error = spoiled(path, key);
            assert!(
                error.contains(&format!("unknown field `{key}`")),
                "{key}: {error}"
            );
        }
        // Stored versions are read by `StageDef`, which still reads what older builds wrote.
        let mut stored = serde_json::to_value(&base().stages[0]).unwrap();
        stored["retired_flag"] = serde_json::Value::Bool(true);
        stored["checklist"][0]["note"] = serde_json::Value::Bool(true);
        assert!(serde_json::from_value::<StageDef>(stored).is_ok());
    }
}
