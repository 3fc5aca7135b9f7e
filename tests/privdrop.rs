//! Privilege drop (`-Z USER`, and the invoking user under sudo): the credentials of the
//! running sniffer are read from `/proc/<pid>/status` while it captures. Needs root: elsewhere
//! the root-only tests say "skipped"; with CI=true a skip is a failure.
//!
//! Every server this file starts, it stops; every sniffer it spawns, it waits for.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;

fn root_or_skip() -> bool {
    if is_root() {
        return true;
    }
    if ci() {
        panic!("privilege-drop tests must run as root in CI (CI=true)");
    }
    eprintln!("skipped: privilege-drop tests need root");
    false
}

/// Fail with one clear line when the binary does not know `-Z` yet.
fn check_wired(stderr: &str) {
    if stderr.contains("unexpected argument '-Z'") || stderr.contains("unexpected argument '-Z") {
        panic!(
            "-Z not wired yet: squirrel-sniff rejects the flag ({})",
            stderr.trim()
        );
    }
}

fn get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).expect("send");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp
}

/// A running sniffer: the first stderr line was "listening on lo"; the rest is drained in
/// the background.
struct Sniffer {
    child: Child,
    first_line: String,
    rest: Option<std::thread::JoinHandle<String>>,
}

impl Sniffer {
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Sniffer {
        let mut cmd = bin();
        cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        for k in ["SUDO_UID", "SUDO_GID", "SUDO_USER", "SUDO_COMMAND"] {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn");
        let mut r = BufReader::new(child.stderr.take().expect("stderr"));
        // Up to the "listening on" line (a notice may come before it).
        let mut first_line = String::new();
        for _ in 0..5 {
            let mut line = String::new();
            if r.read_line(&mut line).expect("read stderr") == 0 {
                break;
            }
            first_line.push_str(&line);
            if line.contains("listening on lo") {
                break;
            }
        }
        if !first_line.contains("listening on lo") {
            let mut rest = String::new();
            let _ = r.read_to_string(&mut rest);
            let _ = child.wait();
            let all = format!("{first_line}{rest}");
            check_wired(&all);
            panic!(
                "unexpected stderr from squirrel-sniff {}: {all}",
                args.join(" ")
            );
        }
        let rest = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        });
        Sniffer {
            child,
            first_line,
            rest: Some(rest),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wait for the exit (killing it after `secs`); returns (success, stdout, stderr after
    /// the first line).
    fn finish(mut self, secs: u64) -> (bool, String, String) {
        let t = Instant::now();
        let status = loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                break st;
            }
            if t.elapsed() > Duration::from_secs(secs) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("squirrel-sniff did not stop within {secs}s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        if let Some(mut o) = self.child.stdout.take() {
            let _ = o.read_to_string(&mut out);
        }
        let err = self
            .rest
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        (status.success(), out, err)
    }

    fn interrupt(&self) {
        let st = std::process::Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
    }
}

impl Drop for Sniffer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Credentials of a process (or one of its threads), from its `status` file.
#[derive(Debug, PartialEq, Eq)]
struct Creds {
    uid: Vec<u32>,
    gid: Vec<u32>,
    groups: Vec<u32>,
    cap_eff: String,
    no_new_privs: Option<String>,
}

fn creds_of(status_path: &str) -> Option<Creds> {
    let s = std::fs::read_to_string(status_path).ok()?;
    let field = |k: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::trim)
            .map(str::to_string)
    };
    let nums = |k: &str| -> Vec<u32> {
        field(k)
            .map(|v| {
                v.split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    Some(Creds {
        uid: nums("Uid:"),
        gid: nums("Gid:"),
        groups: nums("Groups:"),
        cap_eff: field("CapEff:").unwrap_or_default(),
        no_new_privs: field("NoNewPrivs:"),
    })
}

/// Poll until the process's real/effective/saved/fs uid are all `uid` and the drop has set
/// no_new_privs (or time out).
fn wait_for_uid(pid: u32, uid: u32) -> Creds {
    let path = format!("/proc/{pid}/status");
    let t = Instant::now();
    loop {
        let c =
            creds_of(&path).unwrap_or_else(|| panic!("squirrel-sniff (pid {pid}) exited early"));
        // The drop ends with PR_SET_NO_NEW_PRIVS, a step after setresuid: wait for it too
        // (where the kernel reports it), so the checks see the finished drop, not a midpoint.
        let finished = c.no_new_privs.as_deref().is_none_or(|n| n == "1");
        if c.uid.len() == 4 && c.uid.iter().all(|u| *u == uid) && finished {
            return c;
        }
        if t.elapsed() > Duration::from_secs(5) {
            panic!(
                "privilege drop not wired yet (or not working): after 5 s squirrel-sniff still has \
                 Uid: {:?} Gid: {:?} Groups: {:?}, expected uid {uid}",
                c.uid, c.gid, c.groups
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every thread of `pid` has exactly these credentials and no capabilities left.
fn assert_dropped_everywhere(pid: u32, uid: u32, gid: u32) {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("task dir");
    let mut n = 0;
    for t in tasks.flatten() {
        let Some(c) = creds_of(&format!("{}/status", t.path().display())) else {
            continue;
        };
        n += 1;
        assert_eq!(
            c.uid,
            vec![uid; 4],
            "thread {:?}: real/effective/saved/fs uid",
            t.file_name()
        );
        assert_eq!(
            c.gid,
            vec![gid; 4],
            "thread {:?}: real/effective/saved/fs gid",
            t.file_name()
        );
        assert!(
            c.groups.iter().all(|g| *g == gid),
            "thread {:?}: supplementary groups remain: {:?}",
            t.file_name(),
            c.groups
        );
        assert_eq!(
            c.cap_eff,
            "0000000000000000",
            "thread {:?}: effective capabilities remain",
            t.file_name()
        );
        if let Some(nnp) = &c.no_new_privs {
            assert_eq!(nnp, "1", "thread {:?}: no_new_privs is set", t.file_name());
        }
    }
    assert!(n >= 1, "no thread of {pid} could be read");
}

/// Capture `-c 6` on lo for one GET while `check` looks at the running process.
fn capture_one_get(
    extra: &[&str],
    env: &[(&str, &str)],
    check: impl FnOnce(u32),
) -> (String, String) {
    let (port, srv) = http_server(1);
    let p = port.to_string();
    let mut args = vec!["-i", "lo", "--port", &p, "-c", "6", "--json"];
    args.extend_from_slice(extra);
    let sn = Sniffer::spawn(&args, env);
    check(sn.pid());
    assert!(get(port, "/secret-squirrel").ends_with("fluffy tail"));
    srv.join().expect("server");
    let first = sn.first_line.clone();
    let (ok, out, err) = sn.finish(20);
    assert!(ok, "squirrel-sniff failed: {first}{err}");
    // Decoding still works after the drop: the request is dissected.
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(of_type(&v, "packet").len(), 6);
    let req = v
        .iter()
        .find(|x| x["type"] == "http.request")
        .expect("request dissected after the drop");
    assert_eq!(req["uri"], "/secret-squirrel");
    (out, format!("{first}{err}"))
}

#[test]
fn dash_z_nobody_drops_root_while_capturing() {
    if !root_or_skip() {
        return;
    }
    let (_, err) = capture_one_get(&["-Z", "nobody"], &[], |pid| {
        wait_for_uid(pid, NOBODY);
        assert_dropped_everywhere(pid, NOBODY, NOBODY);
    });
    assert!(
        !err.contains("root"),
        "no notice when the drop was asked for: {err}"
    );
}

#[test]
fn under_sudo_it_becomes_the_invoking_user() {
    if !root_or_skip() {
        return;
    }
    let env = [
        ("SUDO_UID", "65534"),
        ("SUDO_GID", "65534"),
        ("SUDO_USER", "nobody"),
    ];
    capture_one_get(&[], &env, |pid| {
        wait_for_uid(pid, NOBODY);
        assert_dropped_everywhere(pid, NOBODY, NOBODY);
    });
}

#[test]
fn root_without_sudo_stays_root_and_says_so() {
    if !root_or_skip() {
        return;
    }
    let (_, err) = capture_one_get(&[], &[], |pid| {
        std::thread::sleep(Duration::from_millis(300));
        let c = creds_of(&format!("/proc/{pid}/status")).expect("status");
        assert_eq!(c.uid, vec![0; 4], "stays root");
    });
    assert!(err.contains("staying root"), "a notice says so: {err}");
}

#[test]
fn dash_z_root_keeps_root_quietly() {
    if !root_or_skip() {
        return;
    }
    let env = [("SUDO_UID", "65534"), ("SUDO_GID", "65534")];
    let (_, err) = capture_one_get(&["-Z", "root"], &env, |pid| {
        std::thread::sleep(Duration::from_millis(300));
        let c = creds_of(&format!("/proc/{pid}/status")).expect("status");
        assert_eq!(c.uid, vec![0; 4], "-Z root wins over SUDO_UID");
    });
    assert!(
        !err.contains("staying root"),
        "asked for, so no notice: {err}"
    );
}

/// A directory `nobody` owns (mode 700), for files the dropped sniffer must create.
fn nobody_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ss-privdrop-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ok = std::process::Command::new("chown")
        .arg(format!("{NOBODY}:{NOBODY}"))
        .arg(&dir)
        .status()
        .expect("chown")
        .success()
        && std::process::Command::new("chmod")
            .arg("700")
            .arg(&dir)
            .status()
            .expect("chmod")
            .success();
    assert!(ok, "chown/chmod {}", dir.display());
    dir
}

fn owner_uid(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).expect("stat").uid()
}

/// The `-w` file is opened after the drop, as tcpdump does: it is created by (and owned by)
/// the user the sniffer became, and it is complete after Ctrl-C. A directory only root may
/// write into is refused with one clear line.
#[test]
fn write_file_opened_after_the_drop() {
    if !root_or_skip() {
        return;
    }
    let dir = nobody_dir("w");
    let live_file = dir.join("live.pcap");
    let (port, srv) = http_server(1);
    let p = port.to_string();
    let sn = Sniffer::spawn(
        &[
            "-i",
            "lo",
            "-w",
            live_file.to_str().expect("path"),
            "-Z",
            "nobody",
            "--port",
            &p,
        ],
        &[],
    );
    wait_for_uid(sn.pid(), NOBODY);
    assert!(get(port, "/nut").ends_with("fluffy tail"));
    srv.join().expect("server");
    std::thread::sleep(Duration::from_millis(300));
    sn.interrupt();
    let (ok, _, err) = sn.finish(20);
    assert!(ok, "{err}");
    assert_eq!(owner_uid(&live_file), NOBODY, "created as nobody");
    let o = run(&["-r", live_file.to_str().expect("path"), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = ndjson(&o);
    assert!(
        of_type(&v, "packet").len() >= 8,
        "the live -w file is complete"
    );
    assert_eq!(of_type(&v, "http.request").len(), 1);

    // Replaying with -w: also created as nobody, and the same packets.
    let src = captures().join("squirrel-http.pcap");
    let replay_file = dir.join("replay.pcap");
    let o = run(&[
        "-r",
        src.to_str().expect("path"),
        "-w",
        replay_file.to_str().expect("path"),
        "-Z",
        "nobody",
    ]);
    check_wired(&stderr(&o));
    assert_eq!(
        o.status.code(),
        Some(0),
        "-r … -w FILE -Z nobody: {}",
        stderr(&o)
    );
    assert_eq!(owner_uid(&replay_file), NOBODY, "created as nobody");
    let a = run(&["-r", src.to_str().expect("path"), "--json"]);
    let b = run(&["-r", replay_file.to_str().expect("path"), "--json"]);
    assert_eq!(
        of_type(&ndjson(&a), "packet").len(),
        of_type(&ndjson(&b), "packet").len()
    );

    // A root-only directory: nobody cannot write there, said in one line, exit 1.
    let root_only = std::env::temp_dir().join(format!("ss-privdrop-root-{}", std::process::id()));
    std::fs::create_dir_all(&root_only).expect("dir");
    assert!(std::process::Command::new("chmod")
        .arg("700")
        .arg(&root_only)
        .status()
        .expect("chmod")
        .success());
    let denied = root_only.join("x.pcap");
    let o = run(&[
        "-r",
        src.to_str().expect("path"),
        "-q",
        "-w",
        denied.to_str().expect("path"),
        "-Z",
        "nobody",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    assert!(!denied.exists());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&root_only);
}

/// A `-w` path that is a symbolic link to a root-only file: with `-Z nobody` the file is
/// opened as nobody (permission denied); staying root (`-Z root`) the link is never followed.
/// Either way the root-only file is untouched and the run exits 1 with the reason.
#[test]
fn write_file_symlink_to_a_root_only_file_is_never_followed() {
    if !root_or_skip() {
        return;
    }
    let dir = nobody_dir("link");
    let secret_dir =
        std::env::temp_dir().join(format!("ss-privdrop-secret-{}", std::process::id()));
    std::fs::create_dir_all(&secret_dir).expect("dir");
    let target = secret_dir.join("shadow");
    std::fs::write(&target, b"root:precious\n").expect("write target");
    assert!(std::process::Command::new("chmod")
        .arg("600")
        .arg(&target)
        .status()
        .expect("chmod")
        .success());
    let link = dir.join("out.pcap");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let src = captures().join("squirrel-http.pcap");
    for (z, why) in [("nobody", "Permission denied"), ("root", "symbolic link")] {
        let o = run(&[
            "-r",
            src.to_str().expect("path"),
            "-q",
            "-w",
            link.to_str().expect("path"),
            "-Z",
            z,
        ]);
        check_wired(&stderr(&o));
        assert_eq!(o.status.code(), Some(1), "-Z {z}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "-Z {z}: {}", stderr(&o));
        assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
        assert_eq!(
            std::fs::read(&target).expect("target"),
            b"root:precious\n",
            "-Z {z}: the root-only file was written through the link"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&secret_dir);
}

/// Replaying a file as root with -Z nobody prints exactly what it prints without it.
#[test]
fn replay_output_is_unchanged_by_the_drop() {
    if !root_or_skip() {
        return;
    }
    let src = captures().join("squirrel-http.pcap");
    let plain = run(&["-r", src.to_str().expect("path"), "-V"]);
    let dropped = run(&["-r", src.to_str().expect("path"), "-V", "-Z", "nobody"]);
    check_wired(&stderr(&dropped));
    assert_eq!(dropped.status.code(), Some(0), "{}", stderr(&dropped));
    assert_eq!(stdout(&plain), stdout(&dropped));
    assert!(!stdout(&plain).is_empty());
}

/// No root needed: a user that does not exist is bad usage, reported before anything runs.
#[test]
fn unknown_user_is_a_usage_error() {
    let src = captures().join("squirrel-http.pcap");
    let o = run(&["-r", src.to_str().expect("path"), "-Z", "no-such-squirrel"]);
    let err = stderr(&o);
    check_wired(&err);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("-Z no-such-squirrel: no such user"), "{err}");
    assert!(o.stdout.is_empty(), "nothing decoded: {}", stdout(&o));
}

/// A `setcap cap_net_raw,cap_net_admin=eip` copy run by an ordinary user (what
/// `scripts/install.sh --setcap` sets up) captures, and holds no capability once the capture
/// is open.
#[test]
fn setcap_binary_clears_its_capabilities_after_opening() {
    if !root_or_skip() {
        return;
    }
    let have = |tool: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if !have("setcap") || !have("runuser") {
        assert!(
            !ci(),
            "setcap (libcap2-bin) and runuser (util-linux) are needed in CI"
        );
        eprintln!("skipped: setcap or runuser not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ss-setcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let copy = dir.join("squirrel-sniff");
    std::fs::copy(env!("CARGO_BIN_EXE_squirrel-sniff"), &copy).expect("copy");
    let sh = |cmd: &[&str]| {
        let st = std::process::Command::new(cmd[0])
            .args(&cmd[1..])
            .status()
            .expect("run");
        assert!(st.success(), "{cmd:?} failed");
    };
    sh(&[
        "chmod",
        "755",
        dir.to_str().expect("dir"),
        copy.to_str().expect("copy"),
    ]);
    sh(&[
        "setcap",
        "cap_net_raw,cap_net_admin=eip",
        copy.to_str().expect("copy"),
    ]);

    let (port, srv) = http_server(1);
    let p = port.to_string();
    let mut child = std::process::Command::new("runuser")
        .args([
            "-u",
            "nobody",
            "--",
            copy.to_str().expect("copy"),
            "-i",
            "lo",
            "--port",
            &p,
            "-c",
            "6",
            "--json",
        ])
        .env_remove("SUDO_UID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut r = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    r.read_line(&mut first).expect("stderr");
    assert!(
        first.contains("listening on lo"),
        "as nobody with file capabilities: {first}"
    );
    // runuser forks: find the sniffer, the child of runuser whose uid is nobody.
    let sniffer_pid = (0..100)
        .find_map(|_| {
            let kids = std::fs::read_to_string(format!(
                "/proc/{}/task/{}/children",
                child.id(),
                child.id()
            ))
            .unwrap_or_default();
            let pid = kids
                .split_whitespace()
                .next()
                .and_then(|k| k.parse::<u32>().ok());
            if pid.is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            pid
        })
        .unwrap_or_else(|| child.id());
    let t = Instant::now();
    loop {
        let c = creds_of(&format!("/proc/{sniffer_pid}/status")).expect("status");
        assert_eq!(c.uid, vec![NOBODY; 4]);
        if c.cap_eff == "0000000000000000" {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "capabilities still held after the capture is open: CapEff {}",
            c.cap_eff
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::fs::read_to_string(format!("/proc/{sniffer_pid}/status")).expect("status");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("CapPrm:") && l.ends_with("0000000000000000")),
        "permitted set empty too"
    );
    assert!(get(port, "/setcap").ends_with("fluffy tail"));
    srv.join().expect("server");
    let t = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("did not stop");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child_stdout(&mut child);
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("\"type\":\"packet\""))
            .count(),
        6,
        "still captures after clearing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
