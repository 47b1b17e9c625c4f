//! Number formatting for people: dollars in $k/$M/$B, other values with sensible precision.

/// Formats USD compactly: `$12.3M`, `-$1.05B`, `$850k`, `$12`.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    let body = if a >= 1e9 {
        format!("{:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    format!("{sign}${body}")
}

/// Formats a plain quantity with 3–4 significant digits and thousands separators.
pub fn quantity(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let a = x.abs();
    if a >= 1e4 {
        group_thousands(x.round())
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{x:.4}")
    }
}

/// Formats a whole count with thousands separators: `10`, `1,000`.
pub fn count(n: u64) -> String {
    group_thousands(n as f64)
}

fn group_thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usd(1_234_567.0), "$1.2M");
        assert_eq!(usd(-2_500_000_000.0), "-$2.50B");
        assert_eq!(usd(850_000.0), "$850k");
        assert_eq!(quantity(1_234_567.0), "1,234,567");
        assert_eq!(quantity(41.256), "41.26");
    }
}
