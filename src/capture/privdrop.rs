//! Dropping root after the capture is open (tcpdump's `-Z`).
//!
//! Opening a live capture needs root or CAP_NET_RAW; decoding hostile packets does not. So the
//! binary opens everything that needs privilege first and then gives it up for good, before
//! the first packet is decoded:
//!
//! 1. [`plan`] resolves the target early (before anything is opened), so a mistyped `-Z USER`
//!    fails at once and the "still root" notice can be printed before the first packet.
//! 2. The capture handle (`-i`/`-r`) and the `-w` file are opened.
//! 3. [`apply`] switches: `setgroups([gid])` (clears the supplementary groups), `setresgid`,
//!    `setresuid` (real, effective and saved ids alike), then checks the result: the ids read
//!    back as asked, every thread of the process (from `/proc/self/task`) shows them, and
//!    `setuid(0)` now fails. Any failed step is an error: the caller must stop.
//!    Not root (a `setcap` binary run by a user): the capability sets are emptied instead,
//!    so CAP_NET_RAW/CAP_NET_ADMIN do not outlive the open handle.
//!    Last, `PR_SET_NO_NEW_PRIVS` is set where the kernel has it, so nothing this process
//!    could ever execute regains privilege through setuid bits or file capabilities.
//!
//! Threads: the `setres*id(2)` system calls change only the calling thread, but glibc's (and
//! musl's) `setresuid`/`setresgid`/`setgroups` wrappers, which `nix` calls, apply the change
//! to every thread of the process (glibc's nptl "setxid" broadcast). We rely on that and do
//! not trust it blindly: [`apply`] reads every `/proc/self/task/*/status` afterwards and fails
//! if any thread still has other ids. The binary calls it while single-threaded anyway (the
//! pipeline runs on the main thread; signal-hook's flag handlers start no thread).
//! `PR_SET_NO_NEW_PRIVS` and the capability sets (capset(2)) are per thread, inherited by
//! threads created later, and broadcast by no libc: they are set on the calling thread, which
//! is why [`apply`] must run while the process is single-threaded (it checks: a thread that
//! still holds a capability is an error).
//!
//! Rules for the target ([`DropTarget`]):
//! - `Auto` (no `-Z`): as root under sudo (`SUDO_UID` set and not 0) → the invoking user
//!   (`SUDO_UID`, `SUDO_GID` or that user's primary group). As root without `SUDO_UID` → stay
//!   root and say so ([`Plan::notice`]). Not root → nothing to do.
//! - `User(name)` (`-Z USER`): as root → that user (`root` means stay root). Not root → nothing
//!   can be switched; the name is still checked, and the notice says it was ignored (as
//!   tcpdump, which only drops when it is root).
//! - `KeepRoot` (`-Z root`): stay as we are, no notice.

use std::fmt;

use nix::errno::Errno;
use nix::unistd::{Gid, Uid, User};

/// Who to become after the capture is open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DropTarget {
    /// No `-Z`: under sudo become the invoking user, otherwise stay as started.
    #[default]
    Auto,
    /// `-Z USER`.
    User(String),
    /// `-Z root`: keep root on purpose.
    KeepRoot,
}

impl DropTarget {
    /// From the `-Z` value: `root` (or uid 0 by name) keeps root, anything else is a user.
    pub fn from_flag(value: Option<&str>) -> Self {
        match value {
            None => DropTarget::Auto,
            Some("root") => DropTarget::KeepRoot,
            Some(name) => DropTarget::User(name.to_string()),
        }
    }
}

/// The user to switch to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (uid {}, gid {})", self.name, self.uid, self.gid)
    }
}

/// What [`apply`] will do, decided before anything is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Switch to this account.
    Switch { account: Account, from_sudo: bool },
    /// Running as root and staying root. `asked`: the user gave `-Z root`.
    KeepRoot { asked: bool },
    /// Not root: there is nothing to give up. `ignored_user`: a `-Z USER` that cannot apply.
    NotRoot { ignored_user: Option<String> },
}

