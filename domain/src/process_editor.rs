//! The process editor's state (设置 → 流程设置) as plain data: the draft an admin is shaping,
//! the stage templates, the problems to show next to each field before anything is sent, the
//! rebase after someone else published, and what changed between two versions.
//!
//! Why here and not in the app: every rule it applies is `process_version`'s (the same checks
//! the server runs on publish), so the screen shows exactly the refusal the server would give,
//! field by field, and all of it is tested natively.

use std::collections::{BTreeMap, BTreeSet};

use crate::attachment::AttachmentKind;
use crate::error::DomainError;
use crate::i18n::{Lang, Localized};
use crate::pipeline::{StageDef, StageId};
use crate::process_version::{
    check_stage, ProcessDraft, ProcessVersion, StageInput, MAX_CHECKLIST_ITEMS, MAX_SLA_DAYS,
    MAX_STAGES,
};
use crate::role::Role;
use crate::stage::{ChecklistItemDef, ExitRequirement, OrderField};
use crate::wire::ProcessDraftInput;

/// One stage as the editor holds it: the SLA as typed (so "abc" or "-1" is shown back with its
/// message instead of being lost), everything else as the domain models it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageForm {
    pub id: StageId,
    pub name: Localized,
    pub responsible: Vec<Role>,
    pub checklist: Vec<ChecklistItemDef>,
    pub sla_days: String,
    pub sla_working_days: bool,
    pub customer_label: Localized,
    pub customer_message: Localized,
    pub notify_customer: bool,
    pub exit_requirements: Vec<ExitRequirement>,
    pub required_fields: Vec<OrderField>,
    pub skippable: bool,
}

impl StageForm {
    pub fn from_def(def: &StageDef) -> StageForm {
        StageForm {
            id: def.id.clone(),
            name: def.name.clone(),
            responsible: def.responsible.clone(),
            checklist: def.checklist.clone(),
            sla_days: def.sla_days.to_string(),
            sla_working_days: def.sla_working_days,
            customer_label: def.customer_label.clone(),
            customer_message: def.customer_message.clone(),
            notify_customer: def.notify_customer,
            exit_requirements: def.exit_requirements.clone(),
            required_fields: def.required_fields.clone(),
            skippable: def.skippable,
        }
    }

    /// The SLA as a number, if what was typed is one (sign included: the range is checked by
    /// the same rule as the server's).
    fn sla(&self) -> Option<i64> {
        self.sla_days.trim().parse().ok()
    }

    pub fn to_input(&self) -> StageInput {
        StageInput {
            id: self.id.clone(),
            name: trimmed(&self.name),
            responsible: crate::wire::role_names(&self.responsible),
            checklist: self
                .checklist
                .iter()
                .map(|item| ChecklistItemDef {
                    id: item.id.clone(),
                    label: trimmed(&item.label),
                    required: item.required,
                    evidence: item.evidence,
                })
                .collect(),
            // A text that is no number is refused locally (see `problems`); -1 keeps the
            // server's own refusal should it ever be sent.
            sla_days: self.sla().unwrap_or(-1),
            sla_working_days: self.sla_working_days,
            customer_label: trimmed(&self.customer_label),
            customer_message: trimmed(&self.customer_message),
            notify_customer: self.notify_customer,
            exit_requirements: self
                .exit_requirements
                .iter()
                .map(|r| match r {
                    ExitRequirement::Shipment => "shipment".to_string(),
                    ExitRequirement::Invoice => "invoice".to_string(),
                })
                .collect(),
            required_fields: self
                .required_fields
                .iter()
                .map(|field| field.key().to_string())
                .collect(),
            skippable: self.skippable,
        }
    }

    pub fn set_role(&mut self, role: Role, on: bool) {
        self.responsible.retain(|r| *r != role);
        if on {
            self.responsible.push(role);
        }
        crate::sorting::sort_by_key(&mut self.responsible, |role| {
            Role::ALL.iter().position(|r| r == role)
        });
    }

    /// Marks checklist item `item` required (it must be ticked to move on) or optional.
    pub fn set_item_required(&mut self, item: &str, required: bool) {
        if let Some(item) = self.checklist.iter_mut().find(|i| i.id == item) {
            item.required = required;
        }
    }

    /// Makes checklist item `item` need a photo or file of `kind` before it may be ticked
    /// (`None`: a plain tick, as before).
    pub fn set_item_evidence(&mut self, item: &str, kind: Option<AttachmentKind>) {
        if let Some(item) = self.checklist.iter_mut().find(|i| i.id == item) {
            item.evidence = kind;
        }
    }

    pub fn set_exit_requirement(&mut self, requirement: ExitRequirement, on: bool) {
        self.exit_requirements.retain(|r| *r != requirement);
        if on {
            self.exit_requirements.push(requirement);
            crate::sorting::sort(&mut self.exit_requirements);
        }
    }

    /// Makes order field `field` required (or not) before an order leaves this stage forward.
    pub fn set_required_field(&mut self, field: OrderField, on: bool) {
        self.required_fields.retain(|f| *f != field);
        if on {
            self.required_fields.push(field);
            self.required_fields.sort();
        }
    }
}

fn trimmed(text: &Localized) -> Localized {
    Localized::new(text.zh.trim(), text.en.trim())
}

/// A stage an admin can start from instead of a blank one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageTemplate {
    Quotation,
    Inspection,
    Installation,
    Payment,
}

impl StageTemplate {
    pub const ALL: [StageTemplate; 4] = [
        StageTemplate::Quotation,
        StageTemplate::Inspection,
        StageTemplate::Installation,
        StageTemplate::Payment,
    ];

