//! `pivotsim sensitivity` and the merge of its shards: choose the inputs, build and check
//! every variant before simulating any, evaluate them on common futures, write the outputs.

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::estimate::Statistic;
use crate::analysis::evaluate::{Evaluation, Measure, evaluate};
use crate::analysis::sensitivity::{DEFAULT_INPUTS, Input, shard_futures};
use crate::cli::args::{
    MergeArgs, OutputFormat, SensitivityArgs, SensitivityMethod, metric_by_name,
};
use crate::cli::output_dir::OutputDir;
use crate::cli::run::{self, Prepared, Request};
use crate::cli::{Failure, interrupt};
use crate::montecarlo;
use crate::report::console::CommandOutput;
use crate::report::sensitivity::{self as report, Method, Results, SensitivityOutput, Study};
use crate::scenario::names::shown;
use crate::scenario::overrides::{self, EVERY_ITEM, Override};
use crate::scenario::{self, MAX_SENSITIVITY_INPUTS};
use crate::stats::sobol::SaltelliDesign;

/// Most inputs of a Sobol design: beyond about 20 the design's cost, `samples × (k + 2)`
/// variants, outgrows what its indices can resolve at a useful number of samples.
pub const MAX_SOBOL_INPUTS: usize = 20;
/// Most variants one sensitivity run simulates (each is a compiled scenario held in memory).
pub const MAX_VARIANTS: usize = 8_192;

