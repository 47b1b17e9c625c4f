//! Tests of the public chart functions on realistic synthetic data: two plans, NPVs from
//! −$200M to $900M, 121 monthly points from 2026.17 to 2036.17, a "halving" marker.

use std::path::{Path, PathBuf};

use crate::report::plots::{
    Distribution, FanBands, Labels, Marker, PlotError, Series, ValueFormat, cdf, fan_chart,
    histogram, lines, parameter_fan_chart, stacked_area,
};

const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

const LABELS: Labels<'static> = Labels {
    title: "Project NPV by plan",
    x_label: "NPV (USD)",
    y_label: "share of runs (%)",
    caption: "Test site · 1,000 futures · seed 7 · discount rates: equity 12%, project 10%",
};

/// 121 monthly times from 2026.17 to 2036.17.
fn months() -> Vec<f64> {
    (0..121).map(|k| 2026.17 + f64::from(k) / 12.0).collect()
}

/// A bell-shaped NPV histogram centred at `mid` on fine $5M bins between −$200M and $900M.
fn npv(name: &str, mid: f64, spread: f64) -> Distribution {
    let points = (0..=220)
        .map(|k| {
            let v = -200e6 + 5e6 * f64::from(k);
            let z = (v - mid) / spread;
            (v, (10_000.0 * (-0.5 * z * z).exp()).round() as u64 + 1)
        })
        .collect();
    Distribution {
        name: name.to_owned(),
        points,
    }
}

fn fan(name: &str, growth: f64) -> FanBands {
    let x = months();
    let t: Vec<f64> = x.iter().map(|x| x - 2026.17).collect();
    let at = |z: f64| t.iter().map(|t| growth * t + z * 40e6 * t.sqrt()).collect();
    FanBands {
        name: name.to_owned(),
        x_years: x.clone(),
        p5: at(-1.645),
        p25: at(-0.674),
        p50: at(0.0),
        p75: at(0.674),
        p95: at(1.645),
    }
}

fn series(name: &str, scale: f64) -> Series {
    let x = months();
    let y = x
        .iter()
        .map(|x| scale * (1.0 - (-(x - 2026.17) / 4.0).exp()))
        .collect();
    Series {
        name: name.to_owned(),
        x_years: x,
        y,
    }
}

fn halving() -> Vec<Marker> {
    vec![Marker {
        x_years: 2028.3,
        label: "halving".to_owned(),
    }]
}

/// Asserts both files exist, the PNG is a PNG, and the SVG draws its text as glyph outlines
/// and holds every text in `texts`.
fn assert_written(paths: &[PathBuf], stem: &Path, texts: &[&str]) {
    assert_eq!(paths.len(), 2);
    assert_eq!(
        paths[0],
        stem.with_file_name(format!("{}.png", name_of(stem)))
    );
    assert_eq!(
        paths[1],
        stem.with_file_name(format!("{}.svg", name_of(stem)))
    );
    let png = std::fs::read(&paths[0]).unwrap_or_default();
    assert!(png.len() > 1000, "PNG too small: {} bytes", png.len());
    assert_eq!(png[..8], PNG_MAGIC);
    let svg = std::fs::read_to_string(&paths[1]).unwrap_or_default();
    assert!(svg.starts_with("<svg"), "not an SVG");
    // Text is drawn with the embedded font's outlines, named by its accessible label.
    assert!(
        !svg.contains("<text"),
        "SVG text left to the viewer's fonts"
    );
    assert!(svg.contains("<defs>") && svg.contains("<use href=\"#g-"));
    for t in texts {
        assert!(svg.contains(t), "SVG lacks {t:?}");
    }
}

