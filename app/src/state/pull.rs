//! Pull-to-refresh as plain data: a pull that starts at the top of the page and travels far
//! enough down asks for a sync when released (the board and 今天; 立即同步 in the top bar does the
//! same with a tap).

/// How far (CSS px) a finger must pull before letting go syncs.
pub const PULL_THRESHOLD: f64 = 64.0;
/// The indicator stops growing here, so a long pull does not push the page away.
const MAX_SHOWN: f64 = 96.0;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PullGesture {
    /// Where the finger went down, when the page was scrolled to the top.
    start: Option<f64>,
    distance: f64,
}

impl PullGesture {
    /// A finger went down at `y`; only a pull from the very top of the page counts.
    pub fn start(&mut self, y: f64, scrolled_to_top: bool) {
        *self = PullGesture {
            start: scrolled_to_top.then_some(y),
            distance: 0.0,
        };
    }

    pub fn move_to(&mut self, y: f64) {
        if let Some(start) = self.start {
            self.distance = (y - start).max(0.0);
        }
    }

    /// The finger lifted: true when the pull was far enough to sync. Resets.
    pub fn release(&mut self) -> bool {
        let sync = self.ready();
        *self = PullGesture::default();
        sync
    }

    /// Far enough that letting go syncs (the indicator says so).
    pub fn ready(&self) -> bool {
        self.start.is_some() && self.distance >= PULL_THRESHOLD
    }

    /// How tall the indicator is now.
    pub fn shown(&self) -> f64 {
        self.distance.min(MAX_SHOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_long_enough_pull_from_the_top_syncs_once() {
        let mut pull = PullGesture::default();
        pull.start(100.0, true);
        pull.move_to(150.0);
        assert!(!pull.ready());
        pull.move_to(100.0 + PULL_THRESHOLD);
        assert!(pull.ready());
        pull.move_to(400.0);
        assert_eq!(pull.shown(), MAX_SHOWN);
        assert!(pull.release());
        assert!(!pull.release(), "one sync per pull");
    }

    #[wasm_bindgen_test]
    fn a_pull_in_the_middle_of_the_page_or_a_short_one_does_nothing() {
        let mut pull = PullGesture::default();
        pull.start(100.0, false);
        pull.move_to(400.0);
        assert!(!pull.release());
        pull.start(100.0, true);
        pull.move_to(130.0);
        assert!(!pull.release());
        pull.start(300.0, true);
        pull.move_to(100.0);
        assert_eq!(pull.shown(), 0.0, "pushing up is scrolling, not pulling");
    }
}