impl Plan {
    /// A line for standard error, when the operator should know something: still root
    /// without having asked for it, or `-Z` ignored.
    pub fn notice(&self) -> Option<String> {
        match self {
            Plan::KeepRoot { asked: false } => Some(
                "running as root and staying root: packets are decoded with full privileges \
                 (run through sudo to drop to your user, or give -Z USER, e.g. -Z nobody)"
                    .to_string(),
            ),
            Plan::NotRoot {
                ignored_user: Some(u),
            } => Some(format!(
                "not running as root: -Z {} ignored",
                crate::present::escape::escape_str(u)
            )),
            _ => None,
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropOutcome {
    /// Now running as this account, with no way back to root.
    Dropped {
        account: Account,
        from_sudo: bool,
        no_new_privs: bool,
    },
    /// Still root (`asked`: by `-Z root`).
    KeptRoot { asked: bool, no_new_privs: bool },
    /// Was not root: the uid stays, but capabilities the binary was given with `setcap`
    /// (CAP_NET_RAW, CAP_NET_ADMIN) are cleared once the capture is open.
    NotRoot {
        ignored_user: Option<String>,
        no_new_privs: bool,
    },
}

impl DropOutcome {
    /// Same as [`Plan::notice`] for the plan this came from.
    pub fn notice(&self) -> Option<String> {
        match self {
            DropOutcome::KeptRoot { asked, .. } => Plan::KeepRoot { asked: *asked }.notice(),
            DropOutcome::NotRoot { ignored_user, .. } => Plan::NotRoot {
                ignored_user: ignored_user.clone(),
            }
            .notice(),
            DropOutcome::Dropped { .. } => None,
        }
    }
}

/// Why privileges could not be given up. Every variant means: do not go on capturing.
#[derive(Debug, thiserror::Error)]
pub enum PrivDropError {
    #[error("-Z {0}: no such user")]
    NoSuchUser(String),
    #[error("looking up user {name}: {source}")]
    Lookup { name: String, source: Errno },
    #[error("{var}={value} is not a user or group id")]
    BadSudoId { var: &'static str, value: String },
    #[error("SUDO_UID={0} is not in the user database and SUDO_GID is not set")]
    NoSudoGroup(u32),
    #[error("cannot drop privileges to {account}: {step} failed: {source}")]
    Step {
        account: Account,
        step: &'static str,
        source: Errno,
    },
    #[error("cannot drop privileges to {account}: {detail}")]
    Verify { account: Account, detail: String },
    #[error("cannot clear capabilities: {0}")]
    Capabilities(String),
}

impl PrivDropError {
    /// Exit code for the binary: an unknown user is bad usage, the rest a failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            PrivDropError::NoSuchUser(_) | PrivDropError::BadSudoId { .. } => crate::exit::USAGE,
            _ => crate::exit::FAILURE,
        }
    }
}

/// Resolve and apply in one go (for callers with nothing to open in between).
pub fn drop_privileges(target: DropTarget) -> Result<DropOutcome, PrivDropError> {
    apply(&plan(&target)?)
}

/// Decide what to do, for this process (effective uid, `SUDO_UID`/`SUDO_GID`).
pub fn plan(target: &DropTarget) -> Result<Plan, PrivDropError> {
    let env = |k: &str| std::env::var(k).ok();
    plan_for(target, nix::unistd::geteuid().is_root(), &env)
}

/// [`plan`] with the facts passed in, so it can be tested without root.
pub fn plan_for(
    target: &DropTarget,
    is_root: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PrivDropError> {
    match target {
        DropTarget::KeepRoot if is_root => Ok(Plan::KeepRoot { asked: true }),
        DropTarget::KeepRoot => Ok(Plan::NotRoot { ignored_user: None }),
        DropTarget::User(name) => {
            let account = lookup_name(name)?;
            match (is_root, account.uid) {
                (true, 0) => Ok(Plan::KeepRoot { asked: true }),
                (true, _) => Ok(Plan::Switch {
                    account,
                    from_sudo: false,
                }),
                (false, _) => Ok(Plan::NotRoot {
                    ignored_user: Some(name.clone()),
                }),
            }
        }
        DropTarget::Auto if !is_root => Ok(Plan::NotRoot { ignored_user: None }),
        DropTarget::Auto => match sudo_account(env)? {
            Some(account) => Ok(Plan::Switch {
                account,
                from_sudo: true,
            }),
            None => Ok(Plan::KeepRoot { asked: false }),
        },
    }
}

fn lookup_name(name: &str) -> Result<Account, PrivDropError> {
    match User::from_name(name) {
        Ok(Some(u)) => Ok(Account {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
        }),
        Ok(None) => Err(PrivDropError::NoSuchUser(name.to_string())),
        Err(source) => Err(PrivDropError::Lookup {
            name: name.to_string(),
            source,
        }),
    }
}

fn parse_id(var: &'static str, value: &str) -> Result<u32, PrivDropError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|v| *v != u32::MAX)
        .ok_or_else(|| PrivDropError::BadSudoId {
            var,
            value: value.to_string(),
        })
}

/// The user who ran `sudo`, from `SUDO_UID`/`SUDO_GID`; None when unset, empty or root.
fn sudo_account(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Account>, PrivDropError> {
    let Some(uid_s) = env("SUDO_UID").filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let uid = parse_id("SUDO_UID", &uid_s)?;
    if uid == 0 {
        return Ok(None);
    }
    let known = User::from_uid(Uid::from_raw(uid)).ok().flatten();
    let gid = match env("SUDO_GID").filter(|s| !s.trim().is_empty()) {
        Some(g) => parse_id("SUDO_GID", &g)?,
        None => match &known {
            Some(u) => u.gid.as_raw(),
            None => return Err(PrivDropError::NoSudoGroup(uid)),
        },
    };
    let name = known.map(|u| u.name).unwrap_or_else(|| uid.to_string());
    Ok(Some(Account { name, uid, gid }))
}

/// Carry out a [`Plan`]. Call it after the capture handle and the `-w` file are open and
/// before the first packet is decoded, while the process is single-threaded.
pub fn apply(plan: &Plan) -> Result<DropOutcome, PrivDropError> {
    match plan {
        Plan::KeepRoot { asked } => Ok(DropOutcome::KeptRoot {
            asked: *asked,
            no_new_privs: set_no_new_privs(),
        }),
        Plan::NotRoot { ignored_user } => {
            clear_capabilities()?;
            Ok(DropOutcome::NotRoot {
                ignored_user: ignored_user.clone(),
                no_new_privs: set_no_new_privs(),
            })
        }
        Plan::Switch { account, from_sudo } => {
            switch_to(account)?;
            verify(account)?;
            // Leaving uid 0 has already emptied the capability sets; make sure.
            clear_capabilities()?;
            Ok(DropOutcome::Dropped {
                account: account.clone(),
                from_sudo: *from_sudo,
                no_new_privs: set_no_new_privs(),
            })
        }
    }
}

fn switch_to(account: &Account) -> Result<(), PrivDropError> {
    let uid = Uid::from_raw(account.uid);
    let gid = Gid::from_raw(account.gid);
    let step = |step: &'static str| {
        move |source| PrivDropError::Step {
            account: account.clone(),
            step,
            source,
        }
    };
    // Groups first: once the uid is gone, neither call is allowed any more.
    nix::unistd::setgroups(&[gid]).map_err(step("setgroups"))?;
    nix::unistd::setresgid(gid, gid, gid).map_err(step("setresgid"))?;
    nix::unistd::setresuid(uid, uid, uid).map_err(step("setresuid"))?;
    Ok(())
}

fn verify(account: &Account) -> Result<(), PrivDropError> {
    let fail = |detail: String| PrivDropError::Verify {
        account: account.clone(),
        detail,
    };
    let uid = Uid::from_raw(account.uid);
    let gid = Gid::from_raw(account.gid);
    let r = nix::unistd::getresuid().map_err(|e| fail(format!("getresuid failed: {e}")))?;
    if [r.real, r.effective, r.saved] != [uid; 3] {
        return Err(fail(format!(
            "user ids are {}/{}/{} afterwards",
            r.real, r.effective, r.saved
        )));
    }
    let g = nix::unistd::getresgid().map_err(|e| fail(format!("getresgid failed: {e}")))?;
    if [g.real, g.effective, g.saved] != [gid; 3] {
        return Err(fail(format!(
            "group ids are {}/{}/{} afterwards",
            g.real, g.effective, g.saved
        )));
    }
    let groups = nix::unistd::getgroups().map_err(|e| fail(format!("getgroups failed: {e}")))?;
    if groups.iter().any(|x| *x != gid) {
        return Err(fail(format!("supplementary groups remain: {groups:?}")));
    }
    if account.uid != 0 && nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(fail(
            "setuid(0) succeeded: root could be regained".to_string(),
        ));
    }
    verify_threads(account).map_err(fail)
}

/// Every thread of the process must carry the new ids (see the module notes on setxid).
/// Without `/proc` there is nothing to read and the check passes.
fn verify_threads(account: &Account) -> Result<(), String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Ok(());
    };
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        for (key, want) in [("Uid:", account.uid), ("Gid:", account.gid)] {
            let ids = status_ids(&status, key);
            if ids.len() != 4 || ids.iter().any(|v| *v != want) {
                return Err(format!(
                    "thread {} still has {key} {ids:?}",
                    task.file_name().to_string_lossy()
                ));
            }
        }
    }
    Ok(())
}

