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
