//! User-given names and text: what a name may hold, the file stem it gets, and how any text
//! the user wrote is quoted back in a message.
//!
//! Every rule about names lives here once, so validation, the model's `--stress` variants,
//! the report's file names and every error message agree:
//! - [`name_problem`]: a name is non-blank (whitespace and zero-width characters alone do
//!   not count), at most [`MAX_NAME_CHARS`] characters (counted as `char`s, not bytes, so a
//!   name in Japanese gets the same room as one in English), and holds no control character
//!   (C0, DEL, C1), line separator or bidirectional mark, override or isolate, which could
//!   break a message's line or make a report read differently from what it holds.
//! - [`file_stem`]: the part of a file name a plan's name gives (the report's per-plan plot
//!   files); [`stem_key`] is what two stems must not share, compared without ASCII case,
//!   because macOS and Windows file systems treat `A.png` and `a.png` as one file.
//! - [`stressed_name`]: the name of a plan run under a `--stress` set, `plan [stress]`.
//! - [`shown`]: user text inside a message, escaped (`\n`, `\u{202e}`) and cut to
//!   [`MAX_SHOWN_CHARS`] characters, so a 3 MB reference cannot make a 3 MB message and a key
//!   holding a newline cannot forge a second `error:` line; [`one_line`] applies the same
//!   escaping to a whole message, as a last guard where messages are printed.

use std::fmt;

/// The most characters (Unicode scalar values, not bytes) a name may have.
pub const MAX_NAME_CHARS: usize = 200;

/// The most characters of one piece of user text a message quotes; the rest is counted.
pub const MAX_SHOWN_CHARS: usize = 80;

/// The most characters of a whole message ([`one_line`]); the rest is counted.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// The most characters of a field path or a file name in a message; the rest is counted.
pub const MAX_PATH_CHARS: usize = 300;

/// Characters a name may not hold: controls (C0, DEL and C1, which `char::is_control`
/// covers), the Unicode line and paragraph separators (U+2028, U+2029, which some viewers
/// break lines at), and the bidirectional marks, embeddings, overrides and isolates (U+061C,
/// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder the text shown around them.
pub fn is_forbidden_in_name(c: char) -> bool {
    c.is_control() || is_invisible_control(c)
}

/// The characters besides `char::is_control` that [`is_forbidden_in_name`] refuses and
/// messages escape (the standard `escape_debug` prints them as they are).
fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// What is wrong with `name` as a name, in words that say what was expected; `None` when it
/// is a valid name.
pub fn name_problem(name: &str) -> Option<String> {
    // Zero-width characters are not whitespace to `trim`, but a name of them looks empty.
    let invisible = |c: char| {
        c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
    };
    if name.chars().all(invisible) {
        return Some("expected a non-empty name".into());
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Some(format!(
            "the name has {chars} characters; expected at most {MAX_NAME_CHARS}"
        ));
    }
    if let Some((i, c)) = name
        .chars()
        .enumerate()
        .find(|&(_, c)| is_forbidden_in_name(c))
    {
        return Some(format!(
            "the name holds the control character {} at character {}; expected printable \
             text (no line breaks, tabs or direction marks)",
            c.escape_debug_unicode(),
            i + 1
        ));
    }
    None
}

/// The file stem a name gives: ASCII letters, digits, `-` and `_` kept, every other
/// character `_`. The stem keeps its case; see [`stem_key`] for comparing stems.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The key under which two names' file stems collide: the stem in ASCII lower case, since
/// case-insensitive file systems (macOS, Windows) would write both to one file.
pub fn stem_key(name: &str) -> String {
    file_stem(name).to_ascii_lowercase()
}

/// The name of plan `plan` run under the stress set `stress`.
pub fn stressed_name(plan: &str, stress: &str) -> String {
    format!("{plan} [{stress}]")
}

/// The candidate closest to `given` by edit distance (insertions, deletions, substitutions
/// and swaps of neighbours, case ignored), for a "did you mean" hint: only when it is within
/// a third of the longer name (at least 1, at most 3 edits), so a hint is a likely typo,
/// never a guess.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = given;
    let given: Vec<char> = given.to_lowercase().chars().collect();
    candidates
        .into_iter()
        .map(|c| {
            let chars: Vec<char> = c.to_lowercase().chars().collect();
            let limit = (given.len().max(chars.len()) / 3).clamp(1, 3);
            (edit_distance(&given, &chars), limit, c)
        })
        .filter(|(d, limit, c)| *c != typed && d <= limit)
        .min_by_key(|(d, _, _)| *d)
        .map(|(_, _, c)| c)
}

/// Optimal-string-alignment distance between `a` and `b`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[(i - 1) * width + j] + 1)
                    .min(d[i * width + j - 1] + 1)
                    .min(d[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * width + b.len()]
}

/// User text for a message: see [`shown`].
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a>(&'a str);

/// `text` as a message quotes it: every control character, bidirectional control and
/// backslash escaped as Rust writes them (`\n`, `\t`, `\u{7f}`, `\\`), and at most
/// [`MAX_SHOWN_CHARS`] characters followed by `… (N more characters)`.
pub fn shown(text: &str) -> Shown<'_> {
    Shown(text)
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_bounded(f, self.0, MAX_SHOWN_CHARS, true)
    }
}

