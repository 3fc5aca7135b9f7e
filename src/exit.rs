//! Exit codes of the program, one per kind of failure (documented in the manual page).
//! Below every stage so a stage's error can say which code it ends the run with.

pub const OK: i32 = 0;
/// Output or other runtime failure.
pub const FAILURE: i32 = 1;
/// Bad usage: unknown option, invalid capture or display filter.
pub const USAGE: i32 = 2;
/// Input cannot be read: missing file, not a capture, unsupported version.
pub const INPUT: i32 = 3;
/// Input truncated or corrupt part-way: the packets before it were processed.
pub const TRUNCATED: i32 = 4;
/// Live capture: no such interface, or the interface cannot capture.
pub const INTERFACE: i32 = 5;
/// Live capture: permission denied.
pub const PERMISSION: i32 = 6;
/// `--fail-on-leak`: a secret or credential was seen in clear.
pub const LEAK: i32 = 7;