fn name_of(stem: &Path) -> String {
    stem.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn stem(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

#[test]
fn histogram_writes_png_and_svg() {
    let dir = tempdir();
    let s = stem(&dir, "npv.hist");
    let dists = [
        npv("Hold BTC", 250e6, 150e6),
        npv("Pivot to GPU", 400e6, 220e6),
    ];
    let mean = [Marker {
        x_years: 400e6,
        label: "mean $400M".into(),
    }];
    let paths = histogram(&s, &LABELS, ValueFormat::Usd, &dists, &mean);
    let paths = paths.unwrap_or_else(|e| panic!("{e}"));
    // The stem's own dot is kept: npv.hist.png, not npv.png.
    assert_written(
        &paths,
        &s,
        &[
            "Project NPV by plan",
            "Hold BTC",
            "Pivot to GPU",
            "$400M",
            "mean $400M",
            LABELS.caption,
        ],
    );
}

#[test]
fn cdf_writes_png_and_svg() {
    let dir = tempdir();
    let s = stem(&dir, "npv_cdf");
    let dists = [
        npv("Hold BTC", 250e6, 150e6),
        npv("Pivot to GPU", 400e6, 220e6),
    ];
    let labels = Labels {
        title: "NPV CDF",
        x_label: "NPV (USD)",
        y_label: "P(NPV ≤ x)",
        caption: "",
    };
    let paths = cdf(&s, &labels, ValueFormat::Usd, &dists).unwrap_or_else(|e| panic!("{e}"));
    assert_written(
        &paths,
        &s,
        &["NPV CDF", "Hold BTC", "Pivot to GPU", "100%", "50%"],
    );
}

#[test]
fn fan_chart_writes_png_and_svg() {
    let dir = tempdir();
    let s = stem(&dir, "fan");
    let labels = Labels {
        title: "Cumulative cash",
        x_label: "Date",
        y_label: "Cash (USD)",
        caption: "",
    };
    let fans = [fan("Hold BTC", 40e6), fan("Pivot to GPU", 70e6)];
    let paths = fan_chart(&s, &labels, ValueFormat::Usd, &fans, &halving());
    let paths = paths.unwrap_or_else(|e| panic!("{e}"));
    assert_written(
        &paths,
        &s,
        &[
            "Cumulative cash",
            "Hold BTC",
            "Pivot to GPU",
            "median",
            "25–75%",
            "5–95%",
            "halving",
            "aria-label=\"2030\"",
        ],
    );
}

#[test]
fn fan_chart_with_three_plans_uses_panels() {
    let dir = tempdir();
    let s = stem(&dir, "fan3");
    let labels = Labels {
        title: "Cumulative cash",
        x_label: "Date",
        y_label: "Cash (USD)",
        caption: "",
    };
    let fans = [fan("A", 40e6), fan("B", 70e6), fan("C", 55e6)];
    let paths = fan_chart(&s, &labels, ValueFormat::Usd, &fans, &halving());
    let paths = paths.unwrap_or_else(|e| panic!("{e}"));
    assert_written(
        &paths,
        &s,
        &[
            "Cumulative cash",
            "aria-label=\"A\"",
            "aria-label=\"B\"",
            "aria-label=\"C\"",
        ],
    );
}

#[test]
fn lines_write_png_and_svg() {
    let dir = tempdir();
    let s = stem(&dir, "pdefault");
    let labels = Labels {
        title: "Cumulative P(default)",
        x_label: "Date",
        y_label: "P(default) (%)",
        caption: "",
    };
    let series = [series("Hold BTC", 0.08), series("Pivot to GPU", 0.15)];
    let paths = lines(&s, &labels, ValueFormat::Probability, &series, &halving());
    let paths = paths.unwrap_or_else(|e| panic!("{e}"));
    assert_written(
        &paths,
        &s,
        &[
            "Cumulative P(default)",
            "Hold BTC",
            "Pivot to GPU",
            "halving",
            "0%",
        ],
    );
}

#[test]
fn stacked_area_writes_png_and_svg() {
    let dir = tempdir();
    let s = stem(&dir, "mix");
    let labels = Labels {
        title: "Revenue mix",
        x_label: "Date",
        y_label: "Revenue (USD / month)",
        caption: "",
    };
    let layers = [series("Mining", 4e6), series("GPU", 6e6)];
    let paths = stacked_area(&s, &labels, ValueFormat::Usd, &layers, &halving());
    let paths = paths.unwrap_or_else(|e| panic!("{e}"));
    assert_written(
        &paths,
        &s,
        &["Revenue mix", "Mining", "GPU", "$8M", "halving"],
    );
}

#[test]
fn nothing_to_plot_is_a_typed_error() {
    let dir = tempdir();
    let empty = Distribution {
        name: "empty".into(),
        points: vec![],
    };
    let nan = Distribution {
        name: "nan".into(),
        points: vec![(f64::NAN, 3)],
    };
    for dists in [&[][..], &[empty.clone()][..], &[nan, empty][..]] {
        let r = histogram(&stem(&dir, "h"), &LABELS, ValueFormat::Usd, dists, &[]);
        assert!(matches!(r, Err(PlotError::NoData { .. })), "{r:?}");
        let r = cdf(&stem(&dir, "c"), &LABELS, ValueFormat::Usd, dists);
        assert!(matches!(r, Err(PlotError::NoData { .. })), "{r:?}");
    }
    let r = fan_chart(&stem(&dir, "f"), &LABELS, ValueFormat::Usd, &[], &halving());
    assert!(matches!(r, Err(PlotError::NoData { .. })));
    let r = lines(&stem(&dir, "l"), &LABELS, ValueFormat::Plain, &[], &[]);
    assert!(matches!(r, Err(PlotError::NoData { .. })));
    let r = stacked_area(&stem(&dir, "s"), &LABELS, ValueFormat::Usd, &[], &[]);
    assert!(matches!(r, Err(PlotError::NoData { .. })));
    // Nothing was written for the failed calls.
    assert_eq!(
        std::fs::read_dir(dir.path())
            .map(Iterator::count)
            .unwrap_or(99),
        0
    );
}

#[test]
fn one_empty_plan_among_others_is_noted_in_legend() {
    let dir = tempdir();
    let s = stem(&dir, "h");
    let dists = [
        npv("Hold BTC", 250e6, 150e6),
        Distribution {
            name: "Sell".into(),
            points: vec![],
        },
    ];
    let paths =
        histogram(&s, &LABELS, ValueFormat::Usd, &dists, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_written(&paths, &s, &["Hold BTC", "Sell (no data)"]);
}

#[test]
fn single_and_equal_values_plot() {
    let dir = tempdir();
    let one = Distribution {
        name: "one".into(),
        points: vec![(5e6, 10)],
    };
    let same = Distribution {
        name: "same".into(),
        points: vec![(5e6, 3), (5e6, 4)],
    };
    for (i, d) in [one, same].into_iter().enumerate() {
        let s = stem(&dir, &format!("h{i}"));
        let dists = [d];
        let paths =
            histogram(&s, &LABELS, ValueFormat::Usd, &dists, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_written(&paths, &s, &["one", "same"][i..=i]);
        let c = stem(&dir, &format!("c{i}"));
        let paths = cdf(&c, &LABELS, ValueFormat::Usd, &dists).unwrap_or_else(|e| panic!("{e}"));
        assert_written(&paths, &c, &["100%"]);
    }
    // One time point, all-equal values.
    let point = Series {
        name: "p".into(),
        x_years: vec![2030.0],
        y: vec![0.0],
    };
    let s = stem(&dir, "l");
    let paths = lines(
        &s,
        &LABELS,
        ValueFormat::Probability,
        std::slice::from_ref(&point),
        &halving(),
    );
    assert_written(&paths.unwrap_or_else(|e| panic!("{e}")), &s, &["p"]);
    let s = stem(&dir, "a");
    let paths = stacked_area(&s, &LABELS, ValueFormat::Usd, &[point], &[]);
    assert_written(&paths.unwrap_or_else(|e| panic!("{e}")), &s, &["p"]);
    let flat = FanBands {
        name: "flat".into(),
        x_years: vec![2026.0, 2027.0],
        p5: vec![1.0; 2],
        p25: vec![1.0; 2],
        p50: vec![1.0; 2],
        p75: vec![1.0; 2],
        p95: vec![1.0; 2],
    };
    let s = stem(&dir, "f");
    let paths = fan_chart(&s, &LABELS, ValueFormat::Plain, &[flat], &[]);
    assert_written(&paths.unwrap_or_else(|e| panic!("{e}")), &s, &["flat"]);
}

#[test]
fn nan_values_are_skipped() {
    let dir = tempdir();
    let mut d = npv("Hold BTC", 250e6, 150e6);
    d.points.push((f64::NAN, 1000));
    d.points.push((f64::INFINITY, 1000));
    let s = stem(&dir, "h");
    let paths =
        histogram(&s, &LABELS, ValueFormat::Usd, &[d], &[]).unwrap_or_else(|e| panic!("{e}"));
    // The top tick stays in the data's range: no "inf" or "NaN" anywhere.
    assert_written(&paths, &s, &["$800M"]);
    let svg = std::fs::read_to_string(&paths[1]).unwrap_or_default();
    assert!(!svg.contains("NaN") && !svg.contains("inf"));

    let mut f = fan("Hold BTC", 40e6);
    f.p5[10] = f64::NAN;
    f.p50[20] = f64::NAN;
    f.x_years[30] = f64::NAN;
    let mut l = series("Hold BTC", 0.08);
    l.y[5] = f64::NAN;
    let s = stem(&dir, "f");
    assert!(fan_chart(&s, &LABELS, ValueFormat::Usd, &[f], &halving()).is_ok());
    let s = stem(&dir, "l");
    assert!(
        lines(
            &s,
            &LABELS,
            ValueFormat::Probability,
            &[l.clone()],
            &halving()
        )
        .is_ok()
    );
    let s = stem(&dir, "a");
    assert!(stacked_area(&s, &LABELS, ValueFormat::Usd, &[l.clone(), l], &[]).is_ok());
}

#[test]
fn mismatched_lengths_are_rejected() {
    let dir = tempdir();
    let mut l = series("short", 0.1);
    l.y.pop();
    let r = lines(
        &stem(&dir, "l"),
        &LABELS,
        ValueFormat::Probability,
        &[l],
        &[],
    );
    assert!(
        matches!(r, Err(PlotError::InvalidInput { ref name, .. }) if name == "short"),
        "{r:?}"
    );
    let mut f = fan("bad", 1.0);
    f.p75.pop();
    let r = fan_chart(&stem(&dir, "f"), &LABELS, ValueFormat::Usd, &[f], &[]);
    assert!(matches!(r, Err(PlotError::InvalidInput { .. })), "{r:?}");
}

#[test]
fn unwritable_path_is_a_backend_error_naming_the_file() {
    let dir = tempdir();
    let s = dir.path().join("missing-dir").join("h");
    let r = histogram(&s, &LABELS, ValueFormat::Usd, &[npv("a", 0.0, 1e8)], &[]);
    match r {
        Err(PlotError::Backend { path, .. }) => assert_eq!(path, s.with_extension("png")),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[test]
fn sweep_ticks_never_touch_and_every_point_has_a_dot() {
    // Three plans are three narrow panels; seven ticks of "20,000,000"-wide labels in each
    // would run into each other and into the next panel.
    let dir = tempdir();
    let s = stem(&dir, "sweep");
    let x = vec![20e6, 35e6, 50e6, 65e6];
    let fan = |name: &str| FanBands {
        name: name.to_owned(),
        x_years: x.clone(),
        p5: vec![1e6; 4],
        p25: vec![2e6; 4],
        p50: vec![3e6, 3.5e6, 3.2e6, 4e6],
        p75: vec![5e6; 4],
        p95: vec![6e6; 4],
    };
    let fans = [fan("a"), fan("b"), fan("c")];
    let paths = parameter_fan_chart(&s, &LABELS, ValueFormat::Plain, ValueFormat::Usd, &fans)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_written(&paths, &s, &["aria-label=\"40,000,000\""]);
    let svg = std::fs::read_to_string(&paths[1]).unwrap();
    // Ticks every 5,000,000 thinned to every 20,000,000; only the first panel has room for
    // a label at its left edge.
    assert_eq!(svg.matches("aria-label=\"20,000,000\"").count(), 1);
    assert_eq!(svg.matches("aria-label=\"25,000,000\"").count(), 0);
    assert_eq!(svg.matches("aria-label=\"60,000,000\"").count(), 3);
    // A dot (filled, then white-edged) at each of the 4 points of each of the 3 medians.
    assert!(svg.matches("<circle").count() >= 2 * 4 * 3);
}
