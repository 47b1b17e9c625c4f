//! The one error type for everything wrong with a scenario: where it is and what was expected.
//!
//! Every rejection names the file, the field path (`sites[0].halls[1].cooling_mw`), the line
//! and column, and says what was expected, so a user fixes it in one edit. The binary maps
//! every `ScenarioError` to exit code 2.

use std::fmt;

use thiserror::Error;

use crate::names;
use crate::source::Position;

/// Which class of mistake an error is; tests and scripts can match on it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be read (missing, unreadable, not UTF-8).
    Io,
    /// Malformed YAML, or an empty file.
    Syntax,
    /// A parser or size limit was exceeded (file size, depth, aliases).
    Limit,
    /// A field the format does not know (often a misspelling).
    UnknownField,
    /// A required field is absent.
    MissingField,
    /// A value of the wrong type (text where a number belongs, and so on).
    Type,
    /// A number outside its meaningful range (negative, NaN, absurdly large).
    Range,
    /// Values that are each fine but physically impossible together (a hall that overheats,
    /// a site that draws more than its grid connection).
    Physics,
    /// A reference to something that does not exist, or a duplicated name.
    Reference,
    /// A `--set` override that cannot be applied.
    Override,
}

impl ErrorKind {
    /// A short lowercase label used in messages.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Io => "cannot read",
            ErrorKind::Syntax => "syntax",
            ErrorKind::Limit => "limit",
            ErrorKind::UnknownField => "unknown field",
            ErrorKind::MissingField => "missing field",
            ErrorKind::Type => "wrong type",
            ErrorKind::Range => "out of range",
            ErrorKind::Physics => "impossible",
            ErrorKind::Reference => "bad reference",
            ErrorKind::Override => "bad override",
        }
    }
}

/// Something wrong with a scenario, located in its file.
#[derive(Debug, Clone, Error)]
pub struct ScenarioError {
    /// The file as named to the user.
    pub file: String,
    /// Field path such as `sites[0].grid_mw`; empty for the whole document.
    pub path: String,
    /// Where in the file; line 0 when unknown (for example, a file that could not be read).
    pub position: Position,
    /// The class of mistake.
    pub kind: ErrorKind,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// Builds an error. The file, the path (which holds the user's keys) and the message are
    /// made single-line and bounded here ([`names::bounded`]), so no user text, however it
    /// reached the message, can forge a second line or make a message megabytes long; the
    /// user text a message quotes should already have gone through [`names::shown`].
    pub fn new(
        file: &str,
        path: &str,
        position: Position,
        kind: ErrorKind,
        message: String,
    ) -> Self {
        ScenarioError {
            file: names::bounded(file, names::MAX_PATH_CHARS),
            path: names::bounded(path, names::MAX_PATH_CHARS),
            position,
            kind,
            message: names::one_line(&message),
        }
    }
}

impl fmt::Display for ScenarioError {
    /// `file:line:column: field `path`: message (kind)`; parts that are unknown are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.position.line > 0 {
            write!(f, ":{}:{}", self.position.line, self.position.column)?;
        }
        if self.path.is_empty() {
            write!(f, ": {} [{}]", self.message, self.kind.label())
        } else {
            write!(
                f,
                ": field `{}`: {} [{}]",
                self.path,
                self.message,
                self.kind.label()
            )
        }
    }
}
