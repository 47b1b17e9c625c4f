//! The bitcoin protocol's consensus rules: the retarget and halving schedule, the subsidy, and
//! what a difficulty implies for hashrate and revenue (docs/sources.md §1.1).
//!
//! These are rules, not a stochastic process: the market process ([`super::bitcoin_market`])
//! draws blocks against them. The constants are consensus values and never change.

use pivotsim_engine::SECONDS_PER_DAY;

/// Blocks between difficulty adjustments (declared with the scenario, which validates a
/// starting epoch against it).
pub use pivotsim_scenario::RETARGET_INTERVAL_BLOCKS;
/// Target time for one retarget window, seconds (2016 × 600 s = 14 days).
pub const TARGET_TIMESPAN_SECS: f64 = 1_209_600.0;
/// Target seconds between blocks.
pub const TARGET_BLOCK_SECS: f64 = 600.0;
/// Blocks between subsidy halvings.
pub const HALVING_INTERVAL_BLOCKS: u64 = 210_000;
/// Hashes per unit of difficulty: a block at difficulty D takes D · 2^32 hashes on average.
pub const HASHES_PER_DIFFICULTY: f64 = 4_294_967_296.0;
/// Satoshis per BTC.
const SATS_PER_BTC: f64 = 1e8;
/// Seconds in a day, as a float for the hashprice's per-day scaling.
const DAY_SECS: f64 = SECONDS_PER_DAY as f64;

/// Block subsidy at `height`, BTC: 50 BTC halved (integer satoshi shift, as consensus does)
/// once per 210,000 blocks.
pub fn subsidy_btc(height: u64) -> f64 {
    let halvings = height / HALVING_INTERVAL_BLOCKS;
    if halvings >= 64 {
        return 0.0;
    }
    let sats: u64 = 5_000_000_000u64 >> halvings;
    sats as f64 / SATS_PER_BTC
}

/// Difficulty after a retarget window that took `actual_secs`. The timespan is clamped to
/// [T/4, 4T] as in Bitcoin Core's `CalculateNextWorkRequired`, so one adjustment moves
/// difficulty by at most ×4 or ÷4.
pub fn retarget(difficulty: f64, actual_secs: f64) -> f64 {
    let clamped = actual_secs.clamp(TARGET_TIMESPAN_SECS / 4.0, TARGET_TIMESPAN_SECS * 4.0);
    difficulty * TARGET_TIMESPAN_SECS / clamped
}

/// Network hashrate implied by a difficulty, H/s: D · 2^32 / 600.
pub fn implied_hashrate_h_s(difficulty: f64) -> f64 {
    difficulty * HASHES_PER_DIFFICULTY / TARGET_BLOCK_SECS
}

/// Expected BTC earned per TH/s per second: 10^12 / (D · 2^32) × (subsidy + fees).
pub fn btc_per_th_second(difficulty: f64, subsidy_btc: f64, fees_btc: f64) -> f64 {
    1e12 / (difficulty * HASHES_PER_DIFFICULTY) * (subsidy_btc + fees_btc)
}

/// Hashprice, USD per PH/s per day: (subsidy + fees) × price × 10^15 × 86,400 / (D · 2^32).
pub fn hashprice_usd_per_ph_day(price_usd: f64, difficulty: f64, subsidy: f64, fees: f64) -> f64 {
    btc_per_th_second(difficulty, subsidy, fees) * price_usd * 1_000.0 * DAY_SECS
}

/// Something that happened on chain, for traces and plots.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ChainEvent {
    /// Difficulty changed from `from` to `to` at `height`.
    Retarget {
        /// Height of the first block at the new difficulty.
        height: u64,
        /// Difficulty before.
        from: f64,
        /// Difficulty after.
        to: f64,
    },
    /// The subsidy halved at `height` to `subsidy_btc`.
    Halving {
        /// Height of the first block at the new subsidy.
        height: u64,
        /// New subsidy, BTC.
        subsidy_btc: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidy_halves_exactly_at_1_050_000() {
        // Consensus: subsidy = 50 BTC >> (height / 210,000). Height 1,049,999 is in the 5th era
        // (4 halvings: 3.125 BTC); 1,050,000 = 5 × 210,000 starts the 6th (1.5625 BTC).
        assert_eq!(subsidy_btc(1_049_999), 3.125);
        assert_eq!(subsidy_btc(1_050_000), 1.5625);
        assert_eq!(subsidy_btc(840_000), 3.125);
        assert_eq!(subsidy_btc(0), 50.0);
        assert_eq!(subsidy_btc(33 * 210_000), 0.0);
    }

    #[test]
    fn retarget_is_clamped_to_a_factor_of_four() {
        // Blocks twice as fast as target: the window took T/2, so D doubles.
        assert_eq!(retarget(100.0, TARGET_TIMESPAN_SECS / 2.0), 200.0);
        // Ten times as fast: T/10 is clamped to T/4, so D rises by exactly 4.
        assert_eq!(retarget(100.0, TARGET_TIMESPAN_SECS / 10.0), 400.0);
        // Ten times slower: clamped to 4T, D falls to a quarter.
        assert_eq!(retarget(100.0, TARGET_TIMESPAN_SECS * 10.0), 25.0);
    }

    #[test]
    fn implied_hashrate_matches_reference_section_9() {
        // docs/sources.md §9.2: H = D·2^32/600; 152 T → 1.088 ZH/s; 108.52 T → 777 EH/s.
        assert!((implied_hashrate_h_s(152e12) / 1e21 - 1.088).abs() < 0.001);
        assert!((implied_hashrate_h_s(108.52e12) / 1e18 - 777.0).abs() < 1.0);
    }
}
