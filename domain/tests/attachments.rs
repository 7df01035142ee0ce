//! Photos and files on orders: who may add, remove and purge them, and what the history says.

mod common;

use common::*;
use domain::*;
use uuid::Uuid;

fn file(byte: char) -> FileRef {
    FileRef {
        sha256: byte.to_string().repeat(64),
        file_type: FileType::Jpeg,
        size: 180_000,
    }
}

fn add(id: u128, kind: AttachmentKind, hash: char) -> Mutation {
    Mutation::AddAttachment {
        order_id: oid(),
        attachment: NewAttachment {
            id: Uuid::from_u128(0x5000 + id),
            kind,
            file: file(hash),
            thumbnail: Some(FileRef {
                size: 9_000,
                ..file('f')
            }),
        },
    }
}

fn remove(id: u128) -> Mutation {
    Mutation::RemoveAttachment {
        order_id: oid(),
        attachment_id: Uuid::from_u128(0x5000 + id),
    }
}

fn purge(id: u128) -> Mutation {
    Mutation::PurgeAttachment {
        order_id: oid(),
        attachment_id: Uuid::from_u128(0x5000 + id),
    }
}

#[test]
fn the_warehouse_adds_a_signed_delivery_note_and_the_history_says_so() {
    let order = at("delivery");
    let applied = run(
        &warehouse(),
        Some(&order),
        &add(1, AttachmentKind::DeliveryNote, 'a'),
        later(2),
    )
    .unwrap();
    let attachment = &applied.order.attachments[0];
    assert_eq!(attachment.kind, AttachmentKind::DeliveryNote);
    assert_eq!(attachment.stage, stage("delivery"));
    assert_eq!(attachment.by.name, "张伟");
    let pipeline = Pipeline::standard();
    assert_eq!(
        applied.events[0].describe(&pipeline, Lang::Zh),
        "张伟 上传了签收单"
    );
}

#[test]
fn the_same_file_twice_on_one_order_is_refused_with_who_added_it() {
    let order = ok(
        &warehouse(),
        &created(),
        add(1, AttachmentKind::DeliveryNote, 'a'),
    );
    let second = run(
        &sales(),
        Some(&order),
        &add(2, AttachmentKind::Other, 'a'),
        later(3),
    );
    let error = second.unwrap_err();
    assert!(error.message(Lang::Zh).contains("张伟"), "{error}");
    // The same id again (a replayed mutation under another seq) is refused too.
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&order),
            &add(1, AttachmentKind::DeliveryNote, 'b'),
            later(3)
        )),
        "invalid"
    );
}

#[test]
fn a_malformed_hash_or_size_is_refused() {
    let mut bad = add(1, AttachmentKind::Contract, 'a');
    if let Mutation::AddAttachment { attachment, .. } = &mut bad {
        attachment.file.sha256 = "../../secret".into();
    }
    assert_eq!(
        code(run(&sales(), Some(&created()), &bad, later(1))),
        "invalid"
    );
    let mut empty = add(1, AttachmentKind::Contract, 'a');
    if let Mutation::AddAttachment { attachment, .. } = &mut empty {
        attachment.file.size = 0;
    }
    assert_eq!(
        code(run(&sales(), Some(&created()), &empty, later(1))),
        "invalid"
    );
}

#[test]
fn removing_is_for_the_uploader_owner_or_sales_and_purging_for_admins_after_removal() {
    let order = ok(
        &warehouse(),
        &created(),
        add(1, AttachmentKind::QcPhoto, 'a'),
    );
    assert_eq!(
        code(run(&finance(), Some(&order), &remove(1), later(2))),
        "forbidden"
    );
    assert_eq!(
        code(run(&admin(), Some(&order), &purge(1), later(2))),
        "invalid"
    );
    let removed = ok(&warehouse(), &order, remove(1));
    assert!(!removed.attachments[0].is_live());
    assert_eq!(
        code(run(&sales(), Some(&removed), &purge(1), later(2))),
        "forbidden"
    );
    let purged = ok(&admin(), &removed, purge(1));
    assert!(purged.attachments[0].purged);
    let pipeline = Pipeline::standard();
    let last = purged.history.last().unwrap();
    assert_eq!(
        last.describe(&pipeline, Lang::Zh),
        "管理员 彻底清除了已删除的质检照片"
    );
    // Once removed, the same photo may be added again.
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&removed),
            &add(2, AttachmentKind::QcPhoto, 'a'),
            later(3)
        )),
        "ok"
    );
}

