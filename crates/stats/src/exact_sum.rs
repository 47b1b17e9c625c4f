//! An exact, order-independent sum of floats, for means that must not depend on how runs were
//! split across threads or shards.
//!
//! Each value is rounded once to a fixed-point integer with a resolution of 2^-32 (about
//! 2.3e-10) and added to an `i128`, so addition is exact and associative: any grouping and any
//! order give the same bits. The range is ±4e28 per value and far beyond any sum of them here.

use serde::{Deserialize, Serialize};

/// Fixed-point scale: 2^32 units per 1.0.
const SCALE: f64 = 4_294_967_296.0;

/// An exact sum and a count of finite values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactSum {
    /// Sum in units of 2^-32, as a decimal string in JSON (i128 does not fit a JSON number).
    #[serde(with = "i128_string")]
    units: i128,
    count: u64,
}

impl ExactSum {
    /// An empty sum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value; NaN and infinities are ignored (the caller counts them if it cares).
    #[inline]
    pub fn push(&mut self, x: f64) {
        if x.is_finite() && x.abs() < 1e28 {
            self.units += (x * SCALE).round() as i128;
            self.count += 1;
        }
    }

    /// Adds another sum: exact, so merge order never matters.
    pub fn merge(&mut self, other: &ExactSum) {
        self.units += other.units;
        self.count += other.count;
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The sum.
    pub fn sum(&self) -> f64 {
        self.units as f64 / SCALE
    }

    /// The mean, or None when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.units as f64 / SCALE / self.count as f64)
    }
}

mod i128_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_in_any_order() {
        // Floats that cancel badly in naive summation: 1e16 + 1 − 1e16 loses the 1 in f64
        // arithmetic, but each value is exact in fixed point, so any order gives exactly 1.
        let xs = [1e16, 1.0, -1e16, 0.25, 0.5];
        let mut forward = ExactSum::new();
        xs.iter().for_each(|x| forward.push(*x));
        let mut backward = ExactSum::new();
        xs.iter().rev().for_each(|x| backward.push(*x));
        assert_eq!(forward, backward);
        assert_eq!(forward.sum(), 1.75);
        assert_eq!(forward.mean(), Some(0.35));
    }

    #[test]
    fn merging_halves_equals_one_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| (i as f64).sin() * 1e9).collect();
        let mut whole = ExactSum::new();
        xs.iter().for_each(|x| whole.push(*x));
        let (mut a, mut b) = (ExactSum::new(), ExactSum::new());
        xs[..400].iter().for_each(|x| a.push(*x));
        xs[400..].iter().for_each(|x| b.push(*x));
        b.merge(&a);
        assert_eq!(whole, b);
        let json = serde_json::to_string(&whole).unwrap();
        assert_eq!(serde_json::from_str::<ExactSum>(&json).unwrap(), whole);
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let mut s = ExactSum::new();
        s.push(f64::NAN);
        s.push(f64::INFINITY);
        s.push(2.0);
        assert_eq!(s.count(), 1);
        assert_eq!(s.mean(), Some(2.0));
    }
}
