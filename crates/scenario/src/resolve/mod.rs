//! The resolver: the checks a single field's declared range cannot express.
//!
//! Ranges live next to the fields ([`super::ranges`] checks them first, so everything here
//! sees in-range numbers). What remains needs more than one value: names (non-empty, unique,
//! and naming a site, hall or model that exists), dates within the horizon, the physics of a
//! hall and a site (racks, density, cooling, grid), and bounds that depend on another field
//! (an energy mean at most the cap, a tenant within its hall's GPU capacity). Site and hall
//! names are resolved here, by [`hall_index`] and [`site_index`], for both validation and the
//! model's compile. The first problem found is returned, located by its field path.

mod plans;

use std::collections::{HashMap, HashSet};

use chrono::{Months, NaiveDate};

use crate::error::{ErrorKind, ScenarioError};
use crate::field;
use crate::names::{self, shown};
use crate::ranges::{self, out_of_range};
use crate::source::{SourceDocument, join_field, join_index};
use crate::types::{
    AsicFleet, BitcoinHistoryRow, ConversionDebt, Date, Debt, DebtRate, EnergyHistoryRow, Hall,
    HallState, HashrateModel, Plan, ProjectTerms, RETARGET_INTERVAL_BLOCKS, Recourse, Refinancing,
    Revolver, Scenario, SensitivityInput, Shock, Site, Stress, TenantClass, TraceOutage,
    VintageNetwork,
};

/// Checks a typed scenario against its source document (for positions): declared ranges
/// first, then the checks between fields.
pub fn validate(scenario: &Scenario, doc: &SourceDocument) -> Result<(), ScenarioError> {
    ranges::check(scenario, doc)?;
    let c = Checker {
        doc,
        s: scenario,
        horizon: Horizon::of(scenario),
    };
    c.text(field!(Scenario.name), &scenario.name)?;
    c.markets()?;
    c.finance()?;
    c.shock_list(field!(Scenario.shocks), &scenario.shocks)?;
    let mut stress_names = HashSet::new();
    for (i, stress) in scenario.stresses.iter().enumerate() {
        let p = join_index(field!(Scenario.stresses), i);
        c.unique_name(
            &join_field(&p, field!(Stress.name)),
            &stress.name,
            &mut stress_names,
            "stress",
        )?;
        c.shock_list(&join_field(&p, field!(Stress.shocks)), &stress.shocks)?;
    }
    let mut site_names = HashSet::new();
    for (i, site) in scenario.sites.iter().enumerate() {
        let p = join_index(field!(Scenario.sites), i);
        c.unique_name(
            &join_field(&p, field!(Site.name)),
            &site.name,
            &mut site_names,
            "site",
        )?;
        c.site(&p, site)?;
    }
    let mut plan_names = HashSet::new();
    for (i, plan) in scenario.plans.iter().enumerate() {
        let p = join_index(field!(Scenario.plans), i);
        c.unique_name(
            &join_field(&p, field!(Plan.name)),
            &plan.name,
            &mut plan_names,
            "plan",
        )?;
        c.plan(&p, plan)?;
    }
    c.plan_stems()?;
    c.sensitivity()?;
    Ok(())
}

/// Most inquiries a scenario may expect over its horizon, in its busiest regime: each has its
/// own random stream, numbered in 16 bits (65,536), and the realised count of a Poisson
/// process with this mean stays far below that.
pub const MAX_EXPECTED_INQUIRIES: f64 = 20_000.0;

/// The start dates the model accepts: from the genesis block (2009-01-03) to the start of
/// 2100, well inside the subsidy schedule's last halvings and the calendar.
pub fn bitcoin_era() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2009, 1, 3).unwrap_or_default(),
        NaiveDate::from_ymd_opt(2100, 1, 1).unwrap_or_default(),
    )
}

