//! What a lease is worth as a deal announcement states it, and the year-1 rent behind such a
//! figure.
//!
//! Announcements quote a total contract value: the rent of the whole term, escalators
//! included. pivotsim bills a year-1 rent that steps up by the escalator at each anniversary,
//! so the two are tied by a geometric sum: a lease of `kw` kW of IT at year-1 rent R (USD per
//! kW-month) with escalator g over T years (n whole years and a fraction f of one more) is
//! worth 12 · kW · R · S, with S = Σ_{y<n} (1+g)^y + f (1+g)^n = ((1+g)^n − 1)/g + f (1+g)^n
//! (S = n + f without an escalator).

use pivotsim_engine::math;

/// The escalation factor S of a `term_years` lease with escalator `g`: the contract value of
/// one USD per month of year-1 rent, per 12 months.
pub fn escalation_sum(term_years: f64, g: f64) -> f64 {
    let whole = term_years.floor();
    let fraction = term_years - whole;
    let grown = math::powf(1.0 + g, whole);
    let full_years = if g.abs() < 1e-12 {
        whole
    } else {
        (grown - 1.0) / g
    };
    full_years + fraction * grown
}

/// The total contract value, USD, of `kw` kW of IT at year-1 rent `rent` (USD per kW-month)
/// escalating by `g` a year over `term_years`.
pub fn contract_value(kw: f64, rent: f64, term_years: f64, g: f64) -> f64 {
    12.0 * kw * rent * escalation_sum(term_years, g)
}

/// The year-1 rent, USD per kW-month, of a lease whose contract value is `value` (USD).
pub fn year1_rent(value: f64, kw: f64, term_years: f64, g: f64) -> f64 {
    value / (12.0 * kw * escalation_sum(term_years, g))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contract_value_and_its_year1_rent_agree_with_the_geometric_sum() {
        // $140 rising 3% a year for 12 years: S = (1.03^12 − 1) / 0.03 = 14.192030; per kW,
        // 12 × 140 × 14.192030 = $23,842.61, an average of $165.57 a month (the issue's
        // "$140 rising 3% averages $165.6 over 12 years").
        let s = escalation_sum(12.0, 0.03);
        assert!((s - 14.192_029_6).abs() < 1e-6, "{s}");
        let per_kw = contract_value(1.0, 140.0, 12.0, 0.03);
        assert!((per_kw / 144.0 - 165.57).abs() < 0.01, "{per_kw}");
        // Backwards: Hut 8's $7B over 15 years for 245 MW, with a 3% escalator, is a year-1
        // rent of 7e9 / (12 × 245,000 × 18.598914) = $128.02 per kW-month.
        let r = year1_rent(7e9, 245_000.0, 15.0, 0.03);
        assert!((r - 128.02).abs() < 0.01, "{r}");
        // No escalator: the plain product; a half year counts half.
        assert_eq!(
            contract_value(1_000.0, 100.0, 10.5, 0.0),
            12.0 * 1_000.0 * 100.0 * 10.5
        );
    }
}
