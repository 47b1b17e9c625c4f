//! The command line as clap types: what users can type, with help text.

use crate::scenario::names::shown;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::analysis::optimize::{ConstraintSpec, MeasureSpec, Variable};
use crate::model::Metric;
use crate::montecarlo::{ConvergenceTarget, Shard};
use crate::scenario::overrides::{self, Override};

/// Monte Carlo simulator of bitcoin-mining sites converting capacity to GPU/AI tenants.
///
/// With no command, runs the embedded default scenario (same as `pivotsim run`).
#[derive(Debug, Parser)]
#[command(name = "pivotsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario (the embedded default when none is given) and report the results.
    Run(RunArgs),
    /// Check a scenario file and report its problems, without simulating.
    Validate(ValidateArgs),
    /// Write the annotated default scenario to a new file to edit (never overwrites one).
    Init(InitArgs),
    /// List the shipped example scenarios, or print one.
    Example(ExampleArgs),
    /// Combine shard folders from `run --shard K/N` (or `sensitivity --shard K/N`) into the
    /// outputs of one whole run.
    Merge(MergeArgs),
    /// Run a full Monte Carlo at every point of a grid of parameter values (same seeds).
    Sweep(SweepArgs),
    /// Which assumption decides a plan's value: each input's swing from its low to its high
    /// value (a tornado), or Sobol indices (`--method sobol`), on common futures.
    Sensitivity(SensitivityArgs),
    /// Print the event log of one replication of one plan.
    Trace(TraceArgs),
    /// Find the values of a few inputs that make one plan best under risk limits (common
    /// random numbers, confirmed on fresh futures).
    Optimize(OptimizeArgs),
    /// Print a JSON Schema of the scenario file, for editors.
    Schema,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Options of `pivotsim run`.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    /// Scenario file (YAML). Default: the embedded default scenario (configs/default.yaml).
    pub scenario: Option<PathBuf>,
    /// Replications per plan (overrides the scenario's `runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Root random seed (overrides the scenario's `seed`; drawn and printed when neither is set).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder for summary.json and runs.csv.
    #[arg(long, short = 'o', value_name = "DIR", default_value = "pivotsim-out")]
    pub out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// What to print on stdout: a table, or summary.json for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr (no progress, no notes).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Stop early once the 95% CI half-width of METRIC is below HALFWIDTH for every plan,
    /// checked every 1,024 runs (e.g. `npv=5e6`; metric names as in runs.csv, with or without
    /// the unit suffix); `delta:METRIC=HALFWIDTH` or `delta_METRIC=HALFWIDTH` (e.g.
    /// `delta:npv=2e6`) watches every plan's mean difference from the baseline instead, with
    /// its control-variate interval where that applies. `--runs` is then the most that will
    /// be run.
    #[arg(long, value_name = "METRIC=HALFWIDTH", value_parser = parse_target)]
    pub target_ci: Option<ConvergenceTarget>,
    /// With --target-ci: exit with code 3 when `--runs` is reached before the target is met.
    #[arg(long, requires = "target_ci")]
    pub require_target: bool,
    /// Do not draw the PNG and SVG plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Do not write report.html (the self-contained page with the answer, table, plots,
    /// assumptions and definitions).
    #[arg(long)]
    pub no_report: bool,
    /// Also run every plan under the scenario's stress set NAME (its `stresses` list), on the
    /// same futures, as "plan [NAME]". Repeatable.
    #[arg(long, value_name = "NAME")]
    pub stress: Vec<String>,
    /// Change one scenario value before validation, e.g. `market.bitcoin.volatility=0.6` or
    /// `sites[0].grid_mw=150`. Repeatable; applied in order.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Run only part K of N of the replications and write a shard folder (runs.csv and
    /// shard.json) for `pivotsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "target_ci")]
    pub shard: Option<Shard>,
    /// Compare every other plan with PLAN on the same futures (differences, P(better), ties,
    /// incremental returns). Default: the scenario's first plan. A stressed plan is named
    /// "plan [STRESS]".
    #[arg(long, value_name = "PLAN")]
    pub baseline: Option<String>,
    /// Antithetic futures and control variates.
    #[command(flatten)]
    pub variance: VarianceArgs,
}

/// Parses `PATH=VALUE` for `--set` and `--vary`'s paths.
fn parse_override(text: &str) -> Result<Override, String> {
    overrides::parse(text).map_err(|e| e.to_string())
}

