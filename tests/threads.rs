//! `-j N`: the output is the same for any number of worker threads. Every bundled and
//! corpus capture (one `--each` run per mode), every mode of scripts/compare-outputs.sh and
//! the `-q` runs the workers serve (with secrets, a capture filter, a count), `-j 1` against
//! `-j 4`: stdout, stderr and the exit code byte for byte.

mod common;

use std::path::PathBuf;

fn all_captures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![common::captures()];
    if let Some(c) = common::corpus() {
        dirs.push(c);
    }
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && p.file_name().is_some_and(|n| n != "expected") {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn run(threads: &str, args: &[&str], files: &[PathBuf]) -> (String, String, Option<i32>) {
    let out = common::bin()
        .args(["-j", threads, "--each"])
        .args(args)
        .arg("-r")
        .args(files)
        .output()
        .expect("run squirrel-sniff");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn every_capture_in_every_mode_prints_the_same_with_one_or_four_threads() {
    let files = all_captures();
    assert!(
        files.len() > 40,
        "bundled and corpus captures: {}",
        files.len()
    );
    let modes: &[&[&str]] = &[
        // The runs the workers serve.
        &["-q"],
        &["-q", "--secret", "hunter2", "--secret", "example.com"],
        &["-q", "--fail-on-leak", "--secret", "password"],
        &["-q", "--mask", "--secret", "admin"],
        &["-q", "-c", "7"],
        &["-q", "tcp or udp port 53"],
        // The others (one thread whatever -j says), as scripts/compare-outputs.sh runs them.
        &[],
        &["-V"],
        &["-x"],
        &["-V", "-x"],
        &["--conversations", "-q"],
        &["--hierarchy", "-q"],
        &["--follow", "0"],
        &["--report"],
        &["--json"],
    ];
    let mut quiet_summaries = 0;
    for args in modes {
        let one = run("1", args, &files);
        let four = run("4", args, &files);
        assert_eq!(one.2, four.2, "exit code of {args:?}");
        assert_eq!(one.1, four.1, "stderr of {args:?}");
        assert!(one.0 == four.0, "stdout of {args:?} differs with -j 4");
        quiet_summaries += one.0.matches(" TCP streams").count();
    }
    // The -q runs printed a summary line per capture (the comparison compared something).
    assert!(quiet_summaries >= 6 * 40, "{quiet_summaries} summary lines");
}

/// One `-q` run over `files` with `threads` workers, `input` on standard input.
fn run_input(
    threads: &str,
    files: &[&std::path::Path],
    input: Option<&std::path::Path>,
) -> (String, String, Option<i32>) {
    let mut cmd = common::bin();
    cmd.args(["-j", threads, "-q", "--secret", "password", "-r"]);
    match input {
        Some(f) => {
            cmd.arg("-")
                .stdin(std::fs::File::open(f).expect("open capture"));
        }
        None => {
            cmd.args(files);
        }
    }
    let out = cmd.output().expect("run squirrel-sniff");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// Input that is read once — standard input, a gzip file, several files merged — goes
/// through one reader that hands the frames to the workers (a regular file is read by every
/// worker): the same output with one or four threads there too.
#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn piped_compressed_and_merged_input_prints_the_same_with_one_or_four_threads() {
    use std::io::Write;
    let files = all_captures();
    let dir = common::temp_dir("threads-gz");
    let mut summaries = 0;
    for f in &files {
        // Standard input, and the same capture gzip-compressed in a file.
        let bytes = std::fs::read(f).expect("read capture");
        let gz = dir.join("capture.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).expect("create gz"),
            flate2::Compression::fast(),
        );
        enc.write_all(&bytes).expect("write gz");
        enc.finish().expect("finish gz");
        for (how, one, four) in [
            (
                "stdin",
                run_input("1", &[], Some(f)),
                run_input("4", &[], Some(f)),
            ),
            (
                "gzip",
                run_input("1", &[&gz], None),
                run_input("4", &[&gz], None),
            ),
        ] {
            assert_eq!(one, four, "{how}: {}", f.display());
            summaries += one.0.matches(" TCP streams").count();
        }
    }
    let all: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let (one, four) = (run_input("1", &all, None), run_input("4", &all, None));
    assert_eq!(one, four, "merged");
    summaries += one.0.matches(" TCP streams").count();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(summaries >= 2 * 40 + 1, "{summaries} summary lines");
}