#[test]
fn a_signed_delivery_note_can_arrive_after_the_order_is_completed() {
    let order = at("after_sales");
    let completed = ok(
        &admin(),
        &tick_all(&order),
        Mutation::Complete {
            order_id: oid(),
            reason: None,
        },
    );
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&completed),
            &add(1, AttachmentKind::DeliveryNote, 'a'),
            later(5)
        )),
        "ok"
    );
}

// ---- evidence a checklist item needs ----------------------------------------------------------

/// The standard process with the item an admin adds to 售后服务 to ask for the signed delivery
/// note: the note comes back once the goods arrived, after the order left 发货发票, and the
/// order should not be closed without it.
fn with_delivery_note_item(required: bool) -> Pipeline {
    let mut pipeline = Pipeline::standard();
    let after_sales = pipeline
        .stages
        .iter_mut()
        .find(|s| s.id == "after_sales")
        .unwrap();
    after_sales.checklist.insert(
        0,
        ChecklistItemDef {
            id: "delivery_note_back".into(),
            label: Localized::new("收回签收单", "Signed delivery note back"),
            required,
            evidence: Some(AttachmentKind::DeliveryNote),
        },
    );
    pipeline
}

fn run_with(
    pipeline: &Pipeline,
    actor: &Actor,
    order: &Order,
    m: &Mutation,
) -> Result<Order, DomainError> {
    let processes = Processes::single(pipeline.clone());
    let ctx = Context {
        processes: &processes,
        actor,
        now: later(3),
    };
    apply(&ctx, Some(order), m).map(|applied| applied.order)
}

fn complete_with_reason() -> Mutation {
    Mutation::Complete {
        order_id: oid(),
        reason: Some("回访稍后再做".into()),
    }
}

fn missing_delivery_note() -> DomainError {
    DomainError::MissingEvidence {
        item: Localized::new("收回签收单", "Signed delivery note back"),
        kind: AttachmentKind::DeliveryNote,
    }
}

#[test]
fn an_item_that_needs_a_delivery_note_photo_cannot_be_ticked_without_one() {
    let pipeline = with_delivery_note_item(true);
    let order = at("after_sales");
    let refused = run_with(
        &pipeline,
        &service(),
        &order,
        &tick("after_sales", "delivery_note_back", true),
    )
    .unwrap_err();
    assert_eq!(refused, missing_delivery_note());
    assert_eq!(refused.code(), "missing_evidence");
    assert_eq!(
        refused.message(Lang::Zh),
        "清单项“收回签收单”需要签收单照片：请先在这一项上拍照或选择文件"
    );
    assert!(refused
        .message(Lang::En)
        .contains("signed delivery note photo"));
    // A photo of another kind is no evidence of a signature.
    let with_contract = ok(&warehouse(), &order, add(1, AttachmentKind::Contract, 'a'));
    assert_eq!(
        run_with(
            &pipeline,
            &service(),
            &with_contract,
            &tick("after_sales", "delivery_note_back", true)
        ),
        Err(missing_delivery_note())
    );
    // With the 签收单 on the order the tick passes, and unticking never needs evidence.
    let with_note = ok(
        &warehouse(),
        &with_contract,
        add(2, AttachmentKind::DeliveryNote, 'b'),
    );
    let ticked = run_with(
        &pipeline,
        &service(),
        &with_note,
        &tick("after_sales", "delivery_note_back", true),
    )
    .unwrap();
    assert!(ticked.current_progress().checklist["delivery_note_back"]);
    assert!(run_with(
        &pipeline,
        &service(),
        &order,
        &tick("after_sales", "delivery_note_back", false)
    )
    .is_ok());
}

