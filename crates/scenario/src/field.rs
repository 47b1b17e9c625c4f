//! Field names for message paths, checked by the compiler against the typed scenario.
//!
//! A message's path (`sites[0].grid_mw`) is what the user follows back to the file, so a
//! misspelled or renamed field in a hand-written path would point nowhere without any test
//! noticing. [`field!`](crate::field!) names a field through the struct or enum variant that
//! holds it and expands to its name as a `&'static str`; the expansion does not compile unless
//! the field exists. The name is the key serde reads because no scenario type renames a field
//! (`rename_all = "snake_case"` leaves snake_case fields as they are); a test in this module
//! reads the types' sources to keep it that way.

/// The name of a field of a scenario type, as a `&'static str`, checked at compile time.
///
/// - `field!(Site.grid_mw)` is `"grid_mw"`; a chain follows nested structs,
///   `field!(Scenario.market.energy.mean_usd_per_mwh)` is `"market.energy.mean_usd_per_mwh"`,
///   and `?` steps into an `Option` field: `field!(Scenario.finance?.debts)`.
/// - `field!(Shock::EnergySpike { to })` is `"to"`, a field of an enum variant; several
///   variants that all have the field: `field!(Shock::AiBust | Shock::RateStep { date })`.
/// - `field!(AsicDisposal::MoveTo as move_to)` is `"move_to"`, the key of a variant of an
///   externally tagged enum with `rename_all = "snake_case"`; it must be the variant's name in
///   snake_case.
///
/// Each form expands to a closure that is never called, whose body reads the field (or matches
/// the variant with it), so the compiler checks the name and nothing runs.
#[macro_export]
macro_rules! field {
    // Accessing the chain: `x.a.b`, with `.as_ref()?` after a step marked `?`.
    (@access [$($e:tt)*] $f:ident ? . $($rest:tt)+) => {
        $crate::field!(@access [$($e)* . $f . as_ref()?] $($rest)+)
    };
    (@access [$($e:tt)*] $f:ident . $($rest:tt)+) => {
        $crate::field!(@access [$($e)* . $f] $($rest)+)
    };
    (@access [$($e:tt)*] $f:ident) => { $($e)* . $f };
    // Naming the chain: the steps joined by dots, without the `?`.
    (@name [$($n:ident)*] $f:ident $(?)? . $($rest:tt)+) => {
        $crate::field!(@name [$($n)* $f] $($rest)+)
    };
    (@name [$first:ident $($n:ident)*] $f:ident) => {
        concat!(stringify!($first), $(".", stringify!($n),)* ".", stringify!($f))
    };
    (@name [] $f:ident) => { stringify!($f) };
    // The key of an enum variant.
    ($enum:ident :: $variant:ident as $key:ident) => {{
        const _: () = assert!(
            $crate::field::is_snake_case_of(stringify!($variant), stringify!($key)),
            concat!(
                "`", stringify!($key), "` is not the snake_case key of `",
                stringify!($enum), "::", stringify!($variant), "`"
            )
        );
        let _ = |x: &$enum| matches!(x, $enum::$variant { .. });
        stringify!($key)
    }};
    // A field of one or more enum variants.
    ($enum:ident :: $variant:ident $(| $enums:ident :: $variants:ident)* { $f:ident }) => {{
        let _ = |x: &$enum| {
            matches!(x, $enum::$variant { $f: _, .. } $(| $enums::$variants { $f: _, .. })*)
        };
        stringify!($f)
    }};
    // A field, or a chain of fields, of a struct.
    ($ty:ident . $($path:tt)+) => {{
        let _ = |x: &$ty| -> Option<()> {
            let _ = &$crate::field!(@access [x] $($path)+);
            None
        };
        $crate::field!(@name [] $($path)+)
    }};
}

/// Whether `key` is `variant` as serde's `rename_all = "snake_case"` writes it: an underscore
/// before each uppercase letter but the first, every letter lowercase. A `const fn` so that
/// [`field!`](crate::field!) checks a variant's key at compile time.
#[doc(hidden)]
pub const fn is_snake_case_of(variant: &str, key: &str) -> bool {
    let (v, k) = (variant.as_bytes(), key.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < v.len() {
        let c = v[i];
        if c.is_ascii_uppercase() && i > 0 {
            if j >= k.len() || k[j] != b'_' {
                return false;
            }
            j += 1;
        }
        if j >= k.len() || k[j] != c.to_ascii_lowercase() {
            return false;
        }
        i += 1;
        j += 1;
    }
    j == k.len()
}

#[cfg(test)]
mod tests {
    use super::is_snake_case_of;
    use crate::types::{AsicDisposal, Scenario, Shock, Site};

    #[test]
    fn expands_to_the_names() {
        assert_eq!(field!(Site.grid_mw), "grid_mw");
        assert_eq!(
            field!(Scenario.market.energy.mean_usd_per_mwh),
            "market.energy.mean_usd_per_mwh"
        );
        assert_eq!(
            field!(Scenario.market.ai?.inquiries.rate_per_year),
            "market.ai.inquiries.rate_per_year"
        );
        assert_eq!(field!(Shock::EnergySpike { to }), "to");
        assert_eq!(field!(Shock::AiBust | Shock::RateStep { date }), "date");
        assert_eq!(field!(AsicDisposal::MoveTo as move_to), "move_to");
    }

    #[test]
    fn snake_case_as_serde_writes_it() {
        assert!(is_snake_case_of("MoveTo", "move_to"));
        assert!(is_snake_case_of("Sell", "sell"));
        assert!(!is_snake_case_of("MoveTo", "moveto"));
        assert!(!is_snake_case_of("MoveTo", "move_to_"));
        assert!(!is_snake_case_of("MoveTo", "move"));
        // The variant key `field!` checks is the one serde writes.
        let moved = serde_json::to_value(AsicDisposal::MoveTo("b".into())).ok();
        let key = moved
            .as_ref()
            .and_then(|v| v.as_object())
            .and_then(|m| m.keys().next().cloned());
        assert_eq!(
            key.as_deref(),
            Some(field!(AsicDisposal::MoveTo as move_to))
        );
    }

    /// `field!` checks Rust field names; they are serde's keys only while no type renames a
    /// field. Any `rename`, `alias` or `flatten`, or a `rename_all` other than snake_case
    /// (which leaves snake_case fields as they are), in the types' sources fails this test:
    /// whoever adds one must make the paths in messages follow it.
    #[test]
    fn no_scenario_type_renames_a_field() {
        let sources = [
            ("types.rs", include_str!("types.rs")),
            ("types/finance.rs", include_str!("types/finance.rs")),
            ("types/markets.rs", include_str!("types/markets.rs")),
            ("types/plans.rs", include_str!("types/plans.rs")),
            ("types/sites.rs", include_str!("types/sites.rs")),
        ];
        // A new submodule of `types` must join the list above.
        let modules = sources[0]
            .1
            .lines()
            .filter(|l| l.starts_with("mod "))
            .count();
        assert_eq!(
            modules,
            sources.len() - 1,
            "types.rs declares a module not read here"
        );
        for (file, text) in sources {
            for (start, _) in text.match_indices("#[serde(") {
                let attr = &text[start..];
                let attr = &attr[..attr.find(")]").unwrap_or(attr.len())];
                let rest = attr.replace("rename_all = \"snake_case\"", "");
                for banned in ["rename", "alias", "flatten"] {
                    assert!(
                        !rest.contains(banned),
                        "{file}: `{banned}` renames or adds a serde key: {attr}"
                    );
                }
            }
        }
    }
}