/// Parses `K/N` with `1 ≤ K ≤ N`.
fn parse_shard(text: &str) -> Result<Shard, String> {
    let expected = || {
        format!(
            "expected K/N with 1 ≤ K ≤ N (e.g. 3/8), got `{}`",
            shown(text)
        )
    };
    let (k, n) = text.split_once('/').ok_or_else(expected)?;
    let index: u64 = k.trim().parse().map_err(|_| expected())?;
    let count: u64 = n.trim().parse().map_err(|_| expected())?;
    if index == 0 || index > count || count > 1_000_000 {
        return Err(expected());
    }
    Ok(Shard { index, count })
}

/// Parses `PATH=v1,v2,...` for `sweep --vary`.
fn parse_axis(text: &str) -> Result<SweepAxis, String> {
    let (path, values) = text.split_once('=').ok_or_else(|| {
        format!(
            "expected PATH=v1,v2,... (e.g. market.bitcoin.volatility=0.4,0.6), got `{}`",
            shown(text)
        )
    })?;
    let mut points = Vec::new();
    for value in split_top_level(values) {
        let mut o = overrides::parse(&format!("{path}={value}")).map_err(|e| e.to_string())?;
        // Messages about this point's value name the sweep axis, not a `--set`.
        o.given_as = format!("--vary {path}={}", value.trim());
        points.push((value.trim().to_owned(), o));
    }
    if points.is_empty() {
        return Err(format!(
            "`{}`: expected at least one value after `=`",
            shown(text)
        ));
    }
    Ok(SweepAxis {
        path: path.trim().to_owned(),
        points,
    })
}

/// Splits on commas that are not inside brackets, braces or quotes, so a value may be a list
/// or mapping (`a=[1,2],[3,4]`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// One `--vary` axis: a path and its values (as typed, and as overrides).
#[derive(Debug, Clone)]
pub struct SweepAxis {
    /// The scenario path varied.
    pub path: String,
    /// Each value as typed, with its override.
    pub points: Vec<(String, Override)>,
}

/// Options of `pivotsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard folders written by `pivotsim run --shard K/N` or `pivotsim sensitivity --shard
    /// K/N`, in any order.
    #[arg(required = true, value_name = "DIR")]
    pub shards: Vec<PathBuf>,
    /// Output folder for the merged summary.json, runs.csv, timeseries.csv and plots.
    #[arg(long, short = 'o', value_name = "DIR", default_value = "pivotsim-out")]
    pub out: PathBuf,
    /// What to print on stdout: a table, or summary.json for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw the PNG and SVG plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Do not write report.html (the self-contained page with the answer, table, plots,
    /// assumptions and definitions).
    #[arg(long)]
    pub no_report: bool,
}

/// The variance-reduction options `run` and `sweep` share.
#[derive(Debug, Args, Default)]
pub struct VarianceArgs {
    /// Run the futures in antithetic pairs: replications 2k and 2k + 1 take opposite draws in
    /// the BTC price, hashrate and energy paths and in the conversion's luck (construction,
    /// tenant defaults, the AI market), so the means' intervals are
    /// narrower for the same runs (quantiles and probabilities are not helped). The same as
    /// `--set antithetic=true`.
    #[arg(long)]
    pub antithetic: bool,
    /// Keep the plain means of the differences from the baseline. By default the mean
    /// difference in equity and project value (`npv_usd`, `equity_npv_usd`,
    /// `project_npv_usd`) and its interval are adjusted by control variates: a regression on
    /// the draws the two plans' luck rests on (each anchor deal's default clock, each
    /// converted hall's construction delay and overrun), whose distributions are known. The
    /// futures, `runs.csv`, the percentiles and the probabilities are the same either way.
    #[arg(long)]
    pub no_control_variates: bool,
}

