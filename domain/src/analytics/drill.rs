//! The orders behind a number (drill-down): each figure is listed with the same predicate that
//! counted it, so the list a manager opens always has the orders the number counted.

use uuid::Uuid;

use super::{
    backward_moves_of, delivery_outcome_of,
    facts::{facts_of, OrderFacts, Span},
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
    orders_behind_of(&facts_of(orders, pipeline), period, filter, figure)
}

/// `orders_behind` from the orders' facts.
pub fn orders_behind_of(
    facts: &[OrderFacts],
    period: Period,
    filter: &Filter,
    figure: Figure,
) -> Vec<Uuid> {
    let span = Span::of(period);
    let counts = |order: &OrderFacts| match figure {
        Figure::Started => span.holds(order.started),
        Figure::Completed => span.holds_some(order.completed),
        Figure::Cancelled => span.holds_some(order.cancelled),
        Figure::ReachedContract => span.holds(order.started) && order.reached_contract(),
        Figure::StartedAndCompleted => {
            span.holds(order.started) && order.status == OrderStatus::Completed
        }
        Figure::StartedAndCancelled => {
            span.holds(order.started) && matches!(order.status, OrderStatus::Cancelled { .. })
        }
        Figure::OnTime => delivery_outcome_of(order, span) == Some(Promise::Kept),
        Figure::Late => delivery_outcome_of(order, span) == Some(Promise::Broken),
        Figure::Reworked => backward_moves_of(order, span) > 0,
    };
    facts
        .iter()
        .filter(|order| filter.keeps(order) && counts(order))
        .map(|order| order.id)
        .collect()
}
