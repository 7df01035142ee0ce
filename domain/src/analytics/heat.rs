//! Who holds which orders where (owner × stage): the heat map a manager scans for the person
//! or stage piling up work.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{
    facts::{self, OrderFacts},
    FnvMap, Waiting,
};
use crate::{order::Order, pipeline::Pipeline, staff::StaffRef, stage::StageId};

/// Active orders by owner (rows) and current stage (columns, in the pipeline's order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeatMap {
    pub stages: Vec<StageId>,
    /// Owners holding at least one active order in these stages, by name (then id).
    pub rows: Vec<HeatRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatRow {
    pub owner: StaffRef,
    /// One cell per entry of `HeatMap::stages`.
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeatCell {
    /// Longest in the stage first.
    pub orders: Vec<Uuid>,
    /// Past their deadline on `today`.
    pub overdue: usize,
}

impl HeatMap {
    /// The most orders any cell holds (the scale of the shading).
    pub fn busiest(&self) -> usize {
        self.rows
            .iter()
            .flat_map(|row| &row.cells)
            .map(|cell| cell.orders.len())
            .max()
            .unwrap_or(0)
    }
}

pub fn owner_by_stage<'a>(
    orders: impl IntoIterator<Item = &'a Order>,
    today: NaiveDate,
    pipeline: &Pipeline,
) -> HeatMap {
    let facts = super::facts_of(orders, pipeline);
    let kept: Vec<&OrderFacts> = facts.iter().collect();
    heat_of(&super::waiting_in(&kept, pipeline), today, pipeline)
}

/// `waiting` is `waiting_in` the same pipeline.
pub(super) fn heat_of(waiting: &[Waiting], today: NaiveDate, pipeline: &Pipeline) -> HeatMap {
    // The distinct owners (a handful among thousands of orders) found by hashing, then put in
    // rows by name, then id.
    let mut distinct: FnvMap<(&str, &str), usize> = FnvMap::default();
    let mut owners: Vec<&StaffRef> = Vec::new();
    let found: Vec<usize> = waiting
        .iter()
        .map(|here| {
            let owner = here.order.owner();
            *distinct
                .entry((owner.name.as_str(), owner.user_id.as_str()))
                .or_insert_with(|| {
                    owners.push(owner);
                    owners.len() - 1
                })
        })
        .collect();
    let mut by_name: Vec<usize> = (0..owners.len()).collect();
    by_name.sort_by(|a, b| {
        (&owners[*a].name, &owners[*a].user_id).cmp(&(&owners[*b].name, &owners[*b].user_id))
    });
    let mut row_of = vec![0; owners.len()];
    for (row, owner) in by_name.iter().enumerate() {
        row_of[*owner] = row;
    }
    let mut rows = vec![vec![Vec::new(); pipeline.stages.len()]; owners.len()];
    for (here, owner) in waiting.iter().zip(found) {
        rows[row_of[owner]][here.slot].push(here);
    }
    let today = facts::day(today);
    HeatMap {
        stages: pipeline.stages.iter().map(|def| def.id.clone()).collect(),
        rows: by_name
            .iter()
            .zip(rows)
            // An owner whose active orders are all in other stages has no row.
            .filter(|(_, columns)| columns.iter().any(|here| !here.is_empty()))
            .map(|(owner, columns)| HeatRow {
                owner: owners[*owner].clone(),
                cells: columns
                    .into_iter()
                    .map(|here| HeatCell {
                        overdue: here.iter().filter(|w| w.visit.due < today).count(),
                        orders: here.iter().map(|w| w.order.id).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
