//! Who holds which orders where (owner × stage): the heat map a manager scans for the person
//! or stage piling up work.

use chrono::NaiveDate;
use uuid::Uuid;

use super::facts::{self, OrderFacts};
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
    owner_by_stage_of(&kept, today, pipeline)
}

pub(super) fn owner_by_stage_of(
    kept: &[&OrderFacts],
    today: NaiveDate,
    pipeline: &Pipeline,
) -> HeatMap {
    // Rows by the owner's name, then id.
    let mut owners: Vec<&StaffRef> = kept
        .iter()
        .filter(|order| order.is_active())
        .map(|order| order.owner())
        .collect();
    crate::sorting::sort_by(&mut owners, |a, b| {
        (&a.name, &a.user_id).cmp(&(&b.name, &b.user_id))
    });
    owners.dedup_by(|a, b| a.name == b.name && a.user_id == b.user_id);
    let row_of = |owner: &StaffRef| {
        owners
            .binary_search_by(|row| (&row.name, &row.user_id).cmp(&(&owner.name, &owner.user_id)))
            .unwrap_or(0)
    };
    let waiting =
        super::waiting_by_stage(kept, pipeline, |order| row_of(order.owner()), owners.len());
    let today = facts::day(today);
    HeatMap {
        stages: pipeline.stages.iter().map(|def| def.id.clone()).collect(),
        rows: owners
            .iter()
            .zip(waiting)
            // An owner whose active orders are all in other stages has no row.
            .filter(|(_, columns)| columns.iter().any(|here| !here.is_empty()))
            .map(|(owner, columns)| HeatRow {
                owner: (*owner).clone(),
                cells: columns
                    .into_iter()
                    .map(|here| HeatCell {
                        overdue: here.iter().filter(|(_, visit)| visit.due < today).count(),
                        orders: here.iter().map(|(order, _)| order.id).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
