//! Who holds which orders where (owner × stage): the heat map a manager scans for the person
//! or stage piling up work.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

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
    let mut rows: BTreeMap<(String, String), Vec<Vec<&Order>>> = BTreeMap::new();
    let mut owners: BTreeMap<(String, String), StaffRef> = BTreeMap::new();
    for order in orders.into_iter().filter(|order| order.is_active()) {
        let Some(column) = pipeline.index_of(&order.stage) else {
            continue;
        };
        let key = (order.owner.name.clone(), order.owner.user_id.clone());
        owners
            .entry(key.clone())
            .or_insert_with(|| order.owner.clone());
        rows.entry(key)
            .or_insert_with(|| vec![Vec::new(); pipeline.stages.len()])[column]
            .push(order);
    }
    HeatMap {
        stages: pipeline.stages.iter().map(|def| def.id.clone()).collect(),
        rows: rows
            .into_iter()
            .map(|(key, columns)| HeatRow {
                owner: owners.remove(&key).expect("every row has its owner"),
                cells: columns
                    .into_iter()
                    .map(|mut here| {
                        here.sort_by_key(|order| (order.current_progress().entered_at, order.id));
                        HeatCell {
                            overdue: here
                                .iter()
                                .filter(|order| order.due_date(pipeline) < today)
                                .count(),
                            orders: here.iter().map(|order| order.id).collect(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}