/// Why a site or hall name does not resolve.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unresolved {
    /// No site has the name.
    #[error("no site is named `{}`{hint}; expected one of: {known}", shown(site))]
    Site {
        /// The name given.
        site: String,
        /// ` (did you mean `X`?)` when a site's name is close to the one given, else empty.
        hint: String,
        /// The sites' names, comma-separated.
        known: String,
    },
    /// The site has no hall with the name.
    #[error(
        "site `{}` has no hall named `{}`{hint}; expected one of: {known}",
        shown(site),
        shown(hall)
    )]
    Hall {
        /// The site named.
        site: String,
        /// The hall name given.
        hall: String,
        /// ` (did you mean `X`?)` when a hall's name is close to the one given, else empty.
        hint: String,
        /// The site's halls' names, comma-separated.
        known: String,
    },
}

/// The index of the site named `site` in `s.sites`.
pub fn site_index(s: &Scenario, site: &str) -> Result<usize, Unresolved> {
    s.sites
        .iter()
        .position(|x| x.name == site)
        .ok_or_else(|| Unresolved::Site {
            site: site.to_owned(),
            hint: did_you_mean(site, s.sites.iter().map(|x| x.name.as_str())),
            known: known_names(s.sites.iter().map(|x| x.name.as_str())),
        })
}

/// The (site, hall) indices of hall `hall` of site `site`.
pub fn hall_index(s: &Scenario, site: &str, hall: &str) -> Result<(usize, usize), Unresolved> {
    let si = site_index(s, site)?;
    let halls = &s.sites[si].halls;
    let hi = halls
        .iter()
        .position(|h| h.name == hall)
        .ok_or_else(|| Unresolved::Hall {
            site: site.to_owned(),
            hall: hall.to_owned(),
            hint: did_you_mean(hall, halls.iter().map(|h| h.name.as_str())),
            known: known_names(halls.iter().map(|h| h.name.as_str())),
        })?;
    Ok((si, hi))
}

/// ` (did you mean `X`?)` when one of `names` is close to `given` (a likely typo), else empty.
pub fn did_you_mean<'a>(given: &str, names: impl Iterator<Item = &'a str>) -> String {
    crate::names::closest(given, names)
        .map(|c| format!(" (did you mean `{}`?)", shown(c)))
        .unwrap_or_default()
}

/// A list of names for a message, each quoted as [`shown`] quotes it.
pub fn known_names<'a>(list: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<String> = list.map(|n| shown(n).to_string()).collect();
    if list.is_empty() {
        "(none defined)".to_owned()
    } else {
        list.join(", ")
    }
}

/// The simulated dates: from the start to before the end of the horizon.
struct Horizon {
    start: NaiveDate,
    end: NaiveDate,
}

impl Horizon {
    fn of(s: &Scenario) -> Self {
        let start = s.start.0;
        let end = start
            .checked_add_months(Months::new(s.horizon_years.saturating_mul(12)))
            .unwrap_or(NaiveDate::MAX);
        Horizon { start, end }
    }
}

/// Builds located errors for one document and holds what the checks share.
struct Checker<'a> {
    doc: &'a SourceDocument,
    s: &'a Scenario,
    horizon: Horizon,
}