/// A whole message made safe to print on one line: see [`bounded`], at most
/// [`MAX_MESSAGE_CHARS`] characters.
pub fn one_line(message: &str) -> String {
    bounded(message, MAX_MESSAGE_CHARS)
}

/// `text` with its control and bidirectional characters escaped (a backslash is left alone,
/// so text already passed through [`shown`] is unchanged) and cut to `limit` characters
/// followed by `… (N more characters)`: for a message, a field path or a file name, which
/// hold user text among the program's own.
pub fn bounded(text: &str, limit: usize) -> String {
    let mut out = String::new();
    let _ = write_bounded(&mut out, text, limit, false);
    out
}

fn write_bounded(
    out: &mut impl fmt::Write,
    text: &str,
    limit: usize,
    escape_backslash: bool,
) -> fmt::Result {
    let mut chars = text.chars();
    for c in chars.by_ref().take(limit) {
        if is_forbidden_in_name(c) || (escape_backslash && c == '\\') {
            write!(out, "{}", c.escape_debug_unicode())?;
        } else {
            out.write_char(c)?;
        }
    }
    let rest = chars.count();
    if rest > 0 {
        let s = if rest == 1 { "" } else { "s" };
        write!(out, "… ({rest} more character{s})")?;
    }
    Ok(())
}

/// `escape_debug`, except that it escapes the line separators and bidirectional controls
/// too (the standard one leaves some of them as they are).
trait EscapeForMessage {
    fn escape_debug_unicode(self) -> String;
}

impl EscapeForMessage for char {
    fn escape_debug_unicode(self) -> String {
        if is_invisible_control(self) {
            self.escape_unicode().to_string()
        } else {
            self.escape_debug().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_count_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(at_limit.len(), 2 * MAX_NAME_CHARS);
        assert_eq!(name_problem(&at_limit), None);
        let over = "é".repeat(MAX_NAME_CHARS + 1);
        assert!(name_problem(&over).unwrap().contains("201 characters"));
    }

    #[test]
    fn names_refuse_blank_and_control_characters() {
        for bad in [
            "",
            "  ",
            "a\nb",
            "a\tb",
            "a\u{7f}",
            "a\u{85}b",
            "a\u{9f}",
            "x\u{202e}y",
            "\u{2066}",
            "a\u{2028}b",
            "a\u{200f}",
            "\u{200b}\u{feff} ",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        for good in ["a", "Plan B (2026)", "計画 A", "a,b;c=d"] {
            assert_eq!(name_problem(good), None, "{good:?}");
        }
    }

    #[test]
    fn stems_and_their_keys() {
        assert_eq!(file_stem("a,b"), "a_b");
        assert_eq!(file_stem("a;b"), "a_b");
        assert_eq!(file_stem("Hold-2_x"), "Hold-2_x");
        assert_eq!(stem_key("Hold"), stem_key("hold"));
        assert_eq!(stem_key("a [s]"), stem_key(&stressed_name("a", "s")));
    }

    #[test]
    fn shown_escapes_and_bounds() {
        assert_eq!(shown("a\nerror: b").to_string(), "a\\nerror: b");
        assert_eq!(shown("x\u{202e}\\").to_string(), "x\\u{202e}\\\\");
        assert_eq!(shown("a\u{2028}b").to_string(), "a\\u{2028}b");
        let long = "é".repeat(3 * MAX_SHOWN_CHARS);
        let text = shown(&long).to_string();
        assert!(text.ends_with(&format!("… ({} more characters)", 2 * MAX_SHOWN_CHARS)));
        assert_eq!(text.chars().filter(|&c| c == 'é').count(), MAX_SHOWN_CHARS);
        assert_eq!(
            shown(&"a".repeat(MAX_SHOWN_CHARS + 1)).to_string(),
            format!("{}… (1 more character)", "a".repeat(MAX_SHOWN_CHARS))
        );
    }

    #[test]
    fn one_line_leaves_shown_text_alone() {
        let message = format!("no site is named `{}`", shown("a\\b\nc"));
        assert_eq!(one_line(&message), message);
        assert_eq!(one_line("a\nerror: b"), "a\\nerror: b");
        assert!(!one_line(&"x".repeat(10 * MAX_MESSAGE_CHARS)).contains('\n'));
    }

    #[test]
    fn the_closest_name_is_a_likely_typo_or_none() {
        let keys = ["volatility", "drift_per_year", "price_usd"];
        assert_eq!(closest("volatilty", keys), Some("volatility"));
        assert_eq!(closest("drfit_per_year", keys), Some("drift_per_year"));
        assert_eq!(closest("Price_USD", keys), Some("price_usd"));
        assert_eq!(closest("halls", keys), None);
        assert_eq!(
            closest("volatility", keys),
            None,
            "an exact name needs no hint"
        );
    }
}
