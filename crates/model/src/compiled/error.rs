//! Why a scenario does not compile, as a typed error with its reason.

use pivotsim_scenario::Date;
use pivotsim_scenario::names::shown;
use pivotsim_scenario::resolve::Unresolved;

/// Why a scenario does not compile. Validation rules out all of these but the ones about the
/// selected `--stress` sets (unknown, selected twice, or giving two plans one file stem);
/// they are errors, not panics, so a scenario that bypassed validation (an echo, a shard
/// manifest) is refused with a reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompileError {
    /// The horizon's end is past the last date chrono's calendar supports.
    #[error(
        "the horizon ({years} years from {start}) runs past the last date the calendar supports"
    )]
    HorizonPastCalendar {
        /// The scenario's start.
        start: Date,
        /// Its horizon, years.
        years: u32,
    },
    /// A date before the start, which the simulation clock cannot represent.
    #[error("field `{path}`: {date} is before the start of the simulation")]
    BeforeStart {
        /// The field's path, `plans[1].actions[0].date`.
        path: String,
        /// The date.
        date: Date,
    },
    /// A `--stress` name the scenario does not define.
    #[error(
        "--stress {}: the scenario has no stress of that name; expected one of: {known}",
        shown(name)
    )]
    UnknownStress {
        /// The name asked for.
        name: String,
        /// The scenario's stresses, comma-separated.
        known: String,
    },
    /// A `--stress` name selected twice, which would run the same plans twice under one name.
    #[error(
        "--stress {}: this stress is selected twice; expected each at most once",
        shown(name)
    )]
    DuplicateStress {
        /// The name given twice.
        name: String,
    },
    /// Two plans, stressed or not, whose names give one file stem (the report names plot files
    /// after plans, so one would overwrite the other).
    #[error(
        "plans `{}` and `{}` would write their files under one stem, `{}` (stems keep ASCII \
         letters, digits, `-` and `_`, and are compared without case); expected plan and \
         stress names whose stems differ",
        shown(first),
        shown(second),
        shown(stem)
    )]
    NameClash {
        /// The earlier plan's name.
        first: String,
        /// The later plan's name.
        second: String,
        /// Their shared stem.
        stem: String,
    },
    /// A site or hall name that does not resolve.
    #[error(transparent)]
    Unresolved(#[from] Unresolved),
}