    /// The key a stage made from this template gets, unless it was used before.
    pub fn key(self) -> &'static str {
        match self {
            StageTemplate::Quotation => "quote",
            StageTemplate::Inspection => "inspection",
            StageTemplate::Installation => "installation",
            StageTemplate::Payment => "payment",
        }
    }

    pub fn name(self) -> Localized {
        self.stage(StageId::new(self.key())).name
    }

    /// The template as a stage under `id`.
    pub fn stage(self, id: StageId) -> StageDef {
        let item =
            |id: &str, zh: &str, en: &str| ChecklistItemDef::optional(id, Localized::new(zh, en));
        let (name, responsible, checklist, sla_days, label, message, exit) = match self {
            StageTemplate::Quotation => (
                ("报价", "Quotation"),
                vec![Role::Sales],
                vec![
                    item("prepare_quote", "编制报价单", "Prepare the quotation"),
                    item(
                        "send_quote",
                        "发送报价单给客户",
                        "Send the quotation to the customer",
                    ),
                    item(
                        "quote_accepted",
                        "客户确认报价",
                        "The customer accepts the quotation",
                    ),
                ],
                3,
                ("报价", "Quotation"),
                (
                    "我们正在为您准备报价，确认后进入合同环节。",
                    "We are preparing your quotation; the contract follows once you accept it.",
                ),
                vec![],
            ),
            StageTemplate::Inspection => (
                ("质检", "Quality inspection"),
                vec![Role::Production, Role::Warehouse],
                vec![
                    item(
                        "inspect_goods",
                        "按标准检验货品",
                        "Inspect the goods against the standard",
                    ),
                    item(
                        "inspection_report",
                        "出具质检报告",
                        "Issue the inspection report",
                    ),
                ],
                2,
                ("质量检验", "Quality inspection"),
                (
                    "您的货品正在出厂前检验。",
                    "Your goods are being inspected before they leave.",
                ),
                vec![],
            ),
            StageTemplate::Installation => (
                ("安装调试", "Installation"),
                vec![Role::Service],
                vec![
                    item(
                        "book_visit",
                        "与客户约定上门时间",
                        "Agree on the visit with the customer",
                    ),
                    item("install", "现场安装", "Install on site"),
                    item(
                        "acceptance",
                        "调试并由客户验收",
                        "Commission and have the customer accept it",
                    ),
                ],
                7,
                ("安装调试", "Installation"),
                (
                    "我们的工程师将上门安装调试。",
                    "Our engineer will install and commission it on site.",
                ),
                vec![],
            ),
            StageTemplate::Payment => (
                ("回款", "Payment collection"),
                vec![Role::Finance, Role::Sales],
                vec![
                    item("send_statement", "发送对账单", "Send the statement"),
                    item(
                        "payment_received",
                        "确认款项到账",
                        "Confirm the payment arrived",
                    ),
                ],
                15,
                ("结算", "Settlement"),
                (
                    "订单正在结算，如有疑问请联系您的销售。",
                    "The order is being settled; ask your sales contact if anything is unclear.",
                ),
                vec![ExitRequirement::Invoice],
            ),
        };
        StageDef {
            id,
            name: Localized::new(name.0, name.1),
            responsible,
            checklist,
            sla_days,
            sla_working_days: false,
            customer_label: Localized::new(label.0, label.1),
            customer_message: Localized::new(message.0, message.1),
            notify_customer: false,
            exit_requirements: exit,
            required_fields: Vec::new(),
            skippable: true,
        }
    }
}

/// A problem to show next to one field: `field` is the same path the server names
/// (`stages[2].sla_days`), so local and server refusals land in the same place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: Localized,
}

impl FieldProblem {
    fn from_error(error: &DomainError) -> FieldProblem {
        FieldProblem {
            field: error.field().unwrap_or("").to_string(),
            message: Localized::new(error.message(Lang::Zh), error.message(Lang::En)),
        }
    }

    /// Whether the problem belongs to `field` or to a part of it (`stages[1].name.zh` belongs
    /// to `stages[1].name`).
    pub fn is_about(&self, field: &str) -> bool {
        self.field == field
            || self
                .field
                .strip_prefix(field)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    }
}

/// The draft an admin edits: the active stages in order, the archived ones, the note for the
/// version history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessEditor {
    pub base_version: u32,
    pub stages: Vec<StageForm>,
    pub archived: Vec<StageForm>,
    pub note: String,
}

impl ProcessEditor {
    pub fn from_version(version: &ProcessVersion) -> ProcessEditor {
        ProcessEditor::from_draft(&ProcessDraft::from_version(version))
    }

    pub fn from_draft(draft: &ProcessDraft) -> ProcessEditor {
        ProcessEditor {
            base_version: draft.base_version,
            stages: draft.stages.iter().map(StageForm::from_def).collect(),
            archived: draft.archived.iter().map(StageForm::from_def).collect(),
            note: String::new(),
        }
    }

    pub fn move_up(&mut self, index: usize) {
        if index > 0 && index < self.stages.len() {
            self.stages.swap(index - 1, index);
        }
    }

    pub fn move_down(&mut self, index: usize) {
        if index + 1 < self.stages.len() {
            self.stages.swap(index, index + 1);
        }
    }

    /// Moves the stage at `from` so that it ends up at position `to` (a drag and drop on a desk;
    /// phones and keyboards use `move_up` / `move_down`). Out-of-range positions are clamped.
    pub fn move_to(&mut self, from: usize, to: usize) {
        if from >= self.stages.len() {
            return;
        }
        let stage = self.stages.remove(from);
        let to = to.min(self.stages.len());
        self.stages.insert(to, stage);
    }

    /// Whether `key` was ever given to a stage this draft or its base knows: keys are never
    /// reused, so a new stage must get another.
    fn key_taken(&self, base: &ProcessVersion, key: &str) -> bool {
        self.stages
            .iter()
            .chain(&self.archived)
            .map(|s| &s.id)
            .chain(base.stages.iter().chain(&base.archived).map(|s| &s.id))
            .any(|id| id == key)
    }