#[test]
fn a_required_delivery_note_stops_completing_even_with_a_reason_until_the_photo_is_there() {
    let pipeline = with_delivery_note_item(true);
    let order = at("after_sales");
    assert_eq!(
        run_with(&pipeline, &admin(), &order, &complete_with_reason()),
        Err(missing_delivery_note())
    );
    let with_note = ok(
        &warehouse(),
        &order,
        add(1, AttachmentKind::DeliveryNote, 'a'),
    );
    let ticked = run_with(
        &pipeline,
        &service(),
        &with_note,
        &tick("after_sales", "delivery_note_back", true),
    )
    .unwrap();
    let done = run_with(&pipeline, &admin(), &ticked, &complete_with_reason()).unwrap();
    assert_eq!(done.status, OrderStatus::Completed);
}

#[test]
fn removing_the_photo_after_the_tick_stops_the_order_again() {
    let pipeline = with_delivery_note_item(false);
    let order = ok(
        &warehouse(),
        &at("after_sales"),
        add(1, AttachmentKind::DeliveryNote, 'a'),
    );
    let ticked = run_with(
        &pipeline,
        &service(),
        &order,
        &tick("after_sales", "delivery_note_back", true),
    )
    .unwrap();
    let removed = ok(&warehouse(), &ticked, remove(1));
    assert_eq!(
        run_with(&pipeline, &admin(), &removed, &complete_with_reason()),
        Err(missing_delivery_note())
    );
    // An optional item left unticked needs only the usual reason, photo or not.
    let unticked = run_with(
        &pipeline,
        &service(),
        &removed,
        &tick("after_sales", "delivery_note_back", false),
    )
    .unwrap();
    let done = run_with(&pipeline, &admin(), &unticked, &complete_with_reason()).unwrap();
    assert_eq!(done.status, OrderStatus::Completed);
}

#[test]
fn evidence_guards_moving_forward_out_of_any_stage_but_not_moving_back() {
    let mut pipeline = Pipeline::standard();
    pipeline.stages[4].checklist[0].evidence = Some(AttachmentKind::QcPhoto);
    pipeline.stages[4].checklist[0].required = true;
    let order = at("delivery");
    let order = ok(&admin(), &order, ship());
    let order = ok(&admin(), &order, invoice());
    let refused = run_with(
        &pipeline,
        &admin(),
        &order,
        &advance("delivery", "after_sales", Some("急")),
    )
    .unwrap_err();
    assert_eq!(refused.code(), "missing_evidence");
    assert!(run_with(
        &pipeline,
        &admin(),
        &order,
        &advance("delivery", "production", Some("返工"))
    )
    .is_ok());
}

#[test]
fn an_item_stored_before_evidence_existed_needs_none_and_is_written_as_before() {
    let stored = r#"{"id":"pack","label":{"zh":"打包","en":"Pack the goods"},"required":true}"#;
    let item: ChecklistItemDef = serde_json::from_str(stored).unwrap();
    assert_eq!(item.evidence, None);
    assert_eq!(serde_json::to_string(&item).unwrap(), stored);
    // So orders on the standard version complete without any photo, as they always did.
    let done = ok(
        &admin(),
        &tick_all(&at("after_sales")),
        complete_with_reason(),
    );
    assert_eq!(done.status, OrderStatus::Completed);
}

