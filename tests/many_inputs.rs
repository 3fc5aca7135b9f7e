//! Many capture files in one run (issue 19): `-r` with several files, a directory or a glob
//! is read in timestamp order as mergecap merges them; `--each` runs each file on its own.
//! Oracles: the unsplit capture (split with editcap, merged back by the run) and the file
//! mergecap writes from the same inputs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{captures, ndjson, of_type, run, stdout, temp_dir};
use serde_json::Value;

/// `editcap -c N`: the capture cut into files of `per_file` packets, in order.
fn split(capture: &Path, per_file: usize, dir: &Path, stem: &str) -> Vec<PathBuf> {
    let out = Command::new("editcap")
        .arg("-c")
        .arg(per_file.to_string())
        .arg(capture)
        .arg(dir.join(format!("{stem}.pcap")))
        .output()
        .expect("editcap runs (wireshark-common, installed with tshark by scripts/setup.sh)");
    assert!(out.status.success(), "editcap: {out:?}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(stem))
        })
        .collect();
    files.sort();
    files
}

/// The records of a run without the `capture` field (which the unsplit run has not).
fn without_capture(records: &[Value]) -> Vec<Value> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(m) = r.as_object_mut() {
                m.remove("capture");
            }
            r
        })
        .collect()
}

fn args_for<'a>(flags: &[&'a str], files: &'a [PathBuf]) -> Vec<&'a str> {
    let mut a: Vec<&str> = flags.to_vec();
    for f in files {
        a.push("-r");
        a.push(f.to_str().expect("utf-8 temp path"));
    }
    a
}

