//! A 512-bit fixed-point accumulator that adds `f64` values exactly.
//!
//! [`Moments`](crate::Moments) keeps `Σx` and `Σx²` here instead of a running mean, so
//! that merging is integer addition: exact, commutative and associative. That is what lets
//! shards, run on different machines and combined in any order, reproduce a single run bit for
//! bit, and it removes the cancellation that makes naive `Σx²` useless for large means: the sums
//! are exact, and the variance is formed from them in exact integer arithmetic.
//!
//! # Representation
//!
//! A two's-complement integer of [`LIMBS`]` × 64` bits counting units of `2^-`[`FRAC_BITS`]. A
//! value is added exactly when `2^-256 ≤ |x|` (bits below `2^-256` are dropped toward zero,
//! the same way every time) and `|x| < 2^`[`MAX_MAGNITUDE_LOG2`] (larger magnitudes are clamped
//! to it); squares are exact for `|x| < 2^100 ≈ 1.27e30`. The sum holds magnitudes up to
//! `2^255` without overflow: room for `2^40` squares at the largest allowed `|x|`.

use serde::{Deserialize, Serialize};

/// Largest magnitude whose square is added exactly, `2^100`.
pub const SQUARE_LIMIT: f64 = 1_267_650_600_228_229_401_496_703_205_376.0;

/// 64-bit limbs in the accumulator (little-endian).
pub const LIMBS: usize = 8;
/// Bits after the binary point.
pub const FRAC_BITS: i32 = 256;
/// Largest magnitude added exactly, as a power of two: `|x| < 2^200` (room for squares of
/// values up to `2^100`).
pub const MAX_MAGNITUDE_LOG2: i32 = 200;

/// Exact sum of `f64` values (see the module docs for its range).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WideSum {
    limbs: [u64; LIMBS],
}

/// `2^k` for `-1022 ≤ k ≤ 1023`, built from its bits (exact).
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