pub(crate) fn sensitivity(args: &SensitivityArgs) -> Result<(), Failure> {
    interrupt::install();
    if let Some(n) = args.jobs
        && !(1..=montecarlo::MAX_THREADS).contains(&n)
    {
        return Err(Failure::Invalid(format!(
            "--jobs {n}: expected 1 to {} threads",
            montecarlo::MAX_THREADS
        )));
    }
    let measure = Measure::by_name(args.metric.trim(), metric_by_name).ok_or_else(|| {
        let names: Vec<&str> = crate::model::Metric::ALL.iter().map(|m| m.key()).collect();
        Failure::Invalid(format!(
            "--metric {}: unknown measure; expected p_default, a metric or delta_<metric> with a metric among: {}",
            shown(&args.metric),
            names.join(", ")
        ))
    })?;
    let statistic = Statistic::by_name(args.stat.trim())
        .filter(|s| *s != Statistic::Probability)
        .ok_or_else(|| {
            Failure::Invalid(format!(
                "--stat {}: unknown statistic; expected mean, median, pNN (e.g. p05) or cvarNN (e.g. cvar05)",
                shown(&args.stat)
            ))
        })?;
    let base = run::prepare(&request(args, &args.set, args.seed, args.quiet))?;
    let document = scenario::load_with(args.scenario.as_deref(), &args.set)?.document;
    let (inputs, skipped) = choose_inputs(args, &document.value, &base)?;
    let method = match args.method {
        SensitivityMethod::Tornado => Method::Tornado,
        SensitivityMethod::Sobol => Method::Sobol {
            samples: args.samples,
        },
    };
    check_request(method, &inputs)?;
    let study = Study {
        method,
        scenario: base.scenario.name.clone(),
        fingerprint: base.scenario.fingerprint(),
        seed: base.seed,
        runs: base.scenario.runs,
        plans: base.model.plans.iter().map(|p| p.name.clone()).collect(),
        baseline: base.baseline,
        // `p_default` keeps its name (it reads `defaulted`, shown as a probability).
        measure: if args.metric.trim() == "p_default" {
            "p_default".to_owned()
        } else {
            measure.key()
        },
        statistic: statistic.key(),
        inputs,
        rates: (
            base.model.equity_discount_rate,
            base.model.project_discount_rate,
        ),
        skipped,
    };
    // Every variant is built and checked before any is simulated: a value out of range fails
    // here, with exit 2 and nothing written.
    let mut prepared: Vec<Prepared> = Vec::with_capacity(study.variants());
    for (what, overrides) in variant_overrides(&study) {
        if overrides.is_empty() {
            continue;
        }
        let mut set = args.set.clone();
        set.extend(overrides);
        let variant =
            run::prepare(&request(args, &set, Some(base.seed), true)).map_err(|e| match e {
                Failure::Invalid(m) => Failure::Invalid(format!("{what}: {m}")),
                other => other,
            })?;
        prepared.push(variant);
    }
    let mut models = Vec::with_capacity(study.variants());
    if study.method == Method::Tornado {
        models.push(&base.model);
    }
    models.extend(prepared.iter().map(|p| &p.model));
    let futures = match args.shard {
        Some(s) => shard_futures(study.runs, s.index, s.count),
        None => 0..study.runs,
    };
    let out = OutputDir::create(&args.out)?;
    let bar = run::progress_bar(
        models.len() as u64 * (futures.end - futures.start),
        args.quiet,
    );
    let started = Instant::now();
    let measures = [measure];
    let evaluation = Evaluation {
        seed: study.seed,
        futures: futures.clone(),
        baseline: study.baseline,
        measures: &measures,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .map_err(|e| {
            Failure::Runtime(anyhow::Error::new(e).context("cannot start worker threads"))
        })?;
    let values = pool.install(|| {
        evaluate(&models, &evaluation, Some(interrupt::flag()), |done| {
            bar.set_position(done)
        })
    });
    bar.finish_and_clear();
    let values = match values {
        Some(v) if !interrupt::raised() => v,
        _ => return Err(Failure::Interrupted),
    };
    run::note(
        args.quiet,
        &format!(
            "{} variants × {} futures in {:.1} s",
            models.len(),
            futures.end - futures.start,
            started.elapsed().as_secs_f64()
        ),
    );
    if let Some(shard) = args.shard {
        report::write_shard(
            out.path(),
            &study,
            (shard.index, shard.count),
            futures.clone(),
            &values,
        )
        .map_err(|e| Failure::Runtime(e.into()))?;
        if interrupt::raised() {
            return Err(Failure::Interrupted);
        }
        out.keep();
        run::note(
            args.quiet,
            &format!(
                "shard {}/{}: futures {}..{} of {}; wrote {} in {} (combine the shards with `pivotsim merge`)",
                shard.index,
                shard.count,
                futures.start,
                futures.end,
                study.runs,
                report::SHARD_MANIFEST,
                args.out.display()
            ),
        );
        return Ok(());
    }
    finish(&study, &values, out, &args.out, args.no_plots, args.format)
}

/// What `prepare` is asked for the base (the user's `--set`) or a variant (with its
/// overrides after them, and the base's seed).
fn request<'a>(
    args: &'a SensitivityArgs,
    set: &'a [Override],
    seed: Option<u64>,
    quiet: bool,
) -> Request<'a> {
    Request {
        path: args.scenario.as_deref(),
        set,
        runs: args.runs,
        seed,
        stresses: &[],
        quiet,
        shard: args.shard.is_some(),
        baseline: args.baseline.as_deref(),
    }
}

/// Whether `merge` was given sensitivity shards (any folder holding a sensitivity manifest).
pub(crate) fn are_shards(dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| report::is_shard(d))
}

/// `pivotsim merge` of sensitivity shards: the outputs of the unsharded command.
pub(crate) fn merge(args: &MergeArgs) -> Result<(), Failure> {
    interrupt::install();
    let (study, values) =
        report::read_shards(&args.shards).map_err(|e| Failure::Invalid(e.to_string()))?;
    if let Ok(out_real) = std::fs::canonicalize(&args.out)
        && args
            .shards
            .iter()
            .any(|s| std::fs::canonicalize(s).is_ok_and(|s| s == out_real))
    {
        return Err(Failure::Invalid(format!(
            "--out {} is one of the shard folders being merged; expected an output folder apart from every shard",
            args.out.display()
        )));
    }
    let out = OutputDir::create(&args.out)?;
    run::note(
        args.quiet,
        &format!("merged {} sensitivity shard(s)", args.shards.len()),
    );
    finish(&study, &values, out, &args.out, args.no_plots, args.format)
}

