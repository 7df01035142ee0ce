//! Filling the number key of orders stored before it existed (migration 0009 leaves NULL where
//! the key is not plain `lower()`), renaming an order whose number turns out to be the same as
//! another's under the one comparison (`domain::number_key`). Runs at the start of a push, a
//! few orders at a time, until none is left; the query uses a partial index, so once everything
//! is filled it costs one empty index read.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::{make_number_unique, renumber_stems, system_actor, Actor, Applied, Context};

use crate::{
    error::ApiError,
    repository::{retry::retrying, CommitError, Repository},
};

/// Orders looked at per push: bounded, so a push never does unbounded extra work.
const PER_PUSH: u32 = 20;

pub async fn fill_missing(repo: &Repository, now: DateTime<Utc>) -> Result<(), ApiError> {
    let missing = retrying(|| repo.orders_missing_number_key(PER_PUSH)).await?;
    if missing.is_empty() {
        return Ok(());
    }
    // Renumbering reads no stage, but the context wants the versions.
    let processes = retrying(|| repo.processes()).await?;
    let system = system_actor();
    let actor = Actor::new(system.user_id.clone(), system.name.clone(), vec![]);
    let rules = Context {
        processes: &processes,
        actor: &actor,
        now,
    };
    for (order, version) in missing {
        let stems = renumber_stems(&order.number);
        let taken: HashSet<String> = retrying(|| repo.numbers_taken(&stems))
            .await?
            .into_iter()
            .filter(|(id, _)| *id != order.id)
            .map(|(_, key)| key)
            .collect();
        if !taken.contains(&order.number.key()) {
            repo.fill_number_key(&order, version).await?;
            continue;
        }
        let mut applied = Applied {
            order,
            events: Vec::new(),
        };
        make_number_unique(&rules, &mut applied, |key| taken.contains(key));
        applied.order.updated_at = now;
        match repo
            .commit_server_side_change(&applied.order, version, &applied.events, now)
            .await
        {
            // Someone changed the order meanwhile: the next push looks at it again.
            Ok(_) | Err(CommitError::Stale) | Err(CommitError::Transient(_)) => {}
            Err(CommitError::Other(error)) => return Err(error),
        }
    }
    Ok(())
}