impl WideSum {
    /// Adds `x` exactly (within the documented range). Non-finite values are ignored.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() || x == 0.0 {
            return;
        }
        let limit = pow2(MAX_MAGNITUDE_LOG2);
        let x = x.clamp(-limit, limit);
        let bits = x.to_bits();
        let raw_exponent = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1u64 << 52) - 1);
        // x = ±mantissa · 2^exponent, with mantissa an integer of up to 53 bits.
        let (mantissa, exponent) = if raw_exponent == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), raw_exponent - 1075)
        };
        let position = exponent + FRAC_BITS;
        let (mantissa, position) = if position < 0 {
            let shift = -position;
            if shift >= 64 {
                return;
            }
            (mantissa >> shift, 0)
        } else {
            (mantissa, position)
        };
        let limb = (position / 64) as usize;
        let shifted = u128::from(mantissa) << (position % 64);
        let parts = [shifted as u64, (shifted >> 64) as u64];
        self.add_at(limb, parts, x < 0.0);
    }

    /// Adds `x²` exactly, as the sum of `fl(x·x)` and its rounding error (Dekker's product,
    /// IEEE basic arithmetic only, so identical on every machine).
    #[inline]
    pub fn add_square(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        let x = x.clamp(-SQUARE_LIMIT, SQUARE_LIMIT);
        let product = x * x;
        // Veltkamp split: x = high + low, each with at most 26 significant bits, so each
        // partial product below is exact.
        let c = 134_217_729.0 * x; // 2^27 + 1
        let high = c - (c - x);
        let low = x - high;
        let error = ((high * high - product) + 2.0 * high * low) + low * low;
        self.add(product);
        self.add(error);
    }

    /// Adds another sum (exact).
    pub fn merge(&mut self, other: &WideSum) {
        let mut carry = false;
        for (mine, theirs) in self.limbs.iter_mut().zip(other.limbs) {
            let (s1, c1) = mine.overflowing_add(theirs);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *mine = s2;
            carry = c1 || c2;
        }
    }

    /// Adds (or, when `subtract`, subtracts) the two-limb value `parts` at limb `limb`,
    /// propagating the carry (or borrow) as far as it goes.
    fn add_at(&mut self, limb: usize, parts: [u64; 2], subtract: bool) {
        let step = |a: u64, b: u64| {
            if subtract {
                a.overflowing_sub(b)
            } else {
                a.overflowing_add(b)
            }
        };
        let mut carry = 0u64;
        for (i, slot) in self.limbs.iter_mut().enumerate().skip(limb) {
            let part = parts.get(i - limb).copied().unwrap_or(0);
            if part == 0 && carry == 0 && i > limb + 1 {
                break;
            }
            let (v1, c1) = step(*slot, part);
            let (v2, c2) = step(v1, carry);
            *slot = v2;
            carry = u64::from(c1 || c2);
        }
    }

    fn is_negative(&self) -> bool {
        self.limbs[LIMBS - 1] >> 63 == 1
    }

    /// The magnitude as unsigned limbs, and whether the sum is negative.
    fn magnitude(&self) -> ([u64; LIMBS], bool) {
        if !self.is_negative() {
            return (self.limbs, false);
        }
        let mut out = [0u64; LIMBS];
        let mut carry = true;
        for (o, &l) in out.iter_mut().zip(&self.limbs) {
            let (v, c) = (!l).overflowing_add(u64::from(carry));
            *o = v;
            carry = c;
        }
        (out, true)
    }

    /// The sum as the nearest `f64` (to within one rounding of its top 128 bits).
    pub fn to_f64(&self) -> f64 {
        let (magnitude, negative) = self.magnitude();
        let value = unsigned_to_f64(&magnitude, FRAC_BITS);
        if negative { -value } else { value }
    }

    /// `Σ(x − x̄)² = Σx² − (Σx)²/n` from the exact sums `self = Σx` and `squares = Σx²`,
    /// formed in exact integer arithmetic: `(n·Σx²·2^256 − (Σx)²)/n` in units of `2^-512`.
    /// Never negative.
    pub fn sum_squared_deviations(&self, squares: &WideSum, n: u64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let (sum, _) = self.magnitude();
        let (sq, sq_negative) = squares.magnitude();
        if sq_negative {
            return 0.0;
        }
        // (Σx)² in units of 2^-512.
        let sum_squared = mul(&sum, &sum);
        // n·Σx² in units of 2^-256, shifted up by 256 bits (4 limbs) to units of 2^-512.
        let mut scaled = [0u64; 2 * LIMBS + 1];
        let n_times = mul(&sq, &[n]);
        scaled[4..4 + n_times.len().min(2 * LIMBS + 1 - 4)]
            .copy_from_slice(&n_times[..n_times.len().min(2 * LIMBS + 1 - 4)]);
        let Some(difference) = sub(&scaled, &sum_squared) else {
            return 0.0;
        };
        unsigned_to_f64(&difference, 2 * FRAC_BITS) / n as f64
    }
}

