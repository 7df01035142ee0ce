//! Our own SVG charts (no chart library: they need a DOM for text or ship a megabyte of JS).
//! Labels and numbers are HTML beside the shapes, so Chinese text wraps and fits at 360 px and
//! screen readers read the same numbers; the shapes are decoration (`aria-hidden`). Geometry is
//! plain functions with tests.

use leptos::prelude::*;

/// A value's length as a percentage of the longest (`max`), at least a sliver when it is not
/// zero so that a small count still shows.
pub fn share_of(value: f64, max: f64) -> f64 {
    if value <= 0.0 || max <= 0.0 {
        0.0
    } else {
        (value / max * 100.0).clamp(2.0, 100.0)
    }
}

/// One row of a bar chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The text shown for the value (with its unit).
    pub text: String,
    /// A reference line on the same scale (a stage's SLA), if any.
    pub marker: Option<f64>,
    /// The bar's colour class: `ok`, `late`, or empty.
    pub tone: &'static str,
}

/// Horizontal bars, one per row; `on_pick` (if given) makes each row a button that picks it.
#[component]
pub fn Bars(
    rows: Vec<Bar>,
    #[prop(optional, into)] picked: Option<Signal<Option<usize>>>,
    #[prop(optional)] on_pick: Option<Callback<usize>>,
    /// What the chart shows, for screen readers (the rows are read as text too).
    summary: String,
) -> impl IntoView {
    let max = rows
        .iter()
        .flat_map(|row| [row.value, row.marker.unwrap_or(0.0)])
        .fold(0.0, f64::max);
    let items = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let width = format!("{:.1}", share_of(row.value, max));
            let marker = row.marker.map(|m| format!("{:.1}", share_of(m, max)));
            let body = view! {
                <span class="bar-label">{row.label}</span>
                <span class="bar-value">{row.text}</span>
                <svg class="bar-shape" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                    <rect class=format!("bar-fill {}", row.tone) x="0" y="1" width=width height="8" rx="1" />
                    {marker.map(|x| view! { <line class="bar-marker" x1=x.clone() x2=x y1="0" y2="10" /> })}
                </svg>
            };
            match on_pick {
                Some(pick) => view! {
                    <li>
                        <button
                            type="button"
                            class="bar-row"
                            aria-pressed=move || {
                                picked.and_then(|p| p.get()).map(|p| (p == index).to_string())
                            }
                            on:click=move |_| pick.run(index)
                        >
                            {body}
                        </button>
                    </li>
                }
                .into_any(),
                None => view! { <li class="bar-row">{body}</li> }.into_any(),
            }
        })
        .collect_view();
    view! {
        <ul class="bars" aria-label=summary>
            {items}
        </ul>
    }
}

/// Columns per period (a week), several series side by side, with the numbers as text under
/// each group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub label: String,
    pub values: Vec<u32>,
}

#[component]
pub fn Columns(
    groups: Vec<Group>,
    /// The series' names, in the order of each group's values (shown as the legend).
    series: Vec<String>,
    summary: String,
) -> impl IntoView {
    let max = groups
        .iter()
        .flat_map(|group| group.values.iter().copied())
        .max()
        .unwrap_or(0) as f64;
    let width = 100.0 / groups.len().max(1) as f64;
    let bar = width / (series.len() as f64 + 1.0);
    let shapes = groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| {
            group.values.iter().enumerate().map(move |(s, value)| {
                let height = share_of(f64::from(*value), max) * 0.9;
                let x = g as f64 * width + (s as f64 + 0.5) * bar;
                view! {
                    <rect
                        class=format!("column s{s}")
                        x=format!("{x:.2}")
                        y=format!("{:.2}", 100.0 - height)
                        width=format!("{:.2}", bar * 0.9)
                        height=format!("{height:.2}")
                    />
                }
            })
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(s, name)| view! { <span class=format!("legend s{s}")>{name.clone()}</span> })
        .collect_view();
    let step = label_step(groups.len());
    let numbers = |group: &Group| {
        group
            .values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" / ")
    };
    // Every group's numbers for screen readers, whatever fits on screen.
    let spoken = groups
        .iter()
        .map(|group| format!("{}: {}", group.label, numbers(group)))
        .collect::<Vec<_>>()
        .join("; ");
    let labels = groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let shown = i % step == 0;
            view! {
                <li>
                    <span class="column-label">{shown.then(|| group.label.clone())}</span>
                    <span class="column-numbers">{(step == 1).then(|| numbers(group))}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="columns" aria-label=format!("{summary}. {spoken}")>
            <svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">{shapes}</svg>
            <ul class="column-labels">{labels}</ul>
            <figcaption class="legend-row">{legend}</figcaption>
        </figure>
    }
}

