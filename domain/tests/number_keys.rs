//! Order-number uniqueness over arbitrary Unicode numbers of any length and any number of
//! collisions, against a model of the database: a set of `number_key`s (the unique index) and a
//! lookup that answers exactly the keys `renumber_stems` asks for (the server's one statement).

mod common;

use std::collections::BTreeSet;

use common::*;
use domain::number_key::covered_by_stems;
use domain::*;
use proptest::prelude::*;

/// Characters people put in order numbers, and the ones that broke the NOCASE index: ASCII,
/// full-width Latin and digits, Greek (with final sigma), Cyrillic, accented Latin, ß, CJK,
/// circled digits (NFKC → digits), and the separators.
fn number_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('A', 'Z'),
        prop::char::range('a', 'z'),
        prop::char::range('0', '9'),
        prop::char::range('Ａ', 'Ｚ'),
        prop::char::range('ａ', 'ｚ'),
        prop::char::range('０', '９'),
        prop::char::range('Α', 'Ω'),
        prop::char::range('α', 'ω'),
        prop::char::range('А', 'я'),
        prop::sample::select(vec![
            'é', 'É', 'ß', 'ẞ', 'ς', 'İ', 'ı', 'ǅ', 'ﬁ', '①', '⑩', 'Ⅻ'
        ]),
        prop::char::range('杭', '杯'),
        prop::sample::select(vec!['-', '-', '_', '/', '.']),
    ]
}

fn order_number() -> impl Strategy<Value = OrderNumber> {
    prop::collection::vec(number_char(), 1..=OrderNumber::MAX_CHARS)
        .prop_filter_map("a valid number", |chars| {
            OrderNumber::parse(&chars.into_iter().collect::<String>()).ok()
        })
}

fn fresh_id() -> uuid::Uuid {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    uuid::Uuid::from_u128(
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .into(),
    )
}

fn create_with(number: &OrderNumber) -> Mutation {
    match create() {
        Mutation::CreateOrder {
            customer, items, ..
        } => Mutation::CreateOrder {
            order_id: fresh_id(),
            number: Some(number.as_str().to_string()),
            customer,
            items,
            expected_delivery: None,
            owner: None,
            note: None,
            note_id: None,
        },
        _ => unreachable!(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Creating the same (or an equivalent) number again and again: every create keeps its order,
    /// gets a number whose key the "index" has not seen, that fits and parses; and renumbering
    /// only ever asks about keys the server's lookup fetched.
    #[test]
    fn every_collision_gets_a_free_valid_number(
        variants in prop::collection::vec(order_number(), 1..4),
        repeats in 2usize..40,
        already in prop::collection::vec(order_number(), 0..20),
    ) {
        let pipeline = Pipeline::standard();
        let ctx = Context { processes: &domain::Processes::single(pipeline.clone()), actor: &sales(), now: t0() };
        let mut index: BTreeSet<String> = already.iter().map(OrderNumber::key).collect();
        for i in 0..repeats {
            let wanted = &variants[i % variants.len()];
            let stems = renumber_stems(wanted);
            // The lookup answers the rows whose keys the stems cover; anything else asked about
            // would be a number the server never looked up (the wedge of issue 22).
            let fetched: BTreeSet<String> =
                index.iter().filter(|k| covered_by_stems(&stems, k)).cloned().collect();
            let asked_uncovered = std::cell::Cell::new(None);
            let taken = |key: &str| {
                if !covered_by_stems(&stems, key) {
                    asked_uncovered.set(Some(key.to_string()));
                }
                fetched.contains(key)
            };
            let pending = PendingMutation {
                seq: 1,
                mutation: create_with(wanted),
                device_time: t0(),
            };
            let Decision::Applied(applied) = process_with_numbers(&ctx, None, &pending, taken) else {
                panic!("a valid create is never refused for its number");
            };
            prop_assert_eq!(asked_uncovered.take(), None);
            let got = &applied.order.number;
            prop_assert!(got.as_str().chars().count() <= OrderNumber::MAX_CHARS);
            prop_assert_eq!(OrderNumber::parse(got.as_str()), Ok(got.clone()));
            prop_assert!(index.insert(got.key()), "{} collides in the index", got);
            if got != wanted {
                let renumbered = matches!(
                    applied.events.last().map(|e| &e.kind),
                    Some(EventKind::Renumbered { .. })
                );
                prop_assert!(renumbered, "a renumbering is recorded in the history");
            }
        }
    }

    /// The lookup's range (`stem-` followed by digits) relies on this: appending `-digits` to a
    /// number appends exactly that to its key.
    #[test]
    fn a_digit_suffix_appends_to_the_key(number in order_number(), n in 2u32..=999_999) {
        let suffixed = format!("{}-{n}", number.as_str());
        prop_assert_eq!(number_key(&suffixed), format!("{}-{n}", number.key()));
    }

    /// Keys are stable: the key of a key is itself (a stored key can be compared again).
    #[test]
    fn keys_are_idempotent(number in order_number()) {
        let key = number.key();
        prop_assert_eq!(number_key(&key), key);
    }
}

#[test]
fn the_two_reproductions_of_issue_22() {
    let pipeline = Pipeline::standard();
    let ctx = Context {
        processes: &domain::Processes::single(pipeline.clone()),
        actor: &sales(),
        now: t0(),
    };
    // Full-width number taken by another order: renumbered, not wedged.
    let taken_keys = [number_key("ＦＺ-36877")];
    let fz = OrderNumber::parse("ＦＺ-36877").unwrap();
    let pending = PendingMutation {
        seq: 1,
        mutation: create_with(&fz),
        device_time: t0(),
    };
    let Decision::Applied(applied) =
        process_with_numbers(&ctx, None, &pending, |k| taken_keys.iter().any(|t| t == k))
    else {
        panic!("kept")
    };
    assert_eq!(applied.order.number.as_str(), "ＦＺ-36877-2");

    // A third order wanting the same 40-character number gets a third number.
    let long = OrderNumber::parse(&"长".repeat(40)).unwrap();
    let mut index = BTreeSet::from([long.key()]);
    for expected in [
        format!("{}-2", "长".repeat(38)),
        format!("{}-3", "长".repeat(38)),
    ] {
        let pending = PendingMutation {
            seq: 1,
            mutation: create_with(&long),
            device_time: t0(),
        };
        let Decision::Applied(applied) =
            process_with_numbers(&ctx, None, &pending, |k| index.contains(k))
        else {
            panic!("kept")
        };
        assert_eq!(applied.order.number.as_str(), expected);
        index.insert(applied.order.number.key());
    }
}