/// Options of `pivotsim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// A parameter and its values, e.g. `market.bitcoin.volatility=0.4,0.6,0.8`. Repeatable:
    /// the sweep runs the cartesian product of the axes.
    #[arg(long, required = true, value_name = "PATH=v1,v2,...", value_parser = parse_axis)]
    pub vary: Vec<SweepAxis>,
    /// Replications per plan at each point (overrides the scenario's `runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Root random seed, the same at every point (so points are paired).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder: one subfolder per point, sweep.csv and the sweep plot.
    #[arg(
        long,
        short = 'o',
        value_name = "DIR",
        default_value = "pivotsim-sweep"
    )]
    pub out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// The metric plotted against the first axis (key as in runs.csv, unit suffix optional).
    #[arg(long, value_name = "METRIC", default_value = "npv_usd", value_parser = parse_metric)]
    pub metric: Metric,
    /// Change one scenario value at every point (as `run --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// What to print on stdout: a table of points, or sweep.csv's rows as JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw plots (neither per point nor the sweep plot).
    #[arg(long)]
    pub no_plots: bool,
    /// Do not write a report.html in each point's folder.
    #[arg(long)]
    pub no_report: bool,
    /// Compare every other plan with PLAN at each point (as `run --baseline`).
    #[arg(long, value_name = "PLAN")]
    pub baseline: Option<String>,
    /// Antithetic futures and control variates.
    #[command(flatten)]
    pub variance: VarianceArgs,
    /// Vary the axes together instead of as a grid: point i takes the i-th value of every
    /// `--vary` (all must have the same number of values).
    #[arg(long)]
    pub zip: bool,
}

/// Options of `pivotsim sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (YAML). Default: the embedded default scenario.
    pub scenario: Option<PathBuf>,
    /// An input and its range, e.g. `market.bitcoin.volatility=0.4,0.65`; `[*]` sets every
    /// item of a list (`plans[*].actions[*].capex_usd_per_mw=3e6,15e6`). Repeatable. Default:
    /// the scenario's `sensitivity:` list, else the shipped list of uncertain inputs.
    #[arg(long, value_name = "PATH=LOW,HIGH", value_parser = parse_param)]
    pub param: Vec<SensitivityParam>,
    /// One input at a time (tornado), or variance-based Sobol indices over the inputs' ranges.
    #[arg(long, value_enum, default_value_t = SensitivityMethod::Tornado)]
    pub method: SensitivityMethod,
    /// With `--method sobol`: base rows of the Saltelli design, a power of two; the design
    /// simulates SAMPLES × (inputs + 2) variants.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub samples: usize,
    /// The measure: a runs.csv metric (unit suffix optional), `delta_<metric>` for its
    /// difference from the baseline plan on the same future, or `p_default`.
    #[arg(long, value_name = "METRIC", default_value = "equity_npv_usd")]
    pub metric: String,
    /// The statistic of the measure over futures: `mean`, `median`, `pNN`, `cvarNN`.
    #[arg(long, value_name = "STAT", default_value = "mean")]
    pub stat: String,
    /// Futures per variant (overrides the scenario's `runs`).
    #[arg(long, value_name = "N")]
    pub runs: Option<u64>,
    /// Root random seed: every variant runs on the futures of this seed.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Change one scenario value before the inputs are varied (as `run --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Output folder for sensitivity.csv and the charts.
    #[arg(
        long,
        short = 'o',
        value_name = "DIR",
        default_value = "pivotsim-sensitivity"
    )]
    pub out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// What to print on stdout: a table, or a JSON document for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw the charts.
    #[arg(long)]
    pub no_plots: bool,
    /// The plan `delta_` measures compare with (default: the scenario's first plan).
    #[arg(long, value_name = "PLAN")]
    pub baseline: Option<String>,
    /// Simulate only part K of N of the futures and write a shard folder for `pivotsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
}

/// The analysis `pivotsim sensitivity` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SensitivityMethod {
    /// One input at a time, to its low and its high value.
    Tornado,
    /// First-order and total Sobol indices from a Saltelli design.
    Sobol,
}

/// One `--param PATH=LOW,HIGH`.
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityParam {
    /// The path (or pattern), as typed.
    pub path: String,
    /// The low value, as the scenario reads it.
    pub low: serde_json::Value,
    /// The high value.
    pub high: serde_json::Value,
}

/// Parses `PATH=LOW,HIGH` for `sensitivity --param`.
fn parse_param(text: &str) -> Result<SensitivityParam, String> {
    let expected = || {
        format!(
            "expected PATH=LOW,HIGH (e.g. market.bitcoin.volatility=0.4,0.65), got `{}`",
            shown(text)
        )
    };
    let (path, values) = text.split_once('=').ok_or_else(expected)?;
    let values = split_top_level(values);
    let [low, high] = values.as_slice() else {
        return Err(expected());
    };
    let value = |v: &str| -> Result<serde_json::Value, String> {
        // The wildcard is not a list index `--set` knows; any index stands in while the value
        // is read.
        let probe = path.trim().replace("[*]", "[0]");
        overrides::parse(&format!("{probe}={v}"))
            .map(|o| o.value)
            .map_err(|e| e.to_string())
    };
    Ok(SensitivityParam {
        path: path.trim().to_owned(),
        low: value(low)?,
        high: value(high)?,
    })
}