    /// `stem`, or `stem_2`, `stem_3`… : the first key never used.
    fn fresh_key(&self, base: &ProcessVersion, stem: &str) -> StageId {
        if !self.key_taken(base, stem) {
            return StageId::new(stem);
        }
        (2..)
            .map(|n| format!("{stem}_{n}"))
            .find(|key| !self.key_taken(base, key))
            .map(StageId)
            .expect("some suffix is free")
    }

    /// Inserts a stage made from `template` (a blank one when `None`) after position `after`
    /// (at the start when `None`); returns its index.
    pub fn add_stage(
        &mut self,
        base: &ProcessVersion,
        template: Option<StageTemplate>,
        after: Option<usize>,
    ) -> usize {
        let at = after.map_or(0, |i| (i + 1).min(self.stages.len()));
        let form = match template {
            Some(template) => {
                StageForm::from_def(&template.stage(self.fresh_key(base, template.key())))
            }
            None => {
                // Blank, but with a role and SLA that pass: only the names are left to type.
                let id = self.fresh_key(base, &format!("stage_{}", self.stages.len() + 1));
                StageForm {
                    id,
                    name: Localized::default(),
                    responsible: vec![Role::Sales],
                    checklist: Vec::new(),
                    sla_days: "3".into(),
                    sla_working_days: false,
                    customer_label: Localized::default(),
                    customer_message: Localized::default(),
                    notify_customer: false,
                    exit_requirements: Vec::new(),
                    required_fields: Vec::new(),
                    skippable: true,
                }
            }
        };
        self.stages.insert(at, form);
        at
    }

    /// Takes a stage out of the process; it stays in the draft as archived (never deleted) and
    /// can be brought back. A stage added in this draft was never published, so it is simply
    /// removed: the server refuses a new stage that is born archived.
    pub fn archive(&mut self, base: &ProcessVersion, index: usize) {
        if index < self.stages.len() {
            let stage = self.stages.remove(index);
            if base
                .stages
                .iter()
                .chain(&base.archived)
                .any(|s| s.id == stage.id)
            {
                self.archived.push(stage);
            }
        }
    }

    /// Brings archived stage `index` back, at the end of the process.
    pub fn restore(&mut self, index: usize) {
        if index < self.archived.len() {
            let stage = self.archived.remove(index);
            self.stages.push(stage);
        }
    }

    /// Adds an empty checklist item to stage `stage` with an id the stage never had.
    pub fn add_item(&mut self, base: &ProcessVersion, stage: usize) {
        let Some(form) = self.stages.get(stage) else {
            return;
        };
        let used: BTreeSet<&str> = form
            .checklist
            .iter()
            .chain(
                base.stages
                    .iter()
                    .chain(&base.archived)
                    .filter(|s| s.id == form.id)
                    .flat_map(|s| &s.checklist),
            )
            .map(|item| item.id.as_str())
            .collect();
        let id = (1..)
            .map(|n| format!("item_{n}"))
            .find(|id| !used.contains(id.as_str()))
            .expect("some id is free");
        self.stages[stage]
            .checklist
            .push(ChecklistItemDef::optional(&id, Localized::default()));
    }

    pub fn remove_item(&mut self, stage: usize, item: usize) {
        if let Some(form) = self.stages.get_mut(stage) {
            if item < form.checklist.len() {
                form.checklist.remove(item);
            }
        }
    }

    pub fn to_input(&self, with_note: bool) -> ProcessDraftInput {
        let note = self.note.trim();
        ProcessDraftInput {
            base_version: self.base_version,
            stages: self.stages.iter().map(StageForm::to_input).collect(),
            archived: self.archived.iter().map(StageForm::to_input).collect(),
            note: (with_note && !note.is_empty()).then(|| note.to_string()),
        }
    }

