//! Stable sorting that compiles once. Every `slice::sort_by`/`sort_by_key` call site with its own
//! element type instantiates the whole stable sort (about 3 KB of wasm each); two dozen of them
//! were ~70 KB of the phone's bundle (issue 17). Here the sort itself runs once, on indices, with
//! the comparison behind `dyn`; per element type only a small permutation loop remains. Same
//! result as `sort_by`: stable, equal elements keep their order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// `items.sort_by(compare)`, through the one shared instantiation.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_indices(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// `items.sort_by_key(key)`: the key is computed per comparison, as `sort_by_key` does.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)))
}

/// `items.sort()`.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp)
}

/// `items.collect::<BTreeMap<_, _>>()` without the stable sort `FromIterator` runs first (one
/// more instantiation of the whole sort per key and value type): inserted one by one, also
/// O(n log n). The same map: a later value for the same key replaces the earlier one.
pub fn collect_map<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (key, value) in items {
        map.insert(key, value);
    }
    map
}

/// `items.collect::<BTreeSet<_>>()` without the sort, as [`collect_map`]. For elements that are
/// equal only when identical (numbers, dates, ids: every use here), the same set.
pub fn collect_set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
}

/// The positions of the elements in sorted order: not generic, so compiled once.
fn sorted_indices(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Puts `items[order[i]]` at position `i`, following each cycle of the permutation with swaps.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            items.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_the_same_maps_and_sets_as_collect() {
        let pairs = [(3, "c"), (1, "a"), (3, "z"), (2, "b"), (1, "y")];
        assert_eq!(
            collect_map(pairs),
            pairs.into_iter().collect::<BTreeMap<_, _>>()
        );
        let numbers = [5u32, 1, 5, 9, 0, 1];
        assert_eq!(
            collect_set(numbers),
            numbers.into_iter().collect::<BTreeSet<_>>()
        );
        assert!(collect_map(Vec::<(u8, u8)>::new()).is_empty());
    }

    #[test]
    fn sorts_like_the_standard_stable_sort_including_ties() {
        // Pairs sorted by their first half only: ties must keep their original order.
        let mut seed = 7u32;
        for len in 0..60 {
            let items: Vec<(u8, u32)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((seed >> 16) as u8 % 5, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            let mut sorted = items.clone();
            sort_by_key(&mut sorted, |item| item.0);
            assert_eq!(sorted, expected, "length {len}");
            let mut reversed = items.clone();
            sort_by(&mut reversed, |a, b| b.0.cmp(&a.0));
            let mut expected_reversed = items;
            expected_reversed.sort_by_key(|b| std::cmp::Reverse(b.0));
            assert_eq!(reversed, expected_reversed, "length {len}");
        }
    }

    #[test]
    fn sorts_owned_values_without_cloning() {
        let mut names = vec!["王芳".to_string(), "李".into(), "Anna".into(), "李".into()];
        sort(&mut names);
        assert_eq!(names, ["Anna", "李", "李", "王芳"]);
    }
}
