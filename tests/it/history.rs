//! Replay of a real market path (`market.bitcoin.history`, `market.energy.history`): over the
//! history's span the world follows the file in every future, then continues stochastically
//! from its last state. Expected values are worked out from the protocol formula by hand.

use pivotsim::engine::SimTime;
use pivotsim::model::world::bitcoin_protocol::ChainEvent;
use pivotsim::model::{CompiledScenario, World};
use pivotsim::scenario::{self, BitcoinHistoryRow, EnergyHistoryRow, Scenario};

/// Seconds in a day.
const DAY: u64 = 86_400;

fn row(date: &str, price_usd: f64, difficulty: f64, fees: f64) -> BitcoinHistoryRow {
    BitcoinHistoryRow {
        date: date.into(),
        price_usd,
        difficulty,
        fees_btc_per_block: fees,
    }
}

/// The default scenario (from 2026-03-01, height 941,472, a retarget boundary) over one year,
/// one plan, no shocks, with a sparse history: a row before the start (in force on day 0),
/// one on 2026-03-10 (day 9) and its last on 2026-04-15 (day 45).
fn with_history() -> Scenario {
    let mut s = scenario::load_default().unwrap().scenario;
    s.horizon_years = 1;
    s.plans.truncate(1);
    s.shocks.clear();
    s.market.bitcoin.history_rows = vec![
        row("2026-02-20", 90_000.0, 1.4e14, 0.05),
        row("2026-03-10", 60_000.0, 1.2e14, 0.5),
        row("2026-04-15", 70_000.0, 1.3e14, 0.1),
    ];
    s
}

fn world(s: &Scenario, replication: u64) -> World {
    let m = CompiledScenario::new(s).unwrap();
    let mut world = World::default();
    world.generate(&m, 7, replication);
    world
}

/// The segment that starts at midnight of `day`.
fn segment_at_midnight(w: &World, day: u64) -> &pivotsim::model::world::MarketSegment {
    let t = SimTime::from_secs(day * DAY);
    w.segments.iter().find(|s| s.start == t).unwrap()
}

/// The protocol's hashprice, USD per PH/s per day, written out here rather than called:
/// (subsidy + fees) × price × 10^15 H/PH × 86,400 s / (difficulty × 2^32).
fn formula(subsidy: f64, row: &BitcoinHistoryRow) -> f64 {
    (subsidy + row.fees_btc_per_block) * row.price_usd * 1e15 * 86_400.0
        / (row.difficulty * 4_294_967_296.0)
}

#[test]
fn a_replayed_path_gives_the_hashprice_of_the_formula_day_by_day() {
    let s = with_history();
    let rows = s.market.bitcoin.history_rows.clone();
    for replication in 0..4 {
        let w = world(&s, replication);
        for day in 0..=45 {
            // Sparse rows are held until the next: days 0-8 take the row of 2026-02-20, days
            // 9-44 that of 2026-03-10, day 45 the last. No halving falls in the span (941,472
            // + 46 × 144 blocks is far below 1,050,000), so the subsidy is 3.125 BTC.
            let r = &rows[if day < 9 {
                0
            } else if day < 45 {
                1
            } else {
                2
            }];
            let hp = segment_at_midnight(&w, day).hashprice;
            let expected = formula(3.125, r);
            assert!(
                (hp / expected - 1.0).abs() < 1e-12,
                "day {day}: {hp} vs {expected}"
            );
            assert_eq!(w.network.difficulty[day as usize], r.difficulty);
            // The hashrate implied by the difficulty: D · 2^32 / 600 s, in EH/s.
            let implied = r.difficulty * 4_294_967_296.0 / 600.0 / 1e18;
            assert!((w.network.hashrate_eh_s[day as usize] / implied - 1.0).abs() < 1e-12);
        }
        // Worked by hand: (3.125 + 0.05) × 90,000 × 8.64e19 / (1.4e14 × 2^32) = $41.0593514;
        // (3.125 + 0.5) × 60,000 × 8.64e19 / (1.2e14 × 2^32) = $36.4612788. The difficulty
        // 1.4e14 implies 1.4e14 × 2^32 / 600 = 1,002.159 EH/s.
        assert!((segment_at_midnight(&w, 8).hashprice - 41.059_351_393_15).abs() < 1e-9);
        assert!((segment_at_midnight(&w, 9).hashprice - 36.461_278_796_20).abs() < 1e-9);
        assert!((w.network.hashrate_eh_s[0] - 1_002.159_035_733).abs() < 1e-6);
    }
}

#[test]
fn after_the_history_the_market_continues_from_its_last_state() {
    // With no price volatility, drift or jumps, the price after the history stays at the last
    // row's $70,000 to the horizon: it continues from the last price, not the scenario's.
    let mut s = with_history();
    let b = &mut s.market.bitcoin;
    b.volatility = 0.0;
    b.drift_per_year = 0.0;
    b.jumps.rate_per_year = 0.0;
    for replication in 0..3 {
        let w = world(&s, replication);
        let after: Vec<_> = w
            .segments
            .iter()
            .filter(|seg| seg.start >= SimTime::from_secs(46 * DAY))
            .collect();
        assert!(after.len() > 300);
        assert!(after.iter().all(|seg| seg.btc_price_usd == 70_000.0));
        // Blocks came at 144 a day through the history: 46 days = 6,624 blocks from the
        // window boundary 941,472, so 576 blocks into the fourth window at its end and 1,440
        // blocks (about 10 days) from the next retarget. The difficulty on day 46 is still
        // the last row's, and the first retarget after the history is the one at
        // 941,472 + 4 × 2,016 = 949,536, starting from that difficulty: the height continued
        // from where the history left it.
        assert_eq!(w.network.difficulty[46], 1.3e14);
        let first_retarget = w.chain_events.iter().find_map(|(t, e)| match *e {
            ChainEvent::Retarget { height, from, .. } => Some((*t, height, from)),
            ChainEvent::Halving { .. } => None,
        });
        let (t, height, from) = first_retarget.unwrap();
        assert_eq!((height, from), (949_536, 1.3e14));
        assert!(t > SimTime::from_secs(46 * DAY), "{t:?}");
        // The vintage network was scaled to the implied 1.3e14 × 2^32 / 600 = 930.58 EH/s at
        // the history's end; one day's step moves it by its daily noise (σ 0.15 × √(1/365.25)
        // ≈ 0.8%) and switching, so it starts within 5% of it (about 6 σ).
        let implied = 1.3e14 * 4_294_967_296.0 / 600.0 / 1e18;
        let h = w.network.hashrate_eh_s[46];
        assert!((h / implied - 1.0).abs() < 0.05, "{h} vs {implied}");
    }
}