    /// Everything wrong with the draft, at most one problem per field, before anything is
    /// sent: the same rules the server applies (`ProcessDraft::check`), stage by stage, so an
    /// admin sees every stage's problem at once rather than one per publish attempt.
    pub fn problems(&self, base: &ProcessVersion) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if self.stages.is_empty() {
            problems.push(FieldProblem {
                field: "stages".into(),
                message: Localized::new(
                    "流程至少需要一个启用的阶段",
                    "The process needs at least one active stage",
                ),
            });
        }
        if self.stages.len() > MAX_STAGES {
            problems.push(FieldProblem {
                field: "stages".into(),
                message: Localized::new(
                    format!(
                        "流程最多 {MAX_STAGES} 个阶段，现在有 {} 个",
                        self.stages.len()
                    ),
                    format!(
                        "A process has at most {MAX_STAGES} stages; this one has {}",
                        self.stages.len()
                    ),
                ),
            });
        }
        // Per language, compared as the server compares them (`text::visible`): "QC" may be
        // one stage's name in both languages; two stages reading the same in one may not.
        let (mut zh_names, mut en_names) = (BTreeMap::new(), BTreeMap::new());
        for (i, form) in self.stages.iter().enumerate() {
            let at = format!("stages[{i}]");
            if form
                .sla()
                .is_none_or(|d| d < 0 || d > i64::from(MAX_SLA_DAYS))
            {
                problems.push(FieldProblem {
                    field: format!("{at}.sla_days"),
                    message: Localized::new(
                        format!("时限须是 0 到 {MAX_SLA_DAYS} 之间的天数"),
                        format!("The SLA must be a number of days from 0 to {MAX_SLA_DAYS}"),
                    ),
                });
            }
            if form.checklist.len() > MAX_CHECKLIST_ITEMS {
                problems.push(FieldProblem {
                    field: format!("{at}.checklist"),
                    message: Localized::new(
                        format!("每个阶段最多 {MAX_CHECKLIST_ITEMS} 个清单项"),
                        format!("A stage has at most {MAX_CHECKLIST_ITEMS} checklist items"),
                    ),
                });
            }
            // Both languages are noted whatever the other holds; the first repeat is shown.
            let note = |lang: &'static str, name: &str, seen: &mut BTreeMap<String, usize>| {
                let name = crate::text::visible(name);
                if name.is_empty() {
                    return None;
                }
                match seen.get(&name) {
                    Some(&first) => Some((lang, name, first)),
                    None => {
                        seen.insert(name, i);
                        None
                    }
                }
            };
            let zh_repeat = note("zh", &form.name.zh, &mut zh_names);
            let en_repeat = note("en", &form.name.en, &mut en_names);
            let repeated = zh_repeat.or(en_repeat);
            if let Some((lang, name, first)) = repeated {
                problems.push(FieldProblem {
                    field: format!("{at}.name.{lang}"),
                    message: Localized::new(
                        format!("阶段名称“{name}”与第 {} 个阶段重复", first + 1),
                        format!("The name '{name}' is already stage {}'s", first + 1),
                    ),
                });
            }
            if problems.iter().any(|p| p.is_about(&at)) {
                continue;
            }
            // The rest of the stage's rules, exactly as the server checks them.
            if let Ok(def) = form.to_input().parse(&at) {
                if let Err(error) = check_stage(&at, &def) {
                    problems.push(FieldProblem::from_error(&error));
                }
            }
        }
        if problems.is_empty() {
            // Whole-draft rules (English names, keys, archived stages) once each stage passes.
            let input = self.to_input(false);
            let checked = crate::process_version::draft_from_input(
                input.base_version,
                &input.stages,
                &input.archived,
            )
            .and_then(|draft| draft.check(base));
            if let Err(error) = checked {
                problems.push(FieldProblem::from_error(&error));
            }
        }
        problems
    }

    /// The draft as the version it would publish (numbered after `base`), when every stage
    /// parses; what the before-publishing summary compares with the current version.
    pub fn as_version(&self, base: &ProcessVersion) -> Option<ProcessVersion> {
        let input = self.to_input(false);
        let draft = crate::process_version::draft_from_input(
            input.base_version,
            &input.stages,
            &input.archived,
        )
        .ok()?;
        Some(ProcessVersion {
            number: base.number + 1,
            note: self.note.trim().to_string(),
            stages: draft.stages,
            archived: draft.archived,
            ..base.clone()
        })
    }

    /// After someone else published `current`: the draft moves onto it and keeps its own edits.
    /// Stages the draft does not know (added by the other publisher) are taken over as they are
    /// in `current` (active at the end, or archived), so no key is ever dropped.
    pub fn rebase(&mut self, current: &ProcessVersion) {
        let known: BTreeSet<StageId> = self
            .stages
            .iter()
            .chain(&self.archived)
            .map(|s| s.id.clone())
            .collect();
        for stage in &current.stages {
            if !known.contains(&stage.id) {
                self.stages.push(StageForm::from_def(stage));
            }
        }
        for stage in &current.archived {
            if !known.contains(&stage.id) {
                self.archived.push(StageForm::from_def(stage));
            }
        }
        self.base_version = current.number;
    }
}

/// Where a stage dragged from position `from` lands when dropped at height `pointer_y`, given
/// the vertical middles of the rows as they stand (the dragged row's included): after every
/// other row whose middle is above the pointer.
pub fn drop_target(row_middles: &[f64], from: usize, pointer_y: f64) -> usize {
    row_middles
        .iter()
        .enumerate()
        .filter(|(i, middle)| *i != from && **middle < pointer_y)
        .count()
}

/// One difference between a version and its predecessor, as the history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessChange {
    Added {
        name: Localized,
        after: Option<Localized>,
    },
    Archived {
        name: Localized,
    },
    Renamed {
        from: Localized,
        to: Localized,
    },
    Moved {
        name: Localized,
    },
    /// The SLA's days or how they count (`true`: working days) changed.
    Sla {
        name: Localized,
        from: (u32, bool),
        to: (u32, bool),
    },
    ChecklistAdded {
        stage: Localized,
        item: Localized,
        required: bool,
    },
    ChecklistRemoved {
        stage: Localized,
        item: Localized,
    },
    /// An item both versions have became required or optional.
    ChecklistRequired {
        stage: Localized,
        item: Localized,
        required: bool,
    },
    /// An item both versions have now needs a photo of another kind, or none.
    ChecklistEvidence {
        stage: Localized,
        item: Localized,
        evidence: Option<AttachmentKind>,
    },
    /// The order fields required before leaving the stage changed (`fields`: the new list).
    RequiredFields {
        name: Localized,
        fields: Vec<OrderField>,
    },
    /// The stage became skippable, or not.
    Skippable {
        name: Localized,
        skippable: bool,
    },
    /// Roles, customer texts, exit requirements or notification changed.
    Settings {
        name: Localized,
    },
}