/// Product of two unsigned little-endian limb arrays, `2·LIMBS + 1` limbs long.
fn mul(a: &[u64], b: &[u64]) -> [u64; 2 * LIMBS + 1] {
    let mut out = [0u64; 2 * LIMBS + 1];
    for (i, &x) in a.iter().enumerate() {
        if x == 0 {
            continue;
        }
        let mut carry: u128 = 0;
        for (j, &y) in b.iter().enumerate() {
            let k = i + j;
            if k >= out.len() {
                break;
            }
            let t = u128::from(x) * u128::from(y) + u128::from(out[k]) + carry;
            out[k] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + b.len();
        while carry != 0 && k < out.len() {
            let t = u128::from(out[k]) + carry;
            out[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
    out
}

/// `a − b` for unsigned limb arrays of equal length, or None when `b > a`.
fn sub(a: &[u64], b: &[u64]) -> Option<Vec<u64>> {
    let mut out = vec![0u64; a.len()];
    let mut borrow = false;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let (d1, b1) = x.overflowing_sub(y);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        *o = d2;
        borrow = b1 || b2;
    }
    (!borrow).then_some(out)
}

/// An unsigned limb array counting units of `2^-frac_bits`, as an `f64`: its top 128 bits
/// rounded once (Rust's `u128 as f64` rounds to nearest), times a power of two.
fn unsigned_to_f64(limbs: &[u64], frac_bits: i32) -> f64 {
    let Some(top) = limbs.iter().rposition(|&l| l != 0) else {
        return 0.0;
    };
    let (high, low_index) = if top == 0 {
        (u128::from(limbs[0]), 0)
    } else {
        (
            (u128::from(limbs[top]) << 64) | u128::from(limbs[top - 1]),
            top - 1,
        )
    };
    // Scale 2^(64·low_index − frac_bits) in two steps so neither factor leaves the normal range.
    let exponent = 64 * low_index as i32 - frac_bits;
    let half = exponent / 2;
    high as f64 * pow2(half) * pow2(exponent - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_of(values: &[f64]) -> WideSum {
        let mut s = WideSum::default();
        for &x in values {
            s.add(x);
        }
        s
    }

    #[test]
    fn sums_that_floats_get_wrong_are_exact() {
        // 1e16 + 1 − 1e16 is 0 in f64 (1e16 + 1 rounds to 1e16); the exact sum is 1.
        assert_eq!(sum_of(&[1e16, 1.0, -1e16]).to_f64(), 1.0);
        // 0.1 ten times: f64 gives 0.9999999999999999; the exact sum of the ten doubles
        // nearest 0.1 is 1.0000000000000000555…, which rounds to 1.0.
        assert_eq!(sum_of(&[0.1; 10]).to_f64(), 1.0);
        // Mixed signs cancel exactly to zero.
        assert_eq!(sum_of(&[3.5, -1.25, -2.25]).to_f64(), 0.0);
        assert_eq!(sum_of(&[-7.5]).to_f64(), -7.5);
    }

    #[test]
    fn order_and_grouping_never_matter() {
        let values: Vec<f64> = (0..500)
            .map(|i| ((i * 7919) % 1000) as f64 * 1.37e5 - 4.1e7 + 1.0 / (i + 1) as f64)
            .collect();
        let forward = sum_of(&values);
        let mut reversed: Vec<f64> = values.clone();
        reversed.reverse();
        assert_eq!(sum_of(&reversed), forward);
        let mut split = sum_of(&values[..123]);
        split.merge(&sum_of(&values[123..]));
        assert_eq!(split, forward);
    }

    #[test]
    fn squares_are_exact_and_variance_has_no_cancellation() {
        // Values 1e8 + k for k = 1..=100: Σ(x − x̄)² = Σ(k − 50.5)² = n(n²−1)/12 = 83,325
        // exactly, although each x² ≈ 1e16 carries rounding error in f64.
        let mut s = WideSum::default();
        let mut q = WideSum::default();
        for k in 1..=100 {
            let x = 1e8 + f64::from(k);
            s.add(x);
            q.add_square(x);
        }
        assert_eq!(s.sum_squared_deviations(&q, 100), 83_325.0);
        // A constant has exactly zero spread.
        let (mut s, mut q) = (WideSum::default(), WideSum::default());
        for _ in 0..10 {
            s.add(0.1);
            q.add_square(0.1);
        }
        assert_eq!(s.sum_squared_deviations(&q, 10), 0.0);
    }

    #[test]
    fn square_limit_is_two_to_the_hundred() {
        assert_eq!(SQUARE_LIMIT, pow2(100));
    }

    #[test]
    fn json_round_trip() {
        let s = sum_of(&[-1.5e12, 3.25, 1e-30]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<WideSum>(&json).unwrap(), s);
    }
}