#[test]
fn every_future_shares_the_history_span_exactly_halving_included() {
    // 1,000 blocks before the halving, with a history of 20 days: at 144 blocks a day the
    // halving falls at 1,000 × 600 s = 600,000 s (day 6.94) in every future, through the
    // retarget at 1,049,664 (which the history's difficulty overrides, so it is not
    // reported). Every future's segments over the span are the same, bit for bit.
    let mut s = with_history();
    s.market.bitcoin.height = 1_049_000;
    s.market.bitcoin.epoch_blocks_mined = None;
    s.market.bitcoin.history_rows = vec![
        row("2026-03-01", 90_000.0, 1.4e14, 0.05),
        row("2026-03-20", 80_000.0, 1.45e14, 0.05),
    ];
    let span_end = SimTime::from_secs(20 * DAY);
    let span = |w: &World| -> Vec<_> {
        w.segments
            .iter()
            .filter(|seg| seg.start < span_end)
            .map(|seg| {
                (
                    seg.start,
                    seg.hashprice.to_bits(),
                    seg.btc_price_usd.to_bits(),
                )
            })
            .collect()
    };
    let first = world(&s, 0);
    for replication in 1..6 {
        assert_eq!(span(&world(&s, replication)), span(&first));
    }
    let events: Vec<_> = first
        .chain_events
        .iter()
        .filter(|(t, _)| *t < span_end)
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let (t, event) = events[0];
    assert_eq!(
        *event,
        ChainEvent::Halving {
            height: 1_050_000,
            subsidy_btc: 1.5625
        }
    );
    assert!(t.secs().abs_diff(600_000) <= 1, "{t:?}");
    // After the halving the day's hashprice uses the halved subsidy.
    let r = row("2026-03-01", 90_000.0, 1.4e14, 0.05);
    assert!((segment_at_midnight(&first, 7).hashprice / formula(1.5625, &r) - 1.0).abs() < 1e-12);
}

#[test]
fn an_energy_history_replaces_the_hourly_path_then_reverts_from_its_last_price() {
    let mut s = with_history();
    s.market.bitcoin.history_rows.clear();
    let e = &mut s.market.energy;
    e.volatility = 0.0;
    e.spike_rate_per_year = 0.0;
    e.monthly_factors = None;
    e.history_rows = vec![
        EnergyHistoryRow {
            datetime: "2026-03-01T00:00".into(),
            usd_per_mwh: 100.0,
        },
        EnergyHistoryRow {
            datetime: "2026-03-01T05:00".into(),
            usd_per_mwh: 20.0,
        },
    ];
    let w = world(&s, 0);
    // Hours 0-4 hold the first row, hour 5 is the last row's.
    assert_eq!(
        &w.hourly_price[..6],
        &[100.0, 100.0, 100.0, 100.0, 100.0, 20.0]
    );
    // Then the log price reverts from the last price with no noise: X₅ = ln(20 / 40) (the
    // mean is $40 and, with σ = 0, m = ln 40), X₆ = a · X₅ with a = e^(−100 / 8,766), so
    // hour 6 costs 40 · 0.5^a = $20.1578656, and prices climb back toward $40.
    assert!((w.hourly_price[6] - 20.157_865_629_56).abs() < 1e-9);
    assert!(w.hourly_price[6..].windows(2).all(|p| p[1] >= p[0]));
    assert!((w.hourly_price[24 * 60] - 40.0).abs() < 0.01);
}

#[test]
fn the_shipped_backtest_replays_2022_and_halves_on_2024_05_07_in_every_future() {
    // configs/backtest-2022.yaml starts at height 716,500 on 2022-01-01 with the history's
    // first row (BTC $47,000, 24.37 T, 0.095 BTC fees): day 0's hashprice is
    // 6.345 × 47,000 × 8.64e19 / (2.437e13 × 2^32) = $246.17. Blocks come every 600 s through
    // the history, so block 840,000 comes 123,500 × 600 s = 74,100,000 s (857.64 days) later,
    // on 2024-05-07, in every future (docs/validation.md, Backtest from 2022).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/backtest-2022.yaml");
    let s = scenario::load_file(&path).unwrap().scenario;
    assert_eq!(s.market.bitcoin.history_rows.len(), 18);
    for replication in 0..3 {
        let w = world(&s, replication);
        assert!((segment_at_midnight(&w, 0).hashprice - 246.17).abs() < 0.01);
        let halving = w.chain_events.iter().find_map(|(t, e)| match e {
            ChainEvent::Halving { height, .. } => Some((*t, *height)),
            ChainEvent::Retarget { .. } => None,
        });
        let (t, height) = halving.unwrap();
        assert_eq!(height, 840_000);
        assert!(t.secs().abs_diff(74_100_000) <= 1, "{t:?}");
    }
}