impl ProcessChange {
    pub fn sentence(&self, lang: Lang) -> String {
        let l = |text: &Localized| text.get(lang).to_string();
        match (self, lang) {
            (
                ProcessChange::Added {
                    name,
                    after: Some(after),
                },
                Lang::Zh,
            ) => {
                format!("在“{}”之后新增“{}”", l(after), l(name))
            }
            (ProcessChange::Added { name, after: None }, Lang::Zh) => {
                format!("在最前面新增“{}”", l(name))
            }
            (
                ProcessChange::Added {
                    name,
                    after: Some(after),
                },
                Lang::En,
            ) => {
                format!("Added '{}' after '{}'", l(name), l(after))
            }
            (ProcessChange::Added { name, after: None }, Lang::En) => {
                format!("Added '{}' at the start", l(name))
            }
            (ProcessChange::Archived { name }, Lang::Zh) => format!("归档“{}”", l(name)),
            (ProcessChange::Archived { name }, Lang::En) => format!("Archived '{}'", l(name)),
            (ProcessChange::Renamed { from, to }, Lang::Zh) => {
                format!("“{}”改名为“{}”", l(from), l(to))
            }
            (ProcessChange::Renamed { from, to }, Lang::En) => {
                format!("Renamed '{}' to '{}'", l(from), l(to))
            }
            (ProcessChange::Moved { name }, Lang::Zh) => format!("调整了“{}”的位置", l(name)),
            (ProcessChange::Moved { name }, Lang::En) => format!("Moved '{}'", l(name)),
            (ProcessChange::Sla { name, from, to }, Lang::Zh) => {
                let days = |(n, working): (u32, bool)| {
                    if working {
                        format!("{n} 个工作日")
                    } else {
                        format!("{n} 天")
                    }
                };
                format!("“{}”时限 {} → {}", l(name), days(*from), days(*to))
            }
            (ProcessChange::Sla { name, from, to }, Lang::En) => {
                let days = |(n, working): (u32, bool)| {
                    if working {
                        format!("{n} working days")
                    } else {
                        format!("{n} days")
                    }
                };
                format!("'{}' SLA {} → {}", l(name), days(*from), days(*to))
            }
            (
                ProcessChange::ChecklistAdded {
                    stage,
                    item,
                    required,
                },
                Lang::Zh,
            ) => {
                let kind = if *required {
                    "必填清单项"
                } else {
                    "清单项"
                };
                format!("“{}”新增{kind}“{}”", l(stage), l(item))
            }
            (
                ProcessChange::ChecklistAdded {
                    stage,
                    item,
                    required,
                },
                Lang::En,
            ) => {
                let kind = if *required {
                    "required checklist item"
                } else {
                    "checklist item"
                };
                format!("'{}' gained {kind} '{}'", l(stage), l(item))
            }
            (ProcessChange::ChecklistRemoved { stage, item }, Lang::Zh) => {
                format!("“{}”去掉清单项“{}”", l(stage), l(item))
            }
            (ProcessChange::ChecklistRemoved { stage, item }, Lang::En) => {
                format!("'{}' lost checklist item '{}'", l(stage), l(item))
            }
            (
                ProcessChange::ChecklistRequired {
                    stage,
                    item,
                    required,
                },
                Lang::Zh,
            ) => {
                let now = if *required { "必填" } else { "选填" };
                format!("“{}”的清单项“{}”改为{now}", l(stage), l(item))
            }
            (
                ProcessChange::ChecklistRequired {
                    stage,
                    item,
                    required,
                },
                Lang::En,
            ) => {
                let now = if *required { "required" } else { "optional" };
                format!("'{}' checklist item '{}' is now {now}", l(stage), l(item))
            }
            (
                ProcessChange::ChecklistEvidence {
                    stage,
                    item,
                    evidence,
                },
                lang,
            ) => match (evidence, lang) {
                (Some(kind), Lang::Zh) => format!(
                    "“{}”的清单项“{}”改为需要{}",
                    l(stage),
                    l(item),
                    kind.evidence_label(lang)
                ),
                (Some(kind), Lang::En) => format!(
                    "'{}' checklist item '{}' now needs {}",
                    l(stage),
                    l(item),
                    kind.evidence_label(lang)
                ),
                (None, Lang::Zh) => {
                    format!("“{}”的清单项“{}”不再需要照片", l(stage), l(item))
                }
                (None, Lang::En) => format!(
                    "'{}' checklist item '{}' no longer needs a photo",
                    l(stage),
                    l(item)
                ),
            },
            (ProcessChange::RequiredFields { name, fields }, lang) => {
                let names: Vec<String> = fields
                    .iter()
                    .map(|field| field.label().get(lang).to_string())
                    .collect();
                match (lang, names.is_empty()) {
                    (Lang::Zh, true) => format!("“{}”不再要求必填字段", l(name)),
                    (Lang::Zh, false) => {
                        format!("“{}”离开前必填：{}", l(name), names.join("、"))
                    }
                    (Lang::En, true) => format!("'{}' no longer requires order fields", l(name)),
                    (Lang::En, false) => {
                        format!(
                            "'{}' now requires before leaving: {}",
                            l(name),
                            names.join(", ")
                        )
                    }
                }
            }
            (ProcessChange::Skippable { name, skippable }, Lang::Zh) => {
                let now = if *skippable {
                    "可以跳过"
                } else {
                    "不可跳过"
                };
                format!("“{}”改为{now}", l(name))
            }
            (ProcessChange::Skippable { name, skippable }, Lang::En) => {
                let now = if *skippable {
                    "may be skipped"
                } else {
                    "may not be skipped"
                };
                format!("'{}' {now} now", l(name))
            }
            (ProcessChange::Settings { name }, Lang::Zh) => {
                format!("修改了“{}”的负责角色、客户文案或离开条件", l(name))
            }
            (ProcessChange::Settings { name }, Lang::En) => {
                format!(
                    "Changed the roles, customer texts or exit rules of '{}'",
                    l(name)
                )
            }
        }
    }
}