/// Options of `pivotsim optimize`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("objective").required(true).args(["maximize", "minimize"])))]
pub struct OptimizeArgs {
    /// Scenario file (YAML). Default: the embedded default scenario.
    pub scenario: Option<PathBuf>,
    /// The plan whose inputs are chosen, by name.
    #[arg(long, value_name = "NAME")]
    pub plan: String,
    /// A decision variable: a scenario path and its range, searched on a grid, e.g.
    /// `plans[1].actions[1].date=2027-01-01..2029-01-01` (dates in whole months, or
    /// `/3` for every 3 months), `starting_cash_usd=0..200000000/5000000` (both bounds whole:
    /// an integer), `plans[1].actions[0].debt.share_of_capex=0.50..0.85/0.05`. Without a
    /// step, 20 intervals. `PATH,PATH2=…` sets several paths to one value (a conversion and
    /// its tenant's signing). Repeatable.
    #[arg(long = "var", required = true, value_name = "PATH=MIN..MAX[/STEP]", value_parser = parse_variable)]
    pub vars: Vec<Variable>,
    /// Maximise METRIC:STAT of the plan: a runs.csv metric or `delta_<metric>` (against the
    /// baseline plan on the same future), and mean, median, pNN or cvarNN (default mean).
    #[arg(long, value_name = "METRIC[:STAT]", value_parser = parse_measure_spec)]
    pub maximize: Option<MeasureSpec>,
    /// Minimise METRIC:STAT, or a decision variable itself (`--minimize starting_cash_usd`:
    /// the least equity that meets the constraints).
    #[arg(long, value_name = "METRIC[:STAT]|PATH", value_parser = parse_measure_spec)]
    pub minimize: Option<MeasureSpec>,
    /// A constraint, met when the end of the statistic's 95% interval on the limit's side
    /// clears it, e.g. `p_default<=0.05` (the Wilson upper bound of P(default) at most 5%) or
    /// `min_dscr:p05>=1.2`. Repeatable.
    #[arg(long = "subject-to", value_name = "METRIC[:STAT]<=LIMIT", value_parser = parse_constraint)]
    pub subject_to: Vec<ConstraintSpec>,
    /// Grid points the search may simulate (the confirmation on fresh futures comes on top).
    #[arg(long, value_name = "N", default_value_t = crate::analysis::optimize::DEFAULT_BUDGET)]
    pub budget: usize,
    /// Futures simulated per candidate (the same futures for all; the finalists are simulated
    /// again on as many fresh ones).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub runs: u64,
    /// Root random seed (overrides the scenario's; drawn and printed when neither is set).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output folder: optimize.csv, best.yaml and the frontier plot.
    #[arg(
        long,
        short = 'o',
        value_name = "DIR",
        default_value = "pivotsim-optimize"
    )]
    pub out: PathBuf,
    /// Worker threads (default: RAYON_NUM_THREADS or the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Change one scenario value for every candidate (as `run --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// The plan `delta_` measures compare with (default: the scenario's first plan).
    #[arg(long, value_name = "PLAN")]
    pub baseline: Option<String>,
    /// What to print on stdout: the answer and the finalists, or a JSON document.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not draw the frontier plot.
    #[arg(long)]
    pub no_plots: bool,
}

/// Parses `--var`.
fn parse_variable(text: &str) -> Result<Variable, String> {
    Variable::parse(text)
}

/// Parses `--maximize` and `--minimize`.
fn parse_measure_spec(text: &str) -> Result<MeasureSpec, String> {
    MeasureSpec::parse(text)
}

/// Parses `--subject-to`.
fn parse_constraint(text: &str) -> Result<ConstraintSpec, String> {
    ConstraintSpec::parse(text)
}

