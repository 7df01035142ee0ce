//! The orders behind a number (drill-down): each figure is listed with the same predicate that
//! counted it, so the list a manager opens always has the orders the number counted.

use uuid::Uuid;

use super::{
    backward_moves, cancelled_at, completed_at, delivery_outcome, reached_contract, started_at,
    Filter, Period, Promise,
};
use crate::{
    order::{Order, OrderStatus},
    pipeline::Pipeline,
};

/// A number on the 分析 screen counted over orders. Stage figures (waiting orders, the
/// bottleneck, the owner × stage cells) carry their orders themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    Started,
    Completed,
    Cancelled,
    /// Started in the period and reached 合同签订.
    ReachedContract,
    /// Started in the period and completed since (the conversion funnel's 完成).
    StartedAndCompleted,
    /// Started in the period and cancelled since (the funnel's 取消).
    StartedAndCancelled,
    /// Shipped in the period by the promised date.
    OnTime,
    /// Shipped in the period after the promised date.
    Late,
    /// Sent back to an earlier stage in the period (each order once, however often).
    Reworked,
}

/// The filtered orders `figure` counts, in the order given.
pub fn orders_behind(
    orders: &[Order],
    period: Period,
    filter: &Filter,
    pipeline: &Pipeline,
    figure: Figure,
) -> Vec<Uuid> {
    let counts = |order: &Order| match figure {
        Figure::Started => period.contains(started_at(order)),
        Figure::Completed => completed_at(order).is_some_and(|at| period.contains(at)),
        Figure::Cancelled => cancelled_at(order).is_some_and(|at| period.contains(at)),
        Figure::ReachedContract => period.contains(started_at(order)) && reached_contract(order),
        Figure::StartedAndCompleted => {
            period.contains(started_at(order)) && order.status == OrderStatus::Completed
        }
        Figure::StartedAndCancelled => {
            period.contains(started_at(order))
                && matches!(order.status, OrderStatus::Cancelled { .. })
        }
        Figure::OnTime => delivery_outcome(order, period) == Some(Promise::Kept),
        Figure::Late => delivery_outcome(order, period) == Some(Promise::Broken),
        Figure::Reworked => backward_moves(order, period, pipeline) > 0,
    };
    orders
        .iter()
        .filter(|order| filter.matches(order) && counts(order))
        .map(|order| order.id)
        .collect()
}