/// What changed from `older` to `newer`, stage by stage in `newer`'s order, then the stages
/// taken out. A stage keeps its key across renames, so a rename is a rename, not a removal and
/// an addition.
pub fn process_changes(older: &ProcessVersion, newer: &ProcessVersion) -> Vec<ProcessChange> {
    let mut changes = Vec::new();
    let old_index: BTreeMap<&StageId, usize> = older
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (&s.id, i))
        .collect();
    // The order of the stages both versions share, to tell a move from a neighbour's insertion.
    let shared_old: Vec<&StageId> = older
        .stages
        .iter()
        .map(|s| &s.id)
        .filter(|id| newer.stages.iter().any(|s| &s.id == *id))
        .collect();
    let shared_new: Vec<&StageId> = newer
        .stages
        .iter()
        .map(|s| &s.id)
        .filter(|id| old_index.contains_key(id))
        .collect();
    for (i, stage) in newer.stages.iter().enumerate() {
        let Some(&old_at) = old_index.get(&stage.id) else {
            changes.push(ProcessChange::Added {
                name: stage.name.clone(),
                after: i.checked_sub(1).map(|p| newer.stages[p].name.clone()),
            });
            continue;
        };
        let old = &older.stages[old_at];
        if old.name != stage.name {
            changes.push(ProcessChange::Renamed {
                from: old.name.clone(),
                to: stage.name.clone(),
            });
        }
        let rank_old = shared_old.iter().position(|id| *id == &stage.id);
        let rank_new = shared_new.iter().position(|id| *id == &stage.id);
        if rank_old != rank_new {
            changes.push(ProcessChange::Moved {
                name: stage.name.clone(),
            });
        }
        if (old.sla_days, old.sla_working_days) != (stage.sla_days, stage.sla_working_days) {
            changes.push(ProcessChange::Sla {
                name: stage.name.clone(),
                from: (old.sla_days, old.sla_working_days),
                to: (stage.sla_days, stage.sla_working_days),
            });
        }
        for item in &stage.checklist {
            match old.item(&item.id) {
                None => changes.push(ProcessChange::ChecklistAdded {
                    stage: stage.name.clone(),
                    item: item.label.clone(),
                    required: item.required,
                }),
                Some(before) => {
                    if before.required != item.required {
                        changes.push(ProcessChange::ChecklistRequired {
                            stage: stage.name.clone(),
                            item: item.label.clone(),
                            required: item.required,
                        })
                    }
                    if before.evidence != item.evidence {
                        changes.push(ProcessChange::ChecklistEvidence {
                            stage: stage.name.clone(),
                            item: item.label.clone(),
                            evidence: item.evidence,
                        })
                    }
                }
            }
        }
        for item in &old.checklist {
            if stage.item(&item.id).is_none() {
                changes.push(ProcessChange::ChecklistRemoved {
                    stage: stage.name.clone(),
                    item: item.label.clone(),
                });
            }
        }
        if old.required_fields != stage.required_fields {
            changes.push(ProcessChange::RequiredFields {
                name: stage.name.clone(),
                fields: stage.required_fields.clone(),
            });
        }
        if old.skippable != stage.skippable {
            changes.push(ProcessChange::Skippable {
                name: stage.name.clone(),
                skippable: stage.skippable,
            });
        }
        if old.responsible != stage.responsible
            || old.customer_label != stage.customer_label
            || old.customer_message != stage.customer_message
            || old.notify_customer != stage.notify_customer
            || old.exit_requirements != stage.exit_requirements
        {
            changes.push(ProcessChange::Settings {
                name: stage.name.clone(),
            });
        }
    }
    for stage in &older.stages {
        if !newer.stages.iter().any(|s| s.id == stage.id) {
            changes.push(ProcessChange::Archived {
                name: stage.name.clone(),
            });
        }
    }
    changes
}