/// Computes the results and writes `sensitivity.csv`, the charts and the report.
fn finish(
    study: &Study,
    values: &[crate::analysis::evaluate::VariantValues],
    out: OutputDir,
    shown_out: &std::path::Path,
    no_plots: bool,
    format: OutputFormat,
) -> Result<(), Failure> {
    let results: Results = report::results(study, values);
    report::write_csv(&out.path().join(report::CSV), study, &results)
        .map_err(|e| Failure::Runtime(e.into()))?;
    let plots = if no_plots {
        Vec::new()
    } else {
        report::write_plots(out.path(), study, &results).map_err(|e| Failure::Runtime(e.into()))?
    };
    if interrupt::raised() {
        return Err(Failure::Interrupted);
    }
    out.keep();
    let output = SensitivityOutput {
        study,
        results: &results,
        out: shown_out,
        plots: plots.len(),
    };
    run::print_stdout(&output.render(format.into()))
}

/// The inputs: `--param`, else the scenario's `sensitivity:` list, else the shipped list
/// (each entry the scenario does not write is left out, with a note).
fn choose_inputs(
    args: &SensitivityArgs,
    document: &serde_json::Value,
    base: &Prepared,
) -> Result<(Vec<Input>, Vec<String>), Failure> {
    let expand = |given: &str, pattern: &str| -> Result<Vec<String>, Failure> {
        overrides::expand(document, pattern)
            .map_err(|e| Failure::Invalid(format!("{given}: {}", e.message)))
    };
    if !args.param.is_empty() {
        let mut inputs = Vec::new();
        for p in &args.param {
            let given = format!("--param {}", shown(&p.path));
            let mut paths = expand(&given, &p.path)?;
            if paths.is_empty() {
                if p.path.contains(EVERY_ITEM) {
                    return Err(Failure::Invalid(format!(
                        "{given}: the pattern matches no value of this scenario; expected a path like plans[*].actions[*].capex_usd_per_mw"
                    )));
                }
                // Not written in the file: setting it is checked like `--set` (a field the
                // scenario may hold is added, an unknown one refused) when the variants are built.
                paths.push(p.path.clone());
            }
            inputs.push(Input {
                label: p.path.clone(),
                whole: whole(document, &paths, &p.low, &p.high),
                paths,
                low: p.low.clone(),
                high: p.high.clone(),
            });
        }
        return Ok((inputs, Vec::new()));
    }
    if !base.scenario.sensitivity.is_empty() {
        let mut inputs = Vec::new();
        for entry in &base.scenario.sensitivity {
            let paths = expand("sensitivity", &entry.path)?;
            // A range in whole numbers over a whole-number field (months) stays whole.
            let number = |x: f64| {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    serde_json::Value::from(x as i64)
                } else {
                    serde_json::Value::from(x)
                }
            };
            let (low, high) = (number(entry.low), number(entry.high));
            inputs.push(Input {
                label: entry.label.clone().unwrap_or_else(|| entry.path.clone()),
                whole: whole(document, &paths, &low, &high),
                paths,
                low,
                high,
            });
        }
        return Ok((inputs, Vec::new()));
    }
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for d in &DEFAULT_INPUTS {
        let mut paths = Vec::new();
        for pattern in d.patterns {
            paths.extend(expand("the shipped input list", pattern)?);
        }
        if paths.is_empty() {
            skipped.push(format!(
                "{} left out: the scenario writes no {}",
                d.label,
                d.patterns.join(" or ")
            ));
        } else {
            inputs.push(d.input(paths));
        }
    }
    Ok((inputs, skipped))
}

