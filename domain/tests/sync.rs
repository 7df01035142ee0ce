mod common;

use common::*;
use domain::*;
use serde::{de::DeserializeOwned, Serialize};
use uuid::Uuid;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
}

#[test]
fn a_push_request_survives_json() {
    round_trip(&PushRequest {
        device_id: Uuid::from_u128(9),
        mutations: vec![
            PendingMutation {
                seq: 1,
                mutation: create(),
                device_time: t0(),
            },
            PendingMutation {
                seq: 2,
                mutation: note(1, "到货后电话确认"),
                device_time: later(1),
            },
        ],
    });
}

#[test]
fn a_push_response_with_a_rejection_survives_json() {
    let err = DomainError::StaleStage {
        current: stage("contract"),
    };
    let rejection = Rejection::new(3, &err, Lang::Zh, advance("requirement", "contract", None));
    assert_eq!(rejection.code, "stale_stage");
    assert!(rejection.message.contains("合同签订"));
    round_trip(&PushResponse {
        last_seq: 3,
        rejected: vec![rejection],
    });
}

#[test]
fn a_pull_response_with_full_orders_survives_json() {
    let o = ok(&warehouse(), &at("delivery"), ship());
    round_trip(&PullResponse {
        orders: vec![o, created()],
        tombstones: vec![Uuid::from_u128(77)],
        cursor: 42,
        more: true,
        last_seq: 7,
        rejections: vec![],
    });
    round_trip(&PullRequest {
        device_id: Uuid::from_u128(9),
        cursor: 0,
    });
}

#[test]
fn every_error_survives_json_and_keeps_its_code() {
    let errors = [
        DomainError::invalid("x", "错", "wrong"),
        DomainError::NotFound,
        DomainError::OrderExists,
        DomainError::OrderClosed,
        DomainError::StaleStage {
            current: stage("delivery"),
        },
        DomainError::ReasonRequired,
        DomainError::MissingRequirement {
            requirement: ExitRequirement::Invoice,
        },
        DomainError::forbidden("不行", "no"),
        DomainError::Overflow,
    ];
    for e in &errors {
        round_trip(e);
        let json = serde_json::to_value(e).unwrap();
        assert_eq!(json["code"], e.code());
        for lang in Lang::ALL {
            assert!(!e.message(lang).is_empty());
        }
    }
}