/// The stages of `older` whose orders a publish of `newer` concerns: taken out, moved, or with
/// other rules (SLA, checklist, roles, exit requirements, texts). What the impact preview counts
/// in-flight orders for.
pub fn affected_stages(older: &ProcessVersion, newer: &ProcessVersion) -> Vec<StageId> {
    let shared = |from: &ProcessVersion, other: &ProcessVersion| -> Vec<StageId> {
        from.stages
            .iter()
            .filter(|s| other.stages.iter().any(|o| o.id == s.id))
            .map(|s| s.id.clone())
            .collect()
    };
    let (shared_old, shared_new) = (shared(older, newer), shared(newer, older));
    older
        .stages
        .iter()
        .filter(
            |stage| match newer.stages.iter().find(|s| s.id == stage.id) {
                None => true,
                Some(now) => {
                    now != *stage
                        || shared_old.iter().position(|id| *id == stage.id)
                            != shared_new.iter().position(|id| *id == stage.id)
                }
            },
        )
        .map(|s| s.id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::ids;

    fn base() -> ProcessVersion {
        ProcessVersion::standard()
    }

    fn index_of(editor: &ProcessEditor, key: &str) -> usize {
        editor.stages.iter().position(|s| s.id == key).unwrap()
    }

    #[test]
    fn the_standard_process_has_no_problems() {
        assert_eq!(
            ProcessEditor::from_version(&base()).problems(&base()),
            vec![]
        );
    }

    #[test]
    fn every_template_passes_the_servers_stage_rules() {
        for template in StageTemplate::ALL {
            let stage = template.stage(StageId::new(template.key()));
            assert_eq!(check_stage("stages[0]", &stage), Ok(()), "{template:?}");
        }
    }

    #[test]
    fn a_quotation_inserted_after_requirements_sits_second_and_publishes() {
        let mut editor = ProcessEditor::from_version(&base());
        let at = editor.add_stage(&base(), Some(StageTemplate::Quotation), Some(0));
        assert_eq!(at, 1);
        assert_eq!(editor.stages[1].id, "quote");
        assert_eq!(editor.stages[1].name.zh, "报价");
        assert_eq!(editor.problems(&base()), vec![]);
        let input = editor.to_input(true);
        let draft =
            crate::process_version::draft_from_input(1, &input.stages, &input.archived).unwrap();
        assert_eq!(draft.check(&base()), Ok(()));
    }

    #[test]
    fn a_template_whose_key_was_used_before_gets_a_new_one() {
        let mut editor = ProcessEditor::from_version(&base());
        editor.add_stage(&base(), Some(StageTemplate::Quotation), None);
        let at = editor.add_stage(&base(), Some(StageTemplate::Quotation), None);
        assert_eq!(editor.stages[at].id, "quote_2");
        // Same name twice is a problem named at the second stage's name.
        let problems = editor.problems(&base());
        assert!(
            problems.iter().any(|p| p.field == "stages[1].name.zh"),
            "{problems:?}"
        );
    }

    #[test]
    fn moving_stops_at_both_ends() {
        let mut editor = ProcessEditor::from_version(&base());
        editor.move_up(0);
        editor.move_down(5);
        assert_eq!(editor.stages[0].id, ids::REQUIREMENT);
        editor.move_down(0);
        assert_eq!(editor.stages[1].id, ids::REQUIREMENT);
        editor.move_up(1);
        assert_eq!(editor.stages[0].id, ids::REQUIREMENT);
    }

    #[test]
    fn a_dragged_stage_lands_where_it_is_dropped() {
        let mut editor = ProcessEditor::from_version(&base());
        let keys = |e: &ProcessEditor| {
            e.stages
                .iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
        };
        // Rows 40 px apart, middles at 20, 60, 100, …: production (3) dropped at y = 50, between
        // 需求确认 and 合同签订, lands second.
        let middles: Vec<f64> = (0..6).map(|i| 20.0 + 40.0 * f64::from(i)).collect();
        let to = drop_target(&middles, 3, 50.0);
        assert_eq!(to, 1);
        editor.move_to(3, to);
        assert_eq!(
            keys(&editor),
            [
                "requirement",
                "production",
                "contract",
                "order_entry",
                "delivery",
                "after_sales"
            ]
        );
        // Dropped below the last row: last. Dropped where it was: no change.
        let to = drop_target(&middles, 0, 500.0);
        editor.move_to(0, to);
        assert_eq!(keys(&editor)[5], "requirement");
        assert_eq!(drop_target(&middles, 2, 100.0), 2);
        editor.move_to(9, 0);
        assert_eq!(keys(&editor)[0], "production");
    }

    #[test]
    fn archiving_keeps_the_stage_and_every_stage_archived_is_a_problem() {
        let mut editor = ProcessEditor::from_version(&base());
        editor.archive(&base(), index_of(&editor, ids::AFTER_SALES));
        assert_eq!(editor.archived.len(), 1);
        assert_eq!(editor.problems(&base()), vec![]);
        while !editor.stages.is_empty() {
            editor.archive(&base(), 0);
        }
        let problems = editor.problems(&base());
        assert_eq!(problems[0].field, "stages");
        editor.restore(0);
        assert_eq!(editor.stages.len(), 1);
    }

    #[test]
    fn a_stage_added_and_archived_before_publishing_is_just_gone() {
        let mut editor = ProcessEditor::from_version(&base());
        let at = editor.add_stage(&base(), Some(StageTemplate::Quotation), Some(0));
        editor.archive(&base(), at);
        assert_eq!(editor, ProcessEditor::from_version(&base()));
        assert!(editor.to_input(false).archived.is_empty());
    }

    #[test]
    fn empty_names_and_bad_slas_are_named_at_their_fields_for_every_stage() {
        let mut editor = ProcessEditor::from_version(&base());
        let blank = editor.add_stage(&base(), None, Some(5));
        editor.stages[0].sla_days = "-1".into();
        editor.stages[1].sla_days = "366".into();
        editor.stages[2].sla_days = "三天".into();
        let problems = editor.problems(&base());
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"stages[0].sla_days"), "{fields:?}");
        assert!(fields.contains(&"stages[1].sla_days"), "{fields:?}");
        assert!(fields.contains(&"stages[2].sla_days"), "{fields:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.is_about(&format!("stages[{blank}].name"))),
            "{fields:?}"
        );
        assert!(problems.iter().all(|p| !p.message.zh.is_empty()));
    }

    #[test]
    fn a_stage_named_like_another_in_either_language_is_named_at_that_language_every_time() {
        let mut editor = ProcessEditor::from_version(&base());
        // 合同签订's English name given to 下单处理, with an SLA problem elsewhere: the duplicate
        // must show at once, next to the English input, not only after every stage passes.
        editor.stages[2].name.en = format!(" {} ", editor.stages[1].name.en);
        editor.stages[4].sla_days = "-1".into();
        let problems = editor.problems(&base());
        let english = problems
            .iter()
            .find(|p| p.field == "stages[2].name.en")
            .unwrap_or_else(|| panic!("{problems:?}"));
        assert_eq!(
            english.message.en,
            format!(
                "The name '{}' is already stage 2's",
                base().stages[1].name.en
            )
        );
        assert!(english.message.zh.contains("第 2 个阶段"), "{english:?}");

        // The same Chinese name is shown next to the Chinese input, quoting the Chinese name
        // in both languages (it is the one that repeats).
        let mut editor = ProcessEditor::from_version(&base());
        editor.stages[3].name.zh = base().stages[0].name.zh.clone();
        let problems = editor.problems(&base());
        let chinese = problems
            .iter()
            .find(|p| p.field == "stages[3].name.zh")
            .unwrap_or_else(|| panic!("{problems:?}"));
        let zh = &base().stages[0].name.zh;
        assert!(chinese.message.zh.contains(zh.as_str()), "{chinese:?}");
        assert!(chinese.message.en.contains(zh.as_str()), "{chinese:?}");

        // "QC" in both languages of one stage is not a duplicate.
        let mut editor = ProcessEditor::from_version(&base());
        editor.stages[4].name = Localized::new("QC", "QC");
        assert_eq!(editor.problems(&base()), vec![]);
    }

    #[test]
    fn more_than_thirty_stages_or_fifty_items_is_a_problem() {
        let mut editor = ProcessEditor::from_version(&base());
        for n in 0..25 {
            let at = editor.add_stage(&base(), None, Some(editor.stages.len() - 1));
            editor.stages[at].name = Localized::new(format!("附加{n}"), format!("Extra {n}"));
            editor.stages[at].customer_label = editor.stages[at].name.clone();
            editor.stages[at].customer_message = editor.stages[at].name.clone();
        }
        assert_eq!(editor.stages.len(), 31);
        assert!(editor.problems(&base()).iter().any(|p| p.field == "stages"));

        let mut editor = ProcessEditor::from_version(&base());
        for _ in 0..51 {
            editor.add_item(&base(), 0);
        }
        let problems = editor.problems(&base());
        assert!(
            problems.iter().any(|p| p.field == "stages[0].checklist"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_new_checklist_item_needs_its_text_and_gets_an_unused_id() {
        let mut editor = ProcessEditor::from_version(&base());
        editor.add_item(&base(), 3);
        editor.add_item(&base(), 3);
        let items = &editor.stages[3].checklist;
        assert_eq!(items[items.len() - 2].id, "item_1");
        assert_eq!(items[items.len() - 1].id, "item_2");
        let problems = editor.problems(&base());
        assert!(
            problems[0].is_about("stages[3].checklist[2]"),
            "{problems:?}"
        );
        editor.remove_item(3, 3);
        editor.stages[3].checklist[2].label = Localized::new("首件确认", "First article check");
        assert_eq!(editor.problems(&base()), vec![]);
    }

    #[test]
    fn a_rebase_keeps_the_edits_and_takes_over_the_other_publishers_stages() {
        let v1 = base();
        let mut mine = ProcessEditor::from_version(&v1);
        mine.stages[3].name = Localized::new("生产/备货", "Production / stock");
        // Someone else added 质检 at the end and published version 2.
        let mut theirs = ProcessEditor::from_version(&v1);
        theirs.add_stage(&v1, Some(StageTemplate::Inspection), Some(5));
        let input = theirs.to_input(false);
        let draft =
            crate::process_version::draft_from_input(1, &input.stages, &input.archived).unwrap();
        let v2 = crate::Processes::new(vec![v1.clone()])
            .publish(
                &draft,
                crate::staff::system_actor(),
                "质检",
                v1.published_at,
            )
            .unwrap();
        mine.rebase(&v2);
        assert_eq!(mine.base_version, 2);
        assert_eq!(mine.stages[3].name.zh, "生产/备货");
        assert_eq!(mine.stages.last().unwrap().id, "inspection");
        assert_eq!(mine.problems(&v2), vec![]);
    }

    #[test]
    fn the_changes_between_versions_read_as_an_admin_made_them() {
        let v1 = base();
        let mut editor = ProcessEditor::from_version(&v1);
        editor.add_stage(&v1, Some(StageTemplate::Quotation), Some(0));
        let production = index_of(&editor, ids::PRODUCTION);
        editor.stages[production].name = Localized::new("生产/备货", "Production / stock");
        editor.stages[production].sla_days = "20".into();
        editor.add_item(&v1, production);
        editor.stages[production]
            .checklist
            .last_mut()
            .unwrap()
            .label = Localized::new("首件确认", "First article check");
        editor.archive(&v1, index_of(&editor, ids::AFTER_SALES));
        let input = editor.to_input(false);
        let draft =
            crate::process_version::draft_from_input(1, &input.stages, &input.archived).unwrap();
        let v2 = crate::Processes::new(vec![v1.clone()])
            .publish(&draft, crate::staff::system_actor(), "", v1.published_at)
            .unwrap();
        let sentences: Vec<String> = process_changes(&v1, &v2)
            .iter()
            .map(|c| c.sentence(Lang::Zh))
            .collect();
        assert_eq!(
            sentences,
            [
                "在“需求确认”之后新增“报价”",
                "“生产/采购”改名为“生产/备货”",
                "“生产/备货”时限 15 天 → 20 天",
                "“生产/备货”新增清单项“首件确认”",
                "归档“售后服务”",
            ]
        );
        assert_eq!(process_changes(&v1, &v1), vec![]);
        assert_eq!(
            affected_stages(&v1, &v2),
            [
                StageId::new(ids::PRODUCTION),
                StageId::new(ids::AFTER_SALES)
            ]
        );
        assert_eq!(editor.as_version(&v1).unwrap().stages, v2.stages);
    }

    #[test]
    fn a_checklist_item_made_required_in_the_editor_is_published_required() {
        let v1 = base();
        let mut editor = ProcessEditor::from_version(&v1);
        let production = index_of(&editor, ids::PRODUCTION);
        editor.add_item(&v1, production);
        let added = editor.stages[production].checklist.last_mut().unwrap();
        added.label = Localized::new("出厂前拍照", "Photo before shipping");
        let added = added.id.clone();
        editor.stages[production].set_item_required(&added, true);
        editor.stages[0].set_item_required("record_needs", true);
        let v2 = editor.as_version(&v1).unwrap();
        let production = v2.stages.iter().find(|s| s.id == ids::PRODUCTION).unwrap();
        assert!(production.item(&added).unwrap().required);
        assert!(!production
            .item("confirm_materials")
            .is_some_and(|i| i.required));
        let sentences: Vec<String> = process_changes(&v1, &v2)
            .iter()
            .map(|c| c.sentence(Lang::Zh))
            .collect();
        assert_eq!(
            sentences,
            [
                "“需求确认”的清单项“记录客户需求”改为必填",
                "“生产/采购”新增必填清单项“出厂前拍照”",
            ]
        );
        // Required is a rule, not wording: orders already in production keep their version's.
        assert!(affected_stages(&v1, &v2).contains(&StageId::new(ids::PRODUCTION)));
    }

    #[test]
    fn a_problem_belongs_to_its_field_and_the_fields_parts() {
        let problem = FieldProblem {
            field: "stages[1].name.zh".into(),
            message: Localized::default(),
        };
        assert!(problem.is_about("stages[1].name"));
        assert!(problem.is_about("stages[1]"));
        assert!(!problem.is_about("stages[10]"));
        assert!(!problem.is_about("stages[1].name_x"));
    }
}