/// Whether a Sobol design samples this input in whole numbers: its range is written in whole
/// numbers and the scenario writes its first field as one (`lead_time_months: 12`), so that
/// `share_of_capex=0,1` still samples fractions.
fn whole(
    document: &serde_json::Value,
    paths: &[String],
    low: &serde_json::Value,
    high: &serde_json::Value,
) -> bool {
    let integer = |v: &serde_json::Value| v.is_i64() || v.is_u64();
    integer(low)
        && integer(high)
        && paths
            .first()
            .and_then(|p| overrides::value_at(document, p))
            .is_some_and(integer)
}

/// Refuses an analysis that cannot be run, before anything is built.
fn check_request(method: Method, inputs: &[Input]) -> Result<(), Failure> {
    if inputs.is_empty() {
        return Err(Failure::Invalid(
            "no inputs to vary: the scenario writes none of the shipped list's values; give --param PATH=LOW,HIGH or a `sensitivity:` list".into(),
        ));
    }
    let limit = match method {
        Method::Tornado => MAX_SENSITIVITY_INPUTS,
        Method::Sobol { .. } => MAX_SOBOL_INPUTS,
    };
    if inputs.len() > limit {
        return Err(Failure::Invalid(format!(
            "{} inputs; expected at most {limit} for this method",
            inputs.len()
        )));
    }
    for input in inputs {
        let label = shown(&input.label);
        match input.numeric_range() {
            Some((low, high)) if low >= high => {
                return Err(Failure::Invalid(format!(
                    "{label}: low {low} is not below high {high}; expected LOW < HIGH"
                )));
            }
            None if input.low == input.high => {
                return Err(Failure::Invalid(format!(
                    "{label}: low and high are the same value; expected two different values"
                )));
            }
            None if matches!(method, Method::Sobol { .. }) => {
                return Err(Failure::Invalid(format!(
                    "{label}: low {} and high {} are not both numbers; a Sobol design samples between them, so expected numbers",
                    input.low, input.high
                )));
            }
            _ => {}
        }
    }
    if let Method::Sobol { samples } = method {
        SaltelliDesign::new(samples, inputs.len(), 0)
            .map_err(|e| Failure::Invalid(format!("--samples: {e}")))?;
        let variants = samples * (inputs.len() + 2);
        if variants > MAX_VARIANTS {
            return Err(Failure::Invalid(format!(
                "--samples {samples} with {} inputs makes {variants} variants; the limit is {MAX_VARIANTS}: expected fewer samples or inputs",
                inputs.len()
            )));
        }
    }
    Ok(())
}

/// Every variant's description and overrides, in the study's variant order: for a tornado
/// the base (no overrides) then each input's low and high; for Sobol each design point.
fn variant_overrides(study: &Study) -> Vec<(String, Vec<Override>)> {
    let set = |input: &Input, value: &serde_json::Value, what: &str| -> Vec<Override> {
        input
            .paths
            .iter()
            .map(|path| Override {
                path: path.clone(),
                value: value.clone(),
                given_as: format!("{} {what} ({value})", input.label),
            })
            .collect()
    };
    match study.design() {
        None => {
            let mut variants = vec![("the base scenario".to_owned(), Vec::new())];
            for input in &study.inputs {
                for (what, value) in [("low", &input.low), ("high", &input.high)] {
                    variants.push((
                        format!(
                            "input `{}` at its {what} value {value}",
                            shown(&input.label)
                        ),
                        set(input, value, what),
                    ));
                }
            }
            variants
        }
        Some(design) => (0..design.points())
            .map(|p| {
                let u = design.point(p);
                let overrides = study
                    .inputs
                    .iter()
                    .zip(&u)
                    .flat_map(|(input, &u)| {
                        let value = input.at(u).unwrap_or(serde_json::Value::Null);
                        set(input, &value, "sampled")
                    })
                    .collect();
                (format!("Sobol design point {p}"), overrides)
            })
            .collect(),
    }
}