/// Options of `pivotsim trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// Scenario file (YAML). Default: the embedded default scenario.
    pub scenario: Option<PathBuf>,
    /// The plan, by name (default: the first).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// The replication index, from 0.
    #[arg(long, value_name = "I", default_value_t = 0)]
    pub run: u64,
    /// Root seed (overrides the scenario's; required when the scenario sets none).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Csv)]
    pub format: TraceFormat,
    /// Print the monthly statement (books, cash, debt, DSCR, and each project loan's balance,
    /// DSCR, reserve, locked-up cash and distributions) instead of the event log.
    #[arg(long)]
    pub statement: bool,
    /// Change one scenario value (as `run --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// Trace the plan under the scenario's stress set NAME (as `run --stress`).
    #[arg(long, value_name = "NAME")]
    pub stress: Option<String>,
}

/// Formats of `pivotsim trace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Options of `pivotsim init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new file (default: scenario.yaml); `-` prints the scenario on stdout instead.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// Options of `pivotsim example`.
#[derive(Debug, Args)]
pub struct ExampleArgs {
    /// The example to print (default: list them).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
}

/// Options of `pivotsim completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses a metric name for `--metric`.
fn parse_metric(name: &str) -> Result<Metric, String> {
    metric_by_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
        format!(
            "unknown metric `{}`; expected one of: {}",
            shown(name),
            names.join(", ")
        )
    })
}

/// Parses `METRIC=HALFWIDTH`.
fn parse_target(text: &str) -> Result<ConvergenceTarget, String> {
    let (name, value) = text.split_once('=').ok_or_else(|| {
        format!(
            "expected METRIC=HALFWIDTH (e.g. npv=5e6), got `{}`",
            shown(text)
        )
    })?;
    // `delta:METRIC` (or `delta_METRIC`, as `optimize` writes it): the mean difference of
    // every plan from the baseline.
    let trimmed = name.trim();
    let (difference, name) = match trimmed
        .strip_prefix("delta:")
        .or_else(|| trimmed.strip_prefix("delta_"))
    {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let metric = parse_metric(name)?;
    if MAY_BE_UNDEFINED.contains(&metric) {
        // The half-width of a metric that is empty in some futures is computed over the
        // futures where it exists, whose count the target cannot control: refused here
        // rather than found unmet after every run.
        return Err(format!(
            "`{}` is undefined (empty in runs.csv) in some futures, so its confidence interval \
             cannot be targeted; expected a metric that every future defines (e.g. npv_usd)",
            metric.key()
        ));
    }
    let half_width: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v > 0.0)
        .ok_or_else(|| {
            format!(
                "expected a positive half-width after `=`, got `{}`",
                shown(value)
            )
        })?;
    Ok(ConvergenceTarget {
        metric,
        half_width,
        difference,
    })
}

/// The metrics that can be undefined in a future (written empty in `runs.csv`): no
/// `--target-ci` on them. A test keeps this list in step with the metric descriptions.
pub(crate) const MAY_BE_UNDEFINED: [Metric; 8] = [
    Metric::Irr,
    Metric::YearsToFirstHalving,
    Metric::PaybackMonth,
    Metric::DefaultYears,
    Metric::EquityValuePerShare,
    Metric::LargestTenantShare,
    Metric::LeaseNoiMargin,
    Metric::Year1Rent,
];

/// A metric by its key (`npv_usd`) or its key without the unit suffix (`npv`).
pub fn metric_by_name(name: &str) -> Option<Metric> {
    Metric::ALL.iter().copied().find(|m| {
        let key = m.key();
        key == name
            || ["_usd", "_mwh", "_ph_s", "_usd_per_ph_day"]
                .iter()
                .any(|suffix| key.strip_suffix(suffix) == Some(name))
    })
}

/// Options of `pivotsim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Change one scenario value before validation (as `run --set`). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_override)]
    pub set: Vec<Override>,
    /// What to print: a one-line summary, or a JSON object for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// What `run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A human-readable table.
    #[default]
    Table,
    /// The summary.json document.
    Json,
}

impl From<OutputFormat> for crate::report::console::Format {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Table => Self::Table,
            OutputFormat::Json => Self::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_documented_as_possibly_empty_is_refused_as_a_target() {
        for metric in Metric::ALL {
            let empty = metric.description().contains("empty");
            assert_eq!(
                MAY_BE_UNDEFINED.contains(&metric),
                empty,
                "{}: {}",
                metric.key(),
                metric.description()
            );
            assert_eq!(
                parse_target(&format!("{}=1", metric.key())).is_err(),
                empty,
                "{}",
                metric.key()
            );
        }
    }
}
