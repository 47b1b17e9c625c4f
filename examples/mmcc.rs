//! Runs an M/M/c/c loss system (λ = 9/h, μ = 1/h, c = 10) for 1,000,000 simulated hours on the
//! engine and prints throughput and the blocking fraction next to Erlang B.
//!
//! `cargo run --release --example mmcc [SEED] [HOURS]`. The model lives in `mmcc/model.rs`,
//! shared with `benches/engine.rs`.

#[path = "mmcc/model.rs"]
mod model;

use std::error::Error;
use std::time::Instant;

use model::{REFERENCE, erlang_b, simulate};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let hours: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);

    let started = Instant::now();
    let out = simulate(seed, hours, REFERENCE)?;
    let wall = started.elapsed().as_secs_f64();

    let blocking = out.blocking();
    let exact = erlang_b(
        REFERENCE.servers,
        REFERENCE.lambda_per_hour / REFERENCE.mu_per_hour,
    );
    println!("seed {seed}, {hours} simulated hours");
    println!("events processed   {}", out.events);
    println!("wall time          {wall:.3} s");
    println!("events/s           {:.2} M", out.events as f64 / wall / 1e6);
    println!(
        "blocking fraction  {blocking:.6} ({} of {} arrivals)",
        out.blocked, out.arrivals
    );
    println!("Erlang B(10, 9)    {exact:.6}");
    println!("|difference|       {:.6}", (blocking - exact).abs());
    Ok(())
}