impl Checker<'_> {
    /// The `sensitivity:` list: every path names values the file writes, every range is
    /// increasing, every label is a name.
    fn sensitivity(&self) -> Result<(), ScenarioError> {
        for (i, input) in self.s.sensitivity.iter().enumerate() {
            let p = join_index(field!(Scenario.sensitivity), i);
            let path = join_field(&p, field!(SensitivityInput.path));
            let found = crate::overrides::expand(&self.doc.value, &input.path)
                .map_err(|e| self.err(&path, ErrorKind::Reference, e.message))?;
            if found.is_empty() {
                return Err(self.err(
                    &path,
                    ErrorKind::Reference,
                    format!(
                        "`{}` names no value of this scenario; expected the path of a value the \
                         file writes, as `--set` takes it (e.g. market.bitcoin.volatility)",
                        shown(&input.path)
                    ),
                ));
            }
            if input.low >= input.high {
                return Err(self.err(
                    &join_field(&p, field!(SensitivityInput.high)),
                    ErrorKind::Range,
                    format!(
                        "high {} is not above low {}; expected low < high",
                        input.high, input.low
                    ),
                ));
            }
            if let Some(label) = &input.label {
                self.text(&join_field(&p, field!(SensitivityInput.label)), label)?;
            }
        }
        Ok(())
    }

    fn err(&self, path: &str, kind: ErrorKind, message: String) -> ScenarioError {
        self.doc.error_at(path, kind, message)
    }

    /// A name: see [`names::name_problem`] for the rule and its limit.
    fn text(&self, path: &str, v: &str) -> Result<(), ScenarioError> {
        match names::name_problem(v) {
            Some(problem) => Err(self.err(path, ErrorKind::Range, problem)),
            None => Ok(()),
        }
    }

    /// A name that must be unique among `seen` (of the kind `what`).
    fn unique_name<'n>(
        &self,
        path: &str,
        name: &'n str,
        seen: &mut HashSet<&'n str>,
        what: &str,
    ) -> Result<(), ScenarioError> {
        self.text(path, name)?;
        if !seen.insert(name) {
            return Err(self.err(
                path,
                ErrorKind::Reference,
                format!(
                    "another {what} is already named `{}`; names must be unique",
                    shown(name)
                ),
            ));
        }
        Ok(())
    }

    /// Plan names must give distinct file stems (the report names plot files after them),
    /// also without ASCII case and also against every plan a `--stress` set would add
    /// (`plan [stress]`): a plan literally named `a [s]`, or `a__s_`, is refused when plan `a`
    /// and stress `s` exist, because `--stress s` would give two plans one file. Pairs of
    /// stressed plans are checked when stresses are selected (`CompiledScenario::with_stresses`).
    fn plan_stems(&self) -> Result<(), ScenarioError> {
        let mut by_stem: HashMap<String, usize> = HashMap::new();
        for (i, plan) in self.s.plans.iter().enumerate() {
            if let Some(&first) = by_stem.get(&names::stem_key(&plan.name)) {
                return Err(self.plan_clash(i, &self.s.plans[first].name, None));
            }
            by_stem.insert(names::stem_key(&plan.name), i);
        }
        let stresses: HashMap<String, &str> = self
            .s
            .stresses
            .iter()
            .map(|s| (names::stem_key(&s.name), s.name.as_str()))
            .collect();
        if stresses.is_empty() {
            return Ok(());
        }
        // A stressed stem is `stem(plan) + "__" + stem(stress) + "_"`: split each plan's stem
        // where a stress's stem would start (one place per distinct stress stem length, so
        // the work stays linear in the plans however their names are made) and look both
        // halves up. Stem keys are ASCII, so byte offsets are character boundaries.
        let mut lengths: Vec<usize> = stresses.keys().map(String::len).collect();
        lengths.sort_unstable();
        lengths.dedup();
        for (i, plan) in self.s.plans.iter().enumerate() {
            let key = names::stem_key(&plan.name);
            let Some(body) = key.strip_suffix('_') else {
                continue;
            };
            for &len in &lengths {
                let Some(at) = body.len().checked_sub(len + 2) else {
                    break;
                };
                if &body.as_bytes()[at..at + 2] != b"__" {
                    continue;
                }
                let (base, stress) = (&body[..at], &body[at + 2..]);
                if let (Some(&p), Some(&s)) = (by_stem.get(base), stresses.get(stress)) {
                    return Err(self.plan_clash(i, &self.s.plans[p].name, Some(s)));
                }
            }
        }
        Ok(())
    }

    fn plan_clash(&self, i: usize, other: &str, stress: Option<&str>) -> ScenarioError {
        let name = &self.s.plans[i].name;
        let path = join_field(&join_index(field!(Scenario.plans), i), field!(Plan.name));
        let whose = match stress {
            None => format!("plan `{}`", shown(other)),
            Some(s) => format!(
                "plan `{}` run under `--stress {}` (named `{}`)",
                shown(other),
                shown(s),
                shown(&names::stressed_name(other, s))
            ),
        };
        self.err(
            &path,
            ErrorKind::Reference,
            format!(
                "plan `{}` would write its files under the stem `{}`, as {whose} would \
                 (stems keep ASCII letters, digits, `-` and `_`, and are compared without \
                 case); expected plan names whose stems differ",
                shown(name),
                shown(&names::file_stem(name)),
            ),
        )
    }

    /// A date from the start to before the end of the horizon.
    fn in_horizon(&self, path: &str, d: &Date) -> Result<(), ScenarioError> {
        let Horizon { start, end } = self.horizon;
        if d.0 < start || d.0 >= end {
            return Err(self.err(
                path,
                ErrorKind::Range,
                format!("{d} is outside the horizon; expected a date from {start} to before {end}"),
            ));
        }
        Ok(())
    }

    /// A bound that depends on another field: `v` at most `hi`, said as a declared range would.
    fn at_most(
        &self,
        path: &str,
        v: f64,
        lo: f64,
        hi: f64,
        expected: &str,
    ) -> Result<(), ScenarioError> {
        if v <= hi {
            return Ok(());
        }
        Err(self.err(
            path,
            ErrorKind::Range,
            out_of_range(v, lo, hi, Some(expected)),
        ))
    }

    fn resolved<T>(&self, path: &str, found: Result<T, Unresolved>) -> Result<T, ScenarioError> {
        found.map_err(|e| self.err(path, ErrorKind::Reference, e.to_string()))
    }

    /// Markets: energy prices within the cap; the AI market's inquiry budget.
    fn markets(&self) -> Result<(), ScenarioError> {
        let e = &self.s.market.energy;
        self.at_most(
            field!(Scenario.market.energy.mean_usd_per_mwh),
            e.mean_usd_per_mwh,
            1e-6,
            e.cap_usd_per_mwh,
            "USD/MWh, above 0 and at most the cap",
        )?;
        self.at_most(
            field!(Scenario.market.energy.spike_usd_per_mwh),
            e.spike_usd_per_mwh,
            0.0,
            e.cap_usd_per_mwh,
            "USD/MWh, at most the cap",
        )?;
        self.histories()?;
        if let Some(ai) = &self.s.market.ai {
            // Each inquiry has its own random stream, numbered in 16 bits. The budget holds
            // in the busiest regime for the whole horizon, whichever regime a future is in:
            // a bust can have more inquiries than a boom.
            let busiest = 1f64.max(ai.regimes.bust_inquiry_factor);
            let expected = ai.inquiries.rate_per_year * busiest * f64::from(self.s.horizon_years);
            if expected > MAX_EXPECTED_INQUIRIES {
                return Err(self.err(
                    field!(Scenario.market.ai?.inquiries.rate_per_year),
                    ErrorKind::Limit,
                    format!(
                        "up to {expected:.0} inquiries expected over the horizon (rate × \
                         {busiest} in the busiest regime × {} years); the limit is \
                         {MAX_EXPECTED_INQUIRIES}",
                        self.s.horizon_years
                    ),
                ));
            }
            let mut seen = HashSet::new();
            for (i, class) in ai.lease.tenant_classes.iter().enumerate() {
                let p = join_index(field!(Scenario.market.ai?.lease.tenant_classes), i);
                self.unique_name(
                    &join_field(&p, field!(TenantClass.name)),
                    &class.name,
                    &mut seen,
                    "tenant class",
                )?;
            }
        }
        self.bitcoin()
    }

    /// Market histories: inline rows with valid, increasing dates (a file's were checked as
    /// it was read), the first on or before the start so that the history covers it, and
    /// energy prices at most the cap.
    fn histories(&self) -> Result<(), ScenarioError> {
        let b = field!(Scenario.market.bitcoin.history_rows);
        let dates = self.s.market.bitcoin.history_rows.iter().map(|r| {
            (
                crate::history::parse_date(&r.date).and_then(|d| d.and_hms_opt(0, 0, 0)),
                r.date.as_str(),
            )
        });
        let bitcoin_file = (self.s.market.bitcoin.history.is_some())
            .then_some(field!(Scenario.market.bitcoin.history));
        self.history_dates(
            b,
            bitcoin_file,
            field!(BitcoinHistoryRow.date),
            dates,
            "YYYY-MM-DD",
        )?;
        let e = field!(Scenario.market.energy.history_rows);
        let hours = self
            .s
            .market
            .energy
            .history_rows
            .iter()
            .map(|r| (crate::history::parse_hour(&r.datetime), r.datetime.as_str()));
        let energy_file = (self.s.market.energy.history.is_some())
            .then_some(field!(Scenario.market.energy.history));
        self.history_dates(
            e,
            energy_file,
            field!(EnergyHistoryRow.datetime),
            hours,
            "YYYY-MM-DDTHH:00 or YYYY-MM-DD",
        )?;
        let cap = self.s.market.energy.cap_usd_per_mwh;
        for (k, row) in self.s.market.energy.history_rows.iter().enumerate() {
            if row.usd_per_mwh > cap {
                let at = join_field(&join_index(e, k), field!(EnergyHistoryRow.usd_per_mwh));
                return Err(self.err(
                    energy_file.unwrap_or(&at),
                    ErrorKind::Range,
                    format!(
                        "row {} of the energy history ({}) is priced {} USD/MWh, above the \
                         market cap {cap}; expected at most the cap",
                        k + 1,
                        shown(&row.datetime),
                        row.usd_per_mwh
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Dates of a history's rows (parsed, and as written): each valid, increasing, the first
    /// on or before the start. Problems of rows read from a file are reported against the
    /// field naming the file (`file`), where the user can act on them.
    fn history_dates<'r>(
        &self,
        rows: &str,
        file: Option<&str>,
        column: &str,
        dates: impl Iterator<Item = (Option<chrono::NaiveDateTime>, &'r str)>,
        format: &str,
    ) -> Result<(), ScenarioError> {
        let start = self.s.start.0.and_hms_opt(0, 0, 0);
        let mut last = None;
        for (k, (parsed, written)) in dates.enumerate() {
            let row = join_field(&join_index(rows, k), column);
            let at = file.map_or(row, str::to_owned);
            let Some(when) = parsed else {
                return Err(self.err(
                    &at,
                    ErrorKind::Type,
                    format!("`{}` is not a date; expected {format}", shown(written)),
                ));
            };
            if k == 0 && start.is_some_and(|s| when > s) {
                return Err(self.err(
                    &at,
                    ErrorKind::Range,
                    format!(
                        "the history's first row is dated {}, after the scenario's start {}; \
                         expected a first row on or before the start, so that the history \
                         gives the market's state from the first day",
                        shown(written),
                        self.s.start.0
                    ),
                ));
            }
            if last.is_some_and(|l| when <= l) {
                return Err(self.err(
                    &at,
                    ErrorKind::Range,
                    format!(
                        "`{}` is not after the previous row; expected rows in increasing \
                         order with no date twice",
                        shown(written)
                    ),
                ));
            }
            last = Some(when);
        }
        Ok(())
    }

    /// The bitcoin network at the start: a date in bitcoin's era, an epoch consistent with
    /// the height, and sites that hash less than the whole network.
    fn bitcoin(&self) -> Result<(), ScenarioError> {
        let start = self.s.start.0;
        let (first, last) = bitcoin_era();
        if start < first || start > last {
            return Err(self.err(
                field!(Scenario.start),
                ErrorKind::Range,
                format!(
                    "{start} is outside bitcoin's era as modelled; expected a date from {first} \
                     (the genesis block) to {last}"
                ),
            ));
        }
        let b = &self.s.market.bitcoin;
        let epoch = b.height % RETARGET_INTERVAL_BLOCKS;
        if let Some(mined) = b.epoch_blocks_mined
            && mined != epoch
        {
            return Err(self.err(
                field!(Scenario.market.bitcoin.epoch_blocks_mined),
                ErrorKind::Range,
                format!(
                    "{mined} disagrees with the height: retargets fall every {RETARGET_INTERVAL_BLOCKS} \
                     blocks, so {} mod {RETARGET_INTERVAL_BLOCKS} = {epoch} blocks of this epoch are \
                     mined; expected {epoch}, or leave it out",
                    b.height
                ),
            ));
        }
        if let HashrateModel::Vintages(v) = &b.hashrate {
            self.vintages(v)?;
        }
        // TH/s: a fleet's units × TH/s each; the network's EH/s × 10^6.
        let network_th = b.network_hashrate_eh_s * 1e6;
        let installed_th: f64 = (self.s.sites.iter())
            .flat_map(|site| &site.halls)
            .flat_map(|hall| &hall.asics)
            .map(|fleet| f64::from(fleet.units) * fleet.th_s)
            .sum();
        if installed_th >= network_th {
            return Err(self.err(
                field!(Scenario.market.bitcoin.network_hashrate_eh_s),
                ErrorKind::Physics,
                format!(
                    "the sites' ASICs hash {:.6} EH/s, at least the whole network's {} EH/s, \
                     which includes them; expected a network hashrate above {:.6} EH/s",
                    installed_th / 1e6,
                    b.network_hashrate_eh_s,
                    installed_th / 1e6
                ),
            ));
        }
        Ok(())
    }

    /// A vintage network: fleet shares that make up the whole network, and a frontier above
    /// its floor.
    fn vintages(&self, v: &VintageNetwork) -> Result<(), ScenarioError> {
        let p = field!(Scenario.market.bitcoin.hashrate);
        let total: f64 = v.fleet.iter().map(|x| x.share).sum();
        if (total - 1.0).abs() > 1e-3 {
            return Err(self.err(
                &join_field(p, "fleet"),
                ErrorKind::Range,
                format!(
                    "the vintages' shares sum to {total:.4}; they split the running hashrate, so \
                     expected a sum of 1"
                ),
            ));
        }
        let f = &v.frontier;
        if f.floor_j_per_th >= f.j_per_th {
            return Err(self.err(
                &join_field(&join_field(p, "frontier"), "floor_j_per_th"),
                ErrorKind::Range,
                format!(
                    "{} J/TH is not below the frontier's {} J/TH; expected a floor the best \
                     machine on sale has not reached",
                    f.floor_j_per_th, f.j_per_th
                ),
            ));
        }
        Ok(())
    }

    fn has_base_rate(&self) -> bool {
        self.s
            .finance
            .as_ref()
            .and_then(|f| f.base_rate.as_ref())
            .is_some()
    }

    /// Debts: names, drawing dates, floating rates that need a base rate.
    fn finance(&self) -> Result<(), ScenarioError> {
        let Some(f) = &self.s.finance else {
            return Ok(());
        };
        for (i, d) in f.debts.iter().enumerate() {
            let p = join_index(field!(Scenario.finance?.debts), i);
            self.text(&join_field(&p, field!(Debt.name)), &d.name)?;
            self.rate(&join_field(&p, field!(Debt.rate)), d.rate)?;
            if let Some(date) = &d.drawn {
                let start = self.horizon.start;
                if date.0 < start {
                    return Err(self.err(
                        &join_field(&p, field!(Debt.drawn)),
                        ErrorKind::Range,
                        format!(
                            "{date} is before the start {start}; a debt outstanding at the start \
                             is drawn on the start date"
                        ),
                    ));
                }
            }
        }
        if let Some(r) = &f.revolver {
            self.rate(
                &join_field(field!(Scenario.finance?.revolver), field!(Revolver.rate)),
                r.rate,
            )?;
        }
        Ok(())
    }

    /// A conversion loan at `path`: its rates need a base rate when floating, project terms
    /// and a refinancing belong to project loans, and cash is locked up before a default.
    fn conversion_debt(&self, path: &str, d: &ConversionDebt) -> Result<(), ScenarioError> {
        self.rate(&join_field(path, field!(ConversionDebt.rate)), d.rate)?;
        let corporate = d.recourse == Recourse::Corporate;
        if let Some(r) = &d.refinance_at_cod {
            let at = join_field(path, field!(ConversionDebt.refinance_at_cod));
            if corporate {
                return Err(self.err(
                    &at,
                    ErrorKind::Reference,
                    "a refinancing at COD applies to a project loan: add `recourse: project`"
                        .into(),
                ));
            }
            self.rate(&join_field(&at, field!(Refinancing.rate)), r.rate)?;
        }
        if let Some(t) = &d.project_terms {
            let at = join_field(path, field!(ConversionDebt.project_terms));
            self.project_terms(&at, corporate, t)?;
        }
        Ok(())
    }

    /// A project loan's terms `t` at `at` (on a loan with corporate recourse when
    /// `corporate`): they apply only to project loans, and cash locks up before a default.
    pub(super) fn project_terms(
        &self,
        at: &str,
        corporate: bool,
        t: &ProjectTerms,
    ) -> Result<(), ScenarioError> {
        if corporate {
            return Err(self.err(
                at,
                ErrorKind::Reference,
                "project terms apply to a project loan: add `recourse: project`".into(),
            ));
        }
        if t.lock_up_dscr < t.min_dscr {
            return Err(self.err(
                &join_field(at, field!(ProjectTerms.lock_up_dscr)),
                ErrorKind::Range,
                format!(
                    "{} is below min_dscr {}; cash locks up at or above the default \
                         threshold",
                    t.lock_up_dscr, t.min_dscr
                ),
            ));
        }
        Ok(())
    }

    /// A floating rate needs `finance.base_rate`; `path` is the rate's (each kind of loan
    /// names its own `rate` field, checked by `field!`).
    fn rate(&self, path: &str, rate: DebtRate) -> Result<(), ScenarioError> {
        if matches!(rate, DebtRate::FloatingSpread(_)) && !self.has_base_rate() {
            return Err(self.err(
                path,
                ErrorKind::Reference,
                "a floating rate needs `finance.base_rate`".into(),
            ));
        }
        Ok(())
    }

    fn shock_list(&self, path: &str, list: &[Shock]) -> Result<(), ScenarioError> {
        for (i, shock) in list.iter().enumerate() {
            let p = join_index(path, i);
            let at = |field: &str| join_field(&p, field);
            match shock {
                Shock::BtcPrice { date, .. }
                | Shock::NetworkHashrate { date, .. }
                | Shock::LargestTenantDefaults { date } => self.in_horizon(
                    &at(field!(
                        Shock::BtcPrice
                            | Shock::NetworkHashrate
                            | Shock::LargestTenantDefaults { date }
                    )),
                    date,
                )?,
                Shock::EnergySpike { from, to, .. } => {
                    self.in_horizon(&at(field!(Shock::EnergySpike { from })), from)?;
                    if to.0 <= from.0 {
                        return Err(self.err(
                            &at(field!(Shock::EnergySpike { to })),
                            ErrorKind::Range,
                            format!("{to} is not after `from` ({from})"),
                        ));
                    }
                }
                Shock::GridOutage { site, date, .. } => {
                    self.in_horizon(&at(field!(Shock::GridOutage { date })), date)?;
                    if site_index(self.s, site).is_err() {
                        return Err(self.err(
                            &at(field!(Shock::GridOutage { site })),
                            ErrorKind::Reference,
                            format!("no site is named `{}`", shown(site)),
                        ));
                    }
                }
                Shock::AiBust { date } => {
                    self.in_horizon(&at(field!(Shock::AiBust { date })), date)?;
                    if self.s.market.ai.is_none() {
                        return Err(self.err(
                            &p,
                            ErrorKind::Reference,
                            "an AI bust needs `market.ai`".into(),
                        ));
                    }
                }
                Shock::RateStep { date, .. } => {
                    self.in_horizon(&at(field!(Shock::RateStep { date })), date)?;
                    if !self.has_base_rate() {
                        return Err(self.err(
                            &p,
                            ErrorKind::Reference,
                            "a rate step needs `finance.base_rate`".into(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// A site's trace, halls and grid connection.
    fn site(&self, p: &str, site: &Site) -> Result<(), ScenarioError> {
        for (k, event) in site.grid_outage_trace_events.iter().enumerate() {
            if crate::trace::parse_start(&event.start).is_none() {
                let ep = join_index(&join_field(p, field!(Site.grid_outage_trace_events)), k);
                return Err(self.err(
                    &join_field(&ep, field!(TraceOutage.start)),
                    ErrorKind::Type,
                    format!(
                        "`{}` is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                        shown(&event.start)
                    ),
                ));
            }
        }
        let mut hall_names = HashSet::new();
        let mut facility_mw = 0.0;
        for (j, hall) in site.halls.iter().enumerate() {
            let hp = join_index(&join_field(p, field!(Site.halls)), j);
            let name_path = join_field(&hp, field!(Hall.name));
            self.text(&name_path, &hall.name)?;
            if !hall_names.insert(hall.name.as_str()) {
                return Err(self.err(
                    &name_path,
                    ErrorKind::Reference,
                    format!(
                        "another hall of this site is already named `{}`",
                        shown(&hall.name)
                    ),
                ));
            }
            facility_mw += self.hall(&hp, hall)? * hall.pue;
        }
        if facility_mw > site.grid_mw * (1.0 + 1e-9) {
            return Err(self.err(
                &join_field(p, field!(Site.grid_mw)),
                ErrorKind::Physics,
                format!(
                    "the halls' ASIC load times PUE is {facility_mw:.2} MW, above the grid limit \
                     of {} MW; expected a grid limit of at least {facility_mw:.2} MW or fewer \
                     machines",
                    site.grid_mw
                ),
            ));
        }
        Ok(())
    }

    /// Checks one hall's physics and returns its installed ASIC IT load in MW.
    fn hall(&self, p: &str, hall: &Hall) -> Result<f64, ScenarioError> {
        if hall.state != HallState::Asic && !hall.asics.is_empty() {
            return Err(self.err(
                &join_field(p, field!(Hall.asics)),
                ErrorKind::Physics,
                "only a hall whose state is `asic` can hold ASICs; expected an empty list".into(),
            ));
        }
        let mut racks = 0u64;
        let mut it_mw = 0.0;
        for (k, fleet) in hall.asics.iter().enumerate() {
            let fp = join_index(&join_field(p, field!(Hall.asics)), k);
            self.text(&join_field(&fp, field!(AsicFleet.model)), &fleet.model)?;
            self.fleet_density(&fp, fleet, hall)?;
            racks += u64::from(fleet.units).div_ceil(u64::from(fleet.units_per_rack));
            it_mw += f64::from(fleet.units) * fleet.watts / 1e6;
        }
        if racks > u64::from(hall.rack_slots) {
            return Err(self.err(
                &join_field(p, field!(Hall.rack_slots)),
                ErrorKind::Physics,
                format!(
                    "the hall's ASICs need {racks} racks but it has {} rack slots; expected at \
                     least {racks}",
                    hall.rack_slots
                ),
            ));
        }
        if it_mw > hall.cooling_mw * (1.0 + 1e-9) {
            return Err(self.err(
                &join_field(p, field!(Hall.cooling_mw)),
                ErrorKind::Physics,
                format!(
                    "the hall's ASICs draw {it_mw:.2} MW of IT load, above its cooling capacity \
                     of {} MW; expected cooling of at least {it_mw:.2} MW or fewer machines",
                    hall.cooling_mw
                ),
            ));
        }
        Ok(it_mw)
    }

    /// A fleet's units per rack within the hall's rack density; `fp` is the fleet's path.
    fn fleet_density(&self, fp: &str, fleet: &AsicFleet, hall: &Hall) -> Result<(), ScenarioError> {
        let per_rack_kw = f64::from(fleet.units_per_rack) * fleet.watts / 1_000.0;
        if per_rack_kw > hall.max_kw_per_rack * (1.0 + 1e-9) {
            return Err(self.err(
                &join_field(fp, field!(AsicFleet.units_per_rack)),
                ErrorKind::Physics,
                format!(
                    "{} units of {} W make {per_rack_kw:.1} kW per rack, above the hall's \
                     max_kw_per_rack of {}; expected at most {} units per rack",
                    fleet.units_per_rack,
                    fleet.watts,
                    hall.max_kw_per_rack,
                    (hall.max_kw_per_rack * 1_000.0 / fleet.watts).floor()
                ),
            ));
        }
        Ok(())
    }
}