#[test]
fn split_files_merged_back_equal_the_unsplit_capture() {
    let dir = temp_dir("merge-split");
    for (name, per_file) in [
        ("squirrel-login.pcap", 20),
        ("dns-udp-tcp.pcap", 7),
        ("tls-mixed.pcap", 5),
    ] {
        let original = captures().join(name);
        let stem = name.trim_end_matches(".pcap");
        let parts = split(&original, per_file, &dir, stem);
        let frames = run(&["--json", "-r", original.to_str().unwrap()]);
        let want = ndjson(&frames);
        assert!(parts.len() >= 3, "{name}: split into {} files", parts.len());
        // The files given in reverse: the merge orders packets by time, not by argument.
        let mut reversed = parts.clone();
        reversed.reverse();
        let got_out = run(&args_for(&["--json"], &reversed));
        assert!(got_out.status.success(), "{name}: {got_out:?}");
        let got = ndjson(&got_out);
        assert_eq!(without_capture(&got), want, "{name}: merged run differs");

        // Every packet record names the file that holds it (editcap cut every N frames).
        let packets: Vec<&Value> = got.iter().filter(|r| r["type"] == "packet").collect();
        assert!(!packets.is_empty());
        for p in packets {
            let frame = p["frame"].as_u64().expect("frame number") as usize;
            let holder = &parts[(frame - 1) / per_file];
            assert_eq!(
                p["capture"].as_str(),
                holder.to_str(),
                "{name}: frame {frame} came from another file"
            );
        }

        // Summary lines (tshark's numbering) are those of the unsplit capture.
        let lines = run(&args_for(&[], &parts));
        let want_lines = run(&["-r", original.to_str().unwrap()]);
        assert_eq!(stdout(&lines), stdout(&want_lines), "{name}: summary lines");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merged_run_numbers_frames_as_mergecap_does() {
    let dir = temp_dir("merge-mergecap");
    // Three captures made at different times, interleaved by the merge only where they
    // overlap; and the same capture twice, where every timestamp ties (the earlier
    // argument's packet comes first, as mergecap writes it).
    let inputs: Vec<PathBuf> = [
        "squirrel-http.pcap",
        "dns-udp-tcp.pcap",
        "squirrel-https.pcap",
    ]
    .iter()
    .map(|n| captures().join(n))
    .collect();
    let copy = dir.join("copy.pcap");
    std::fs::copy(&inputs[0], &copy).expect("copy");
    for (tag, set) in [
        ("three", inputs.clone()),
        ("twice", vec![inputs[0].clone(), copy.clone()]),
    ] {
        let merged = dir.join(format!("{tag}.pcap"));
        let out = Command::new("mergecap")
            .arg("-F")
            .arg("pcap")
            .arg("-w")
            .arg(&merged)
            .args(&set)
            .output()
            .expect("mergecap runs (wireshark-common)");
        assert!(out.status.success(), "mergecap: {out:?}");
        let ours = run(&args_for(&["--json"], &set));
        let oracle = run(&["--json", "-r", merged.to_str().unwrap()]);
        assert!(ours.status.success(), "{ours:?}");
        let ours = ndjson(&ours);
        if tag == "twice" {
            let from: Vec<&str> = of_type(&ours, "packet")
                .iter()
                .filter_map(|p| p["capture"].as_str())
                .collect();
            let alternating: Vec<&str> = (0..from.len())
                .map(|i| set[i % 2].to_str().unwrap())
                .collect();
            assert_eq!(
                from, alternating,
                "ties: the earlier argument's packet first"
            );
        }
        let ours = without_capture(&ours);
        let oracle = ndjson(&oracle);
        assert!(ours.len() > 20, "{tag}: {} records", ours.len());
        assert_eq!(
            ours, oracle,
            "{tag}: merged run differs from mergecap's file"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_a_glob_and_a_shell_list_are_the_same_run() {
    let dir = temp_dir("merge-forms");
    let parts = split(&captures().join("squirrel-login.pcap"), 30, &dir, "login");
    // Not a capture: a directory listing skips it.
    std::fs::write(dir.join("notes.txt"), "not a capture").expect("write");
    let want = stdout(&run(&args_for(&["-q", "--report"], &parts)));
    assert!(want.contains("112 packets"), "{want}");
    let d = dir.to_str().unwrap();
    let glob = format!("{d}/login*");
    let mut shell_list = vec!["-q", "--report", "-r"];
    shell_list.extend(parts.iter().map(|p| p.to_str().unwrap()));
    for args in [
        vec!["-q", "--report", "-r", d],
        vec!["-q", "--report", "-r", &glob],
        shell_list,
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {o:?}");
        assert_eq!(stdout(&o), want, "{args:?}");
    }
    // A pattern that matches nothing is an unreadable input, said plainly.
    let o = run(&["-q", "-r", &format!("{d}/nothing-here*")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(common::stderr(&o).contains("no capture files"), "{o:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_file_on_its_own_with_each() {
    let dir = temp_dir("merge-each");
    let parts = split(&captures().join("squirrel-login.pcap"), 40, &dir, "login");
    let o = run(&args_for(&["--each", "-q", "--json"], &parts));
    assert!(o.status.success(), "{o:?}");
    let records = ndjson(&o);
    // Each file is its own run: its run record, then its summary.
    assert_eq!(of_type(&records, "run").len(), parts.len());
    let summaries = of_type(&records, "summary");
    assert_eq!(summaries.len(), parts.len());
    for (s, part) in summaries.iter().zip(&parts) {
        assert_eq!(s["capture"].as_str(), part.to_str());
        let alone = ndjson(&run(&["-q", "--json", "-r", part.to_str().unwrap()]));
        let alone: Vec<Value> = of_type(&alone, "summary").into_iter().cloned().collect();
        assert_eq!(without_capture(std::slice::from_ref(*s)), alone, "{part:?}");
    }
    // Each file numbers its own frames from 1.
    let o = ndjson(&run(&args_for(&["--each", "--json"], &parts)));
    let firsts = o
        .iter()
        .filter(|r| r["type"] == "packet" && r["frame"] == 1)
        .count();
    assert_eq!(firsts, parts.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_file_ends_its_part_and_the_others_are_read() {
    let dir = temp_dir("merge-damaged");
    let parts = split(&captures().join("squirrel-login.pcap"), 40, &dir, "login");
    // Cut the first file in the middle of a record.
    let bytes = std::fs::read(&parts[0]).expect("read");
    std::fs::write(&parts[0], &bytes[..bytes.len() - 10]).expect("write");
    let o = run(&args_for(&["-q", "--json"], &parts));
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(common::stderr(&o).contains("truncated"), "{o:?}");
    let records = ndjson(&o);
    let summary = of_type(&records, "summary")[0];
    // 39 packets of the cut file, and all 72 of the others.
    assert_eq!(summary["packets"], 111, "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}