#[test]
fn the_process_editor_publishes_an_item_that_needs_a_delivery_note_and_the_history_says_so() {
    let v1 = Processes::standard();
    let base = v1.current().clone();
    let mut editor = domain::process_editor::ProcessEditor::from_version(&base);
    let after_sales = editor
        .stages
        .iter()
        .position(|s| s.id == "after_sales")
        .unwrap();
    editor.stages[after_sales]
        .set_item_evidence("satisfaction_visit", Some(AttachmentKind::DeliveryNote));
    assert_eq!(editor.problems(&base), vec![]);
    let input = editor.to_input(true);
    // The wire form carries it under its stable name.
    let json = serde_json::to_value(&input).unwrap();
    assert_eq!(
        json["stages"][after_sales]["checklist"][0]["evidence"],
        "delivery_note"
    );
    let draft =
        domain::process_version::draft_from_input(input.base_version, &input.stages, &[]).unwrap();
    let published = v1
        .publish(
            &draft,
            StaffRef::new("u-admin", "管理员"),
            "回访要签收单",
            later(1),
        )
        .unwrap();
    let item = published.stages[after_sales]
        .item("satisfaction_visit")
        .unwrap();
    assert_eq!(item.evidence, Some(AttachmentKind::DeliveryNote));
    let changes = domain::process_editor::process_changes(&base, &published);
    let sentences: Vec<String> = changes.iter().map(|c| c.sentence(Lang::Zh)).collect();
    assert_eq!(
        sentences,
        vec!["“售后服务”的清单项“满意度回访”改为需要签收单照片".to_string()]
    );
    // Orders still on version 1 tick the same item without any photo.
    let processes = Processes::new(v1.versions().cloned().chain([published]));
    let ctx = Context {
        processes: &processes,
        actor: &service(),
        now: later(3),
    };
    let old = at("after_sales");
    assert_eq!(old.process_version, 1);
    assert!(apply(
        &ctx,
        Some(&old),
        &tick("after_sales", "satisfaction_visit", true)
    )
    .is_ok());
}

#[test]
fn a_hash_another_attachment_holds_in_another_role_is_refused() {
    // An invoice whose "thumbnail" names the QC photo's bytes would show a customer the
    // internal photo without anyone uploading it: a phone never makes such an attachment.
    let order = ok(
        &warehouse(),
        &created(),
        add(1, AttachmentKind::QcPhoto, 'a'),
    );
    let mut borrowed_thumbnail = add(2, AttachmentKind::Invoice, 'b');
    if let Mutation::AddAttachment { attachment, .. } = &mut borrowed_thumbnail {
        attachment.thumbnail = Some(file('a'));
    }
    let error = run(&finance(), Some(&order), &borrowed_thumbnail, later(2)).unwrap_err();
    assert!(error.message(Lang::Zh).contains("张伟"), "{error}");
    // Nor may a file be another attachment's thumbnail ('f' is the QC photo's).
    assert_eq!(
        code(run(
            &finance(),
            Some(&order),
            &add(3, AttachmentKind::Invoice, 'f'),
            later(2)
        )),
        "invalid"
    );
}

#[test]
fn a_removed_file_comes_back_only_from_the_person_who_added_it() {
    // Every phone sees a removed attachment's hash; the bytes are on the server. Someone else
    // naming that hash would make the hidden file downloadable again without ever holding it.
    let order = ok(
        &warehouse(),
        &created(),
        add(1, AttachmentKind::QcPhoto, 'a'),
    );
    let removed = ok(&sales(), &order, remove(1));
    let error = run(
        &sales(),
        Some(&removed),
        &add(2, AttachmentKind::DeliveryNote, 'a'),
        later(3),
    )
    .unwrap_err();
    assert_eq!(error.code(), "invalid");
    assert!(error.message(Lang::Zh).contains("张伟"), "{error}");
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&removed),
            &add(2, AttachmentKind::QcPhoto, 'a'),
            later(3)
        )),
        "ok"
    );
}

#[test]
fn the_refusal_names_what_each_kind_of_evidence_is() {
    let refusal = |kind| DomainError::MissingEvidence {
        item: Localized::new("出货前检验", "Inspection before shipping"),
        kind,
    };
    // A QC photo is a photo already; a contract may be a scanned PDF.
    assert_eq!(
        refusal(AttachmentKind::QcPhoto).message(Lang::Zh),
        "清单项“出货前检验”需要质检照片：请先在这一项上拍照或选择文件"
    );
    assert_eq!(
        refusal(AttachmentKind::QcPhoto).message(Lang::En),
        "The checklist item 'Inspection before shipping' needs a QC photo: add it on the item first"
    );
    assert!(refusal(AttachmentKind::Contract)
        .message(Lang::Zh)
        .contains("需要合同（照片或 PDF）"));
}

