//! JSON v2 is a contract: the `--json` output of every bundled and corpus capture validates
//! against docs/json.schema.json, docs/json.md names every record type and field of the
//! schema, and the Community ID of every session's packets is tshark's.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn schema() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.schema.json");
    serde_json::from_str(&std::fs::read_to_string(p).expect("read schema")).expect("schema JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("a valid JSON Schema 2020-12")
}

/// Every capture file: the bundled ones, then the corpus's (not its expected/ facts).
fn all_captures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "expected") {
                    walk(&p, out);
                }
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&captures(), &mut out);
    if let Some(c) = corpus() {
        walk(&c, &mut out);
    }
    out
}

/// `NAME.keys` beside `NAME.pcap` (and `NAME.dsb.pcapng`), when there is one.
fn key_log(cap: &Path) -> Option<PathBuf> {
    let name = cap.file_name()?.to_str()?;
    let stem = name.split(".pcap").next()?.trim_end_matches(".dsb");
    let k = cap.with_file_name(format!("{stem}.keys"));
    k.exists().then_some(k)
}

fn json_of(cap: &Path, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let mut args = vec!["-r".to_string(), cap.display().to_string(), "--json".into()];
    if let Some(k) = key_log(cap) {
        args.push("--keylog".into());
        args.push(k.display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&refs);
    let v = ndjson(&o);
    (o, v)
}

#[test]
fn every_capture_validates_against_the_schema() {
    let v = validator();
    let caps = all_captures();
    let least = if corpus().is_some() { 60 } else { 10 };
    assert!(
        caps.len() > least,
        "bundled and corpus captures: {}",
        caps.len()
    );
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut errors = Vec::new();
    for cap in &caps {
        let bundled = cap.starts_with(captures());
        // The end-of-run records too, on the bundled captures.
        let runs: &[&[&str]] = if bundled {
            &[
                &[],
                &[
                    "--report",
                    "--conversations",
                    "--hierarchy",
                    "--stats",
                    "--follow",
                    "all",
                ],
                &["-q"],
            ]
        } else {
            &[&[]]
        };
        for extra in runs {
            let (o, records) = json_of(cap, extra);
            let name = format!("{} {extra:?}", cap.display());
            if records.is_empty() {
                // Only a file that cannot be read at all writes nothing.
                assert_eq!(o.status.code(), Some(3), "{name}: no records");
                continue;
            }
            assert_eq!(records[0]["type"], "run", "{name}: the run record first");
            assert_eq!(records[0]["schema_version"], 2, "{name}");
            assert_eq!(
                records.iter().filter(|r| r["type"] == "run").count(),
                1,
                "{name}: one run record"
            );
            for r in &records {
                *seen
                    .entry(r["type"].as_str().unwrap_or("?").to_string())
                    .or_default() += 1;
                for e in v.iter_errors(r) {
                    if errors.len() < 20 {
                        errors.push(format!("{name}: {e} at {}: {r}", e.instance_path()));
                    }
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "{} schema errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
    // The captures exercise every kind of record the schema knows, except the rare ones.
    let rare = ["tls.heartbeat", "tls.certificate_request"];
    let types: BTreeSet<String> = schema()["properties"]["type"]["enum"]
        .as_array()
        .expect("type enum")
        .iter()
        .filter_map(|t| t.as_str().map(String::from))
        .collect();
    let missing: Vec<_> = types
        .iter()
        .filter(|t| !seen.contains_key(*t) && !rare.contains(&t.as_str()))
        .collect();
    if corpus().is_some() {
        assert!(missing.is_empty(), "no capture wrote {missing:?}: {seen:?}");
    }
    assert!(
        seen.get("packet") > Some(&1000) && seen.get("udp.stream") > Some(&10),
        "{seen:?}"
    );
}

/// The schema is strict: it rejects what version 1 wrote.
#[test]
fn the_schema_rejects_version_1_records() {
    let v = validator();
    let good = serde_json::json!({
        "type": "tcp.stream", "event": "open", "ts": "2026-11-22T19:43:13.047528000Z",
        "session": 0, "transport": "tcp", "src_ip": "127.0.0.1", "src_port": 46460,
        "dst_ip": "127.0.0.1", "dst_port": 5683,
        "community_id": "1:ChfX8pbrpE7jIinh7T7/GLJtrUE=", "frame": 1,
    });
    assert!(
        v.is_valid(&good),
        "{:?}",
        v.iter_errors(&good)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    let v1 = serde_json::json!({
        "type": "tcp.stream", "event": "open", "stream": 0, "client": "127.0.0.1:46460",
        "server": "127.0.0.1:5683", "frame": 1, "ts": 1795376593.047528,
    });
    assert!(!v.is_valid(&v1));
    let mut float_ts = good.clone();
    float_ts["ts"] = serde_json::json!(1795376593.047528);
    assert!(!v.is_valid(&float_ts));
    let mut extra = good.clone();
    extra["stream"] = serde_json::json!(0);
    assert!(!v.is_valid(&extra), "unknown fields are refused");
    let mut unknown = good;
    unknown["type"] = serde_json::json!("tcp.strem");
    assert!(!v.is_valid(&unknown));
}

/// docs/json.md has a section for every record type of the schema, and names each of its
/// fields there (or in the sections every record shares).
#[test]
fn json_md_documents_every_type_and_field() {
    let s = schema();
    let md = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"))
        .expect("read docs/json.md");
    // Sections by `## ` heading.
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            sections.push((h.to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    let section = |title: &str| -> String {
        sections
            .iter()
            .filter(|(h, _)| h.contains(title))
            .map(|(_, b)| b.as_str())
            .collect()
    };
    let shared = section("What every record has") + &section("Session fields");
    let defs = &s["$defs"];
    let mut problems = Vec::new();
    for t in s["properties"]["type"]["enum"].as_array().expect("types") {
        let t = t.as_str().expect("type name");
        let own = section(&format!("`{t}`"));
        if own.is_empty() {
            problems.push(format!("no section for `{t}`"));
            continue;
        }
        let mut text = own + &shared;
        if t.starts_with("tls.") {
            text += &section("`tls.*` common fields");
        }
        let def = &defs[t];
        // Its own fields, those of its `then`/`else` branches, and those of its bases.
        let mut fields: BTreeSet<String> = BTreeSet::new();
        let mut add = |props: &Value| {
            if let Some(m) = props.as_object() {
                fields.extend(m.keys().cloned());
            }
        };
        add(&def["properties"]);
        add(&def["then"]["properties"]);
        add(&def["else"]["properties"]);
        for base in def["allOf"].as_array().into_iter().flatten() {
            let name = base["$ref"]
                .as_str()
                .unwrap_or("")
                .trim_start_matches("#/$defs/");
            add(&defs[name]["properties"]);
        }
        assert!(
            fields.contains("type") && fields.contains("ts"),
            "{t}: {fields:?}"
        );
        for f in fields {
            if !text.contains(&format!("`{f}`")) && !text.contains(&format!("`{f}[]`")) {
                problems.push(format!("`{t}`: field `{f}` not documented"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The `community_id` of every session's packets is the one tshark computes for the frame.
#[test]
fn community_ids_match_tshark() {
    let mut compared = 0usize;
    for cap in all_captures()
        .iter()
        .filter(|c| c.starts_with(captures()) || c.to_string_lossy().contains("decrypt"))
    {
        let (_, records) = json_of(cap, &[]);
        let ours: BTreeMap<u64, String> = of_type(&records, "packet")
            .iter()
            .filter_map(|p| {
                Some((
                    p["frame"].as_u64()?,
                    p["community_id"].as_str()?.to_string(),
                ))
            })
            .collect();
        if ours.is_empty() {
            continue;
        }
        let t = std::process::Command::new("tshark")
            .args(["-n", "-r"])
            .arg(cap)
            .args(["--enable-protocol", "communityid", "-T", "fields"])
            .args(["-e", "frame.number", "-e", "communityid"])
            .output()
            .expect("tshark");
        let theirs: BTreeMap<u64, String> = stdout(&t)
            .lines()
            .filter_map(|l| {
                let (n, id) = l.split_once('\t')?;
                Some((n.parse().ok()?, id.to_string()))
            })
            .filter(|(_, id)| !id.is_empty())
            .collect();
        for (frame, id) in &ours {
            assert_eq!(
                theirs.get(frame),
                Some(id),
                "{}: frame {frame}",
                cap.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 500, "{compared} frames compared");
}