/// The numbers on a `/proc/*/status` line such as `Uid:\t0\t0\t0\t0`.
fn status_ids(status: &str, key: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Empty the permitted, effective, inheritable and ambient capability sets (a `setcap`
/// binary run by a user keeps CAP_NET_RAW/CAP_NET_ADMIN otherwise), then check every thread:
/// unlike the uid calls, capset(2) is per thread and no libc wrapper broadcasts it.
fn clear_capabilities() -> Result<(), PrivDropError> {
    #[cfg(target_os = "linux")]
    {
        use caps::CapSet;
        let fail = |e: caps::errors::CapsError| PrivDropError::Capabilities(e.to_string());
        // Ambient needs a kernel >= 4.3; without it there is nothing ambient to clear.
        if caps::runtime::ambient_set_supported().is_ok() {
            caps::clear(None, CapSet::Ambient).map_err(fail)?;
        }
        caps::clear(None, CapSet::Inheritable).map_err(fail)?;
        caps::clear(None, CapSet::Permitted).map_err(fail)?;
        verify_no_capabilities().map_err(PrivDropError::Capabilities)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(())
    }
}

/// No thread of the process (from `/proc/self/task`) has a permitted or effective capability.
fn verify_no_capabilities() -> Result<(), String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Ok(());
    };
    for task in tasks.flatten() {
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        for key in ["CapPrm:", "CapEff:"] {
            let value = status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim);
            if let Some(v) = value {
                if v.chars().any(|c| c != '0') {
                    return Err(format!(
                        "thread {} still has {key} {v} (call it while single-threaded)",
                        task.file_name().to_string_lossy()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `PR_SET_NO_NEW_PRIVS` where the kernel has it; false when it could not be set.
fn set_no_new_privs() -> bool {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_no_new_privs().is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn flag_values() {
        assert_eq!(DropTarget::from_flag(None), DropTarget::Auto);
        assert_eq!(DropTarget::from_flag(Some("root")), DropTarget::KeepRoot);
        assert_eq!(
            DropTarget::from_flag(Some("nobody")),
            DropTarget::User("nobody".into())
        );
    }

    #[test]
    fn root_with_sudo_drops_to_the_invoking_user() {
        let env = env_of(&[("SUDO_UID", "65534"), ("SUDO_GID", "65534")]);
        let p = plan_for(&DropTarget::Auto, true, &env).expect("plan");
        match p {
            Plan::Switch {
                account,
                from_sudo: true,
            } => {
                assert_eq!((account.uid, account.gid), (65534, 65534));
                assert_eq!(account.name, "nobody");
            }
            other => panic!("expected a switch, got {other:?}"),
        }
        assert_eq!(
            plan_for(&DropTarget::Auto, true, &env)
                .expect("plan")
                .notice(),
            None
        );
    }

    #[test]
    fn sudo_gid_defaults_to_the_primary_group_and_unknown_uids_need_it() {
        let env = env_of(&[("SUDO_UID", "65534")]);
        let Plan::Switch { account, .. } = plan_for(&DropTarget::Auto, true, &env).expect("plan")
        else {
            panic!("expected a switch");
        };
        assert_eq!(account.gid, 65534);
        let env = env_of(&[("SUDO_UID", "4000000")]);
        assert!(matches!(
            plan_for(&DropTarget::Auto, true, &env),
            Err(PrivDropError::NoSudoGroup(4000000))
        ));
        let env = env_of(&[("SUDO_UID", "4000000"), ("SUDO_GID", "4000001")]);
        let Plan::Switch { account, .. } = plan_for(&DropTarget::Auto, true, &env).expect("plan")
        else {
            panic!("expected a switch");
        };
        assert_eq!(
            (account.name.as_str(), account.uid, account.gid),
            ("4000000", 4000000, 4000001)
        );
    }

    #[test]
    fn root_without_sudo_stays_root_and_says_so() {
        let env = env_of(&[]);
        let p = plan_for(&DropTarget::Auto, true, &env).expect("plan");
        assert_eq!(p, Plan::KeepRoot { asked: false });
        assert!(p.notice().expect("notice").contains("staying root"));
        // sudo from a root shell: SUDO_UID=0 is no reason to switch.
        let env = env_of(&[("SUDO_UID", "0"), ("SUDO_GID", "0")]);
        assert_eq!(
            plan_for(&DropTarget::Auto, true, &env).expect("plan"),
            Plan::KeepRoot { asked: false }
        );
        // Asked for: no notice.
        let p = plan_for(&DropTarget::KeepRoot, true, &env).expect("plan");
        assert_eq!(p, Plan::KeepRoot { asked: true });
        assert_eq!(p.notice(), None);
        assert_eq!(
            plan_for(&DropTarget::User("root".into()), true, &env).expect("plan"),
            Plan::KeepRoot { asked: true }
        );
    }

    #[test]
    fn bad_sudo_ids_are_errors() {
        let env = env_of(&[("SUDO_UID", "alice")]);
        let e = plan_for(&DropTarget::Auto, true, &env).expect_err("bad uid");
        assert_eq!(e.to_string(), "SUDO_UID=alice is not a user or group id");
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        let env = env_of(&[("SUDO_UID", "65534"), ("SUDO_GID", "-1")]);
        assert!(matches!(
            plan_for(&DropTarget::Auto, true, &env),
            Err(PrivDropError::BadSudoId {
                var: "SUDO_GID",
                ..
            })
        ));
    }

    #[test]
    fn named_user() {
        let env = env_of(&[("SUDO_UID", "1234")]);
        let p = plan_for(&DropTarget::User("nobody".into()), true, &env).expect("plan");
        let Plan::Switch {
            account,
            from_sudo: false,
        } = p
        else {
            panic!("expected a switch, got {p:?}")
        };
        assert_eq!(account.uid, 65534);
        assert_eq!(
            account.to_string(),
            format!("nobody (uid 65534, gid {})", account.gid)
        );
        let e = plan_for(&DropTarget::User("no-such-squirrel".into()), true, &env)
            .expect_err("unknown");
        assert_eq!(e.to_string(), "-Z no-such-squirrel: no such user");
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        // Checked even when not root, then ignored with a notice.
        assert!(plan_for(&DropTarget::User("no-such-squirrel".into()), false, &env).is_err());
        let p = plan_for(&DropTarget::User("nobody".into()), false, &env).expect("plan");
        assert_eq!(
            p.notice().as_deref(),
            Some("not running as root: -Z nobody ignored")
        );
    }

    #[test]
    fn not_root_needs_nothing() {
        let env = env_of(&[("SUDO_UID", "65534")]);
        assert_eq!(
            plan_for(&DropTarget::Auto, false, &env).expect("plan"),
            Plan::NotRoot { ignored_user: None }
        );
        assert_eq!(
            plan_for(&DropTarget::KeepRoot, false, &env)
                .expect("plan")
                .notice(),
            None
        );
    }

    #[test]
    fn status_lines() {
        let s = "Name:\tx\nUid:\t0\t65534\t0\t0\nGid:\t1\t1\t1\t1\nGroups:\t\n";
        assert_eq!(status_ids(s, "Uid:"), vec![0, 65534, 0, 0]);
        assert_eq!(status_ids(s, "Gid:"), vec![1, 1, 1, 1]);
        assert!(status_ids(s, "Groups:").is_empty());
    }
}
