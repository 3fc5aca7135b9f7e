//! `--export-objects http,DIR`: the files written, compared with what tshark 4.0's
//! `--export-objects` writes (tests/fixtures/export-objects, made by
//! scripts/make-export-fixtures.sh: name, size and SHA-256 of every file), and what a
//! person relies on: the leaked bodies are in the files, decrypted with the keys only,
//! whatever -Y shows and for any -j; nothing in DIR is overwritten; names are safe.

mod common;
use common::*;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;

/// A fresh directory for one export (removed first if a previous run left it).
fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sq-export-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Run with `--export-objects http,DIR` (and `-q` unless other output is asked for).
fn export(args: &[&str], dir: &Path) -> Output {
    let spec = format!("http,{}", dir.display());
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--export-objects", &spec]);
    run(&all)
}

/// The directory's files as the fixtures list them: `name\tsize\tsha256`, sorted by bytes.
fn listing(dir: &Path) -> Vec<String> {
    let mut rows: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let bytes = std::fs::read(e.path()).expect("read an exported file");
                    format!(
                        "{}\t{}\t{}",
                        e.file_name().to_string_lossy(),
                        bytes.len(),
                        hex::encode(Sha256::digest(&bytes))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    rows.sort();
    rows
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn the_files_are_tshark_s() {
    let Some(c) = corpus() else { return };
    let fixtures = fixture_files("export-objects");
    assert!(fixtures.len() >= 11, "{fixtures:?}");
    for (i, f) in fixtures.iter().enumerate() {
        let stem = f.file_name().unwrap().to_string_lossy().replace(".tsv", "");
        let (sub, file) = stem.split_once("__").expect("DIR__FILE");
        let pcap = c.join(sub).join(file);
        let keys = pcap.with_extension("keys");
        let mut args = vec!["-r", pcap.to_str().unwrap(), "-q"];
        let keys_arg = keys.to_string_lossy().into_owned();
        if sub == "decrypt" {
            args.extend(["--keylog", &keys_arg]);
        }
        let dir = out_dir(&format!("fx{i}"));
        let o = export(&args, &dir);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
        let want: Vec<String> = std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        assert!(!want.is_empty(), "{stem}: tshark exported nothing");
        assert_eq!(listing(&dir), want, "{stem}");
        assert!(
            stderr(&o).contains(&format!("{} HTTP objects", want.len())),
            "{stem}: {}",
            stderr(&o)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn the_leaked_bodies_are_in_the_files_whatever_is_shown() {
    let pcap = capture("squirrel-login.pcap");
    let dir = out_dir("login");
    let o = export(&["-r", &pcap, "-q"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = listing(&dir);
    // The login form as posted (the password in clear) and the gzip page decoded.
    let login = read(&dir, "login");
    assert!(
        contains(&login, b"password="),
        "{}",
        String::from_utf8_lossy(&login)
    );
    let page = read(&dir, "secret.gz");
    assert!(!page.starts_with(b"\x1f\x8b"), "still gzip");
    assert!(page.is_ascii(), "{page:?}");
    // A query string is part of the name, its `?` written %3f.
    assert!(
        dir.join("feed%3ftoken=tok-hazelnut-31337").exists(),
        "{all:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // -Y shows one frame; the export still sees every message (tshark's taps see every
    // frame). Printing on a second thread (-j 2 with -V) writes the same files.
    for (tag, extra) in [
        ("shown", &["-Y", "frame.number == 1"][..]),
        ("offload", &["-V", "-j", "2"][..]),
    ] {
        let d = out_dir(tag);
        let mut args = vec!["-r", pcap.as_str()];
        args.extend(extra);
        let o = export(&args, &d);
        assert!(o.status.success(), "{tag}: {}", stderr(&o));
        assert_eq!(listing(&d), all, "{tag}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[test]
fn https_bodies_need_the_keys() {
    let pcap = capture("squirrel-https.pcap");
    let keys = capture("squirrel-https.keys");
    let dir = out_dir("nokeys");
    let o = export(&["-r", &pcap, "-q"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(listing(&dir).is_empty());
    assert!(stderr(&o).contains("0 HTTP objects"), "{}", stderr(&o));
    let dir2 = out_dir("keys");
    let o = export(&["-r", &pcap, "-q", "--keylog", &keys], &dir2);
    assert!(o.status.success(), "{}", stderr(&o));
    let names = listing(&dir2);
    let found = std::fs::read_dir(&dir2)
        .unwrap()
        .flatten()
        .any(|e| contains(&std::fs::read(e.path()).unwrap(), b"fluffy tail"));
    assert!(found, "no exported file holds the secret: {names:?}");
    for d in [dir, dir2] {
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn http2_objects_are_named_by_their_path() {
    let Some(c) = corpus() else { return };
    let d = c.join("decrypt");
    let dir = out_dir("h2");
    let o = export(
        &[
            "-r",
            d.join("h2-tls.pcap").to_str().unwrap(),
            "-q",
            "--keylog",
            d.join("h2-tls.keys").to_str().unwrap(),
        ],
        &dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let names = listing(&dir);
    assert!(!names.is_empty(), "{}", stderr(&o));
    assert!(
        names.iter().all(|n| !n.starts_with("object")),
        "HTTP/2 objects named by :path: {names:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
#[test]
fn nothing_in_the_directory_is_overwritten() {
    let Some(c) = corpus() else { return };
    let pcap = c.join("http/post-form-urlencoded.pcap");
    let dir = out_dir("keep");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("post"), b"mine").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("post(1)")).unwrap();
    let o = export(&["-r", pcap.to_str().unwrap(), "-q"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&dir, "post"), b"mine");
    assert!(std::fs::symlink_metadata(dir.join("post(1)"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&dir, "post(2)"), b"hello world");
    assert!(contains(&read(&dir, "post(3)"), b"httpbin.org/post"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hostile_names_are_escaped() {
    let dir = out_dir("hostile");
    let o = export(&["-r", &capture("escape-injection.pcap"), "-q"], &dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().expect("UTF-8 name"))
        .collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(
            n.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'/'),
            "unsafe file name {n:?}"
        );
    }
    // The bidi override and the controls of the request's last path segment, as %xx.
    assert!(
        names.iter().any(|n| n.starts_with("%e2%80%aeevil")),
        "{names:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let pcap = capture("squirrel-login.pcap");
    for (args, says) in [
        (vec!["--export-objects", "smb,x"], "'smb' is not exported"),
        (vec!["--export-objects", "http"], "PROTOCOL,DIRECTORY"),
        (
            vec!["--export-objects", "http,x", "--mask"],
            "not with --mask",
        ),
    ] {
        let mut all = vec!["-r", pcap.as_str(), "-q"];
        all.extend(args.iter().copied());
        let o = run(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(says), "{e}");
    }
}