/// One row of a heat map: who, and a square per column.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatLine {
    pub label: String,
    pub cells: Vec<HeatSquare>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HeatSquare {
    pub count: usize,
    pub overdue: usize,
    /// How dark, 0–100 (`share_of` the busiest square).
    pub shade: f64,
}

/// A table of squares (rows × columns), darker the more a square holds; the numbers are the
/// squares' text, so the table reads as one to a screen reader. Squares holding something are
/// buttons that pick them. Wider than a phone, it scrolls sideways inside itself, the row
/// labels staying in place.
#[component]
pub fn HeatGrid(
    columns: Vec<String>,
    rows: Vec<HeatLine>,
    #[prop(into)] picked: Signal<Option<(usize, usize)>>,
    on_pick: Callback<(usize, usize)>,
    summary: String,
) -> impl IntoView {
    let head = columns
        .into_iter()
        .map(|name| view! { <th scope="col">{name}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            let cells = row
                .cells
                .into_iter()
                .enumerate()
                .map(|(c, square)| {
                    if square.count == 0 {
                        return view! { <td class="heat-empty"></td> }.into_any();
                    }
                    // Five shades from pale to the full brand colour (classes: the page's CSP
                    // allows no inline style); the text turns white on the darker ones.
                    let level = heat_level(square.shade);
                    let tone = format!("heat-cell heat-{level}");
                    let text = if square.overdue > 0 {
                        format!("{}·{}!", square.count, square.overdue)
                    } else {
                        square.count.to_string()
                    };
                    view! {
                        <td>
                            <button
                                type="button"
                                class=tone
                                aria-pressed=move || (picked.get() == Some((r, c))).to_string()
                                on:click=move |_| on_pick.run((r, c))
                            >
                                {text}
                            </button>
                        </td>
                    }
                    .into_any()
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{row.label}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="heat-scroll">
            <table class="heat" aria-label=summary>
                <thead>
                    <tr>
                        <td></td>
                        {head}
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

/// The shade class (1–5) of a square holding something, `shade` being 0–100.
pub fn heat_level(shade: f64) -> u32 {
    ((shade / 20.0).ceil() as u32).clamp(1, 5)
}

/// Under each column group fits a label only every `label_step` groups (about six across a
/// phone); with one per group, the numbers fit too.
pub fn label_step(groups: usize) -> usize {
    groups.div_ceil(6).max(1)
}

#[cfg(test)]
mod tests {
    use super::{heat_level, label_step, share_of};
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn bars_scale_to_the_longest_and_small_values_stay_visible() {
        assert_eq!(share_of(50.0, 100.0), 50.0);
        assert_eq!(share_of(100.0, 100.0), 100.0);
        assert_eq!(share_of(0.0, 100.0), 0.0);
        assert_eq!(share_of(1.0, 1000.0), 2.0, "a sliver, not nothing");
        assert_eq!(share_of(5.0, 0.0), 0.0);
    }

    #[wasm_bindgen_test]
    fn the_busiest_square_is_darkest_and_a_single_order_still_shows() {
        assert_eq!(heat_level(100.0), 5);
        assert_eq!(heat_level(50.0), 3);
        assert_eq!(heat_level(2.0), 1);
        assert_eq!(heat_level(0.0), 1, "a square with orders is never blank");
    }

    #[wasm_bindgen_test]
    fn a_quarter_of_weeks_labels_every_third_week() {
        assert_eq!(label_step(0), 1);
        assert_eq!(label_step(5), 1);
        assert_eq!(label_step(6), 1);
        assert_eq!(label_step(14), 3);
    }
}