/// An attachment whose file is `n` (a distinct hash per `n`), as a pushed mutation that never
/// uploads anything would name it.
fn add_numbered(id: u128, n: u128) -> Mutation {
    Mutation::AddAttachment {
        order_id: oid(),
        attachment: NewAttachment {
            id: Uuid::from_u128(0x9000 + id),
            kind: AttachmentKind::DeliveryNote,
            file: FileRef {
                sha256: format!("{n:064x}"),
                file_type: FileType::Pdf,
                size: 20 * 1024 * 1024,
            },
            thumbnail: None,
        },
    }
}

#[test]
fn one_member_cannot_use_up_an_orders_attachment_slots_and_block_the_real_delivery_note() {
    // An attacker's finding: 61 records with random hashes and no upload, from one member, used
    // up the 60 slots and the real 签收单 was refused.
    let mut order = at("delivery");
    let mut refused = None;
    for n in 0..61 {
        match run(&warehouse(), Some(&order), &add_numbered(n, n), later(1)) {
            Ok(applied) => order = applied.order,
            Err(error) => {
                refused.get_or_insert(error);
            }
        }
    }
    let own = order.attachments.len();
    assert_eq!(own, attachment::MAX_ATTACHMENTS_PER_PERSON);
    let error = refused.expect("the 21st is refused");
    assert_eq!(error.field(), Some("attachment"));
    assert!(
        error
            .message(Lang::Zh)
            .contains("你在这张订单上已添加 20 个附件"),
        "{}",
        error.message(Lang::Zh)
    );
    // Removing them does not give the slots back (the records stay)…
    for n in 0..3 {
        order = ok(&warehouse(), &order, remove_numbered(n));
    }
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&order),
            &add_numbered(100, 100),
            later(2)
        )),
        "invalid"
    );
    // …but the owner's real 签收单 goes in.
    let signed = ok(&sales(), &order, add(1, AttachmentKind::DeliveryNote, 'a'));
    assert!(signed
        .attachments
        .iter()
        .any(|a| a.by.name == "王芳" && a.is_live()));
    // An admin purging a removed one frees its slot for its owner.
    let purged = ok(
        &admin(),
        &signed,
        Mutation::PurgeAttachment {
            order_id: oid(),
            attachment_id: Uuid::from_u128(0x9000),
        },
    );
    assert_eq!(
        code(run(
            &warehouse(),
            Some(&purged),
            &add_numbered(100, 100),
            later(2)
        )),
        "ok"
    );
}

#[test]
fn purged_attachments_do_not_count_toward_the_orders_sixty() {
    let mut order = at("delivery");
    let people = [warehouse(), sales(), production()];
    for (p, person) in people.iter().enumerate() {
        for n in 0..20u128 {
            let n = p as u128 * 100 + n;
            order = ok(person, &order, add_numbered(n, n));
        }
    }
    assert_eq!(order.attachments.len(), attachment::MAX_ATTACHMENTS);
    let full = run(&finance(), Some(&order), &add_numbered(500, 500), later(2)).unwrap_err();
    assert!(full.message(Lang::Zh).contains("已达上限（60 个"), "{full}");
    let removed = ok(&warehouse(), &order, remove_numbered(0));
    assert_eq!(
        code(run(
            &finance(),
            Some(&removed),
            &add_numbered(500, 500),
            later(2)
        )),
        "invalid"
    );
    let purged = ok(
        &admin(),
        &removed,
        Mutation::PurgeAttachment {
            order_id: oid(),
            attachment_id: Uuid::from_u128(0x9000),
        },
    );
    assert_eq!(
        code(run(
            &finance(),
            Some(&purged),
            &add_numbered(500, 500),
            later(2)
        )),
        "ok"
    );
}

fn remove_numbered(id: u128) -> Mutation {
    Mutation::RemoveAttachment {
        order_id: oid(),
        attachment_id: Uuid::from_u128(0x9000 + id),
    }
}
