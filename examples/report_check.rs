//! The checks `scripts/browser-check.sh` runs on what headless Chromium made of
//! `report.html`: the screenshots show a page (each PNG decodes, has more than one colour
//! and is not almost all background), and the page as the browser built it (`--dump-dom`)
//! shows the very numbers `summary.json` holds.
//!
//! A Rust program rather than shell so that the PNG decoding and the JSON comparison are
//! exact: each headline cell of the report names a JSON pointer into `summary.json`
//! (`data-summary`) and the value it shows (`data-value`, written as `summary.json` writes
//! numbers), and the two must be equal as JSON values.
//!
//! Usage: `cargo run --release --example report_check -- DOM.html summary.json SHOT.png...`
//! (exit 0 when every check passes, 1 with the reasons otherwise).

use std::path::Path;
use std::process::ExitCode;

/// What a screenshot shows: its size, its distinct colours and the share of pixels that are
/// not the most common colour (the page background).
struct Shot {
    width: u32,
    height: u32,
    colours: usize,
    ink_share: f64,
}

fn read_png(path: &Path) -> Result<Shot, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("{}: not a PNG: {e}", path.display()))?;
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|e| format!("{}: cannot decode: {e}", path.display()))?;
    let samples = frame.color_type.samples();
    let mut counts = std::collections::HashMap::new();
    for pixel in pixels[..frame.buffer_size()].chunks_exact(samples) {
        *counts.entry(pixel.to_vec()).or_insert(0u64) += 1;
    }
    let total: u64 = counts.values().sum();
    let background = counts.values().copied().max().unwrap_or(0);
    Ok(Shot {
        width: frame.width,
        height: frame.height,
        colours: counts.len(),
        ink_share: if total == 0 {
            0.0
        } else {
            1.0 - background as f64 / total as f64
        },
    })
}

/// Every `(pointer, value)` pair the report's headline cells carry, in page order.
fn headline_cells(dom: &str) -> Result<Vec<(String, String)>, String> {
    let mut cells = Vec::new();
    for cell in dom.split("data-summary=\"").skip(1) {
        let (pointer, rest) = cell
            .split_once('"')
            .ok_or("an unterminated data-summary attribute")?;
        let value = rest
            .trim_start()
            .strip_prefix("data-value=\"")
            .and_then(|r| r.split_once('"'))
            .map(|(v, _)| v)
            .ok_or_else(|| format!("{pointer}: no data-value after it"))?;
        cells.push((pointer.to_owned(), value.to_owned()));
    }
    Ok(cells)
}

fn check(dom: &Path, summary: &Path, shots: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let dom = match std::fs::read_to_string(dom) {
        Ok(text) => text,
        Err(e) => return vec![format!("{}: {e}", dom.display())],
    };
    let summary: serde_json::Value = match std::fs::read(summary)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => return vec![format!("{}: {e}", summary.display())],
    };
    match headline_cells(&dom) {
        Ok(cells) if cells.is_empty() => {
            problems.push("the page shows no headline number (no data-summary cell)".into())
        }
        Ok(cells) => {
            for (pointer, shown) in &cells {
                let expected = summary.pointer(pointer);
                let shown: Option<serde_json::Value> = serde_json::from_str(shown).ok();
                if shown.as_ref() != expected {
                    problems.push(format!(
                        "{pointer}: the page shows {shown:?}, summary.json holds {expected:?}"
                    ));
                }
            }
            println!(
                "{} headline numbers in the page equal summary.json",
                cells.len()
            );
        }
        Err(e) => problems.push(e),
    }
    for shot in shots {
        match read_png(Path::new(shot)) {
            Ok(s) if s.colours < 2 || s.ink_share < 0.01 => problems.push(format!(
                "{shot}: blank ({} colour(s), {:.2}% not background)",
                s.colours,
                100.0 * s.ink_share
            )),
            Ok(s) => println!(
                "{shot}: {}×{} px, {} colours, {:.1}% not background",
                s.width,
                s.height,
                s.colours,
                100.0 * s.ink_share
            ),
            Err(e) => problems.push(e),
        }
    }
    problems
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: report_check DOM.html summary.json SHOT.png...");
        return ExitCode::from(2);
    }
    let problems = check(Path::new(&args[0]), Path::new(&args[1]), &args[2..]);
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    for p in &problems {
        eprintln!("report check: {p}");
    }
    ExitCode::FAILURE
}
