//! `--parquet DIR` and `--json --ecs` (issue 19), checked against the plain `--json` of the
//! same captures. Parquet is read back by an independent reader, DuckDB (from PyPI,
//! installed into target/duckdb-venv when python3 has no `duckdb`): row counts per dataset,
//! http ⋈ tls on community_id, findings per session. The DuckDB examples of docs/engines.md
//! are run too, and docs/parquet.md is checked against the schema the writer uses.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, captures, ndjson, stderr};
use serde_json::Value;

/// The bundled captures, and corpus captures of every protocol with datasets (HTTP, TLS
/// with certificates, DNS, QUIC, HTTP/2 inside TLS opened with its key log).
fn inputs() -> Vec<(PathBuf, Vec<String>)> {
    let mut v: Vec<(PathBuf, Vec<String>)> = std::fs::read_dir(captures())
        .expect("captures/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .map(|p| {
            let keys = p.with_extension("keys");
            let args = if keys.exists() {
                vec!["--keylog".into(), keys.display().to_string()]
            } else {
                vec![]
            };
            (p, args)
        })
        .collect();
    v.sort();
    let corpus = common::corpus().expect("corpus");
    for rel in [
        "http/basic-auth-port-8000.pcap",
        "http/chunked-responses.pcapng",
        "http/keepalive-5-requests.pcap",
        "tls/tls11-full-handshake.pcap",
        "tls/tls12-alpn-session-resumption.pcap",
        "tls/alert-handshake-failure.pcap",
        "decrypt/dns-udp.pcap",
        "decrypt/quic-h3.pcap",
    ] {
        v.push((corpus.join(rel), vec![]));
    }
    let d = corpus.join("decrypt");
    v.push((
        d.join("h2-tls.pcap"),
        vec![
            "--keylog".into(),
            d.join("h2-tls.keys").display().to_string(),
        ],
    ));
    v
}

fn json_records(capture: &Path, extra: &[String], ecs: bool) -> Vec<Value> {
    let mut c = bin();
    c.arg("--json");
    if ecs {
        c.arg("--ecs");
    }
    c.args(extra).arg("-r").arg(capture);
    let o = c.output().expect("run");
    assert!(o.status.success(), "{capture:?}: {}", stderr(&o));
    ndjson(&o)
}

// ---------------------------------------------------------------------------------------
// ECS

/// `doc` at a dotted path.
fn at<'a>(doc: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(doc, |v, k| &v[k])
}

/// Checks one ECS document against its record; counts which ECS fields were compared.
fn check_ecs(rec: &Value, doc: &Value, seen: &mut BTreeMap<&'static str, usize>) {
    let what = format!("{} (frame {})", rec["type"], rec["frame"]);
    let mut same = |ecs: &'static str, want: &Value| {
        if want.is_null() {
            return;
        }
        assert_eq!(at(doc, ecs), want, "{what}: {ecs}");
        *seen.entry(ecs).or_default() += 1;
    };
    // The record itself is kept whole.
    assert_eq!(&doc["squirrel_sniff"], rec, "{what}");
    if let Some(ts) = rec["ts"].as_str() {
        same("@timestamp", &ts.into());
    } else if rec["ts"].is_number() {
        assert!(doc["@timestamp"].is_string(), "{what}: @timestamp");
    }
    same("source.ip", &rec["src_ip"]);
    same("source.port", &rec["src_port"]);
    same("destination.ip", &rec["dst_ip"]);
    same("destination.port", &rec["dst_port"]);
    same("network.transport", &rec["transport"]);
    same("network.community_id", &rec["community_id"]);
    same("log.file.path", &rec["capture"]);
    same("event.action", &rec["type"]);
    let kind = at(doc, "event.kind").as_str().unwrap_or("");
    assert!(
        ["event", "alert", "metric"].contains(&kind),
        "{what}: {kind}"
    );
    assert!(
        at(doc, "event.category")
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{what}: event.category"
    );
    match rec["type"].as_str().unwrap_or("") {
        "packet" => same("network.bytes", &rec["len"]),
        "http.request" => {
            same("http.request.method", &rec["method"]);
            same("url.original", &rec["uri"]);
            if let Some(uri) = rec["uri"].as_str().filter(|u| u.starts_with('/')) {
                let path = uri.split('?').next().unwrap_or(uri);
                same("url.path", &path.into());
            }
            let ua = rec["headers"].as_array().and_then(|h| {
                h.iter().find(|p| {
                    p[0].as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("user-agent"))
                })
            });
            if let Some(ua) = ua {
                same("user_agent.original", &ua[1]);
            }
        }
        "http.response" => same("http.response.status_code", &rec["status"]),
        "tls.client_hello" => {
            same("tls.client.server_name", &rec["sni"]);
            same("tls.client.ja3", &rec["ja3"]);
        }
        "quic.initial" => same("tls.client.server_name", &rec["sni"]),
        "tls.server_hello" => same("tls.cipher", &rec["cipher_suite"]),
        "tls.certificate" => {
            same(
                "tls.server.x509.subject.distinguished_name",
                &rec["subject"],
            );
            same("tls.server.hash.sha256", &rec["sha256"]);
        }
        "dns.query" | "dns.response" => {
            same("dns.question.name", &rec["queries"][0]["name"]);
            same("dns.id", &rec["id"]);
            if rec["rcode"] == 0 {
                same("dns.response_code", &"NOERROR".into());
            }
        }
        "finding" => {
            same("event.kind", &"alert".into());
            same("rule.name", &rec["kind"]);
            same("message", &rec["explanation"]);
        }
        _ => {}
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn ecs_documents_carry_the_json_records_values() {
    let mut seen = BTreeMap::new();
    for (capture, extra) in inputs() {
        let plain = json_records(&capture, &extra, false);
        let ecs = json_records(&capture, &extra, true);
        assert_eq!(
            plain.len(),
            ecs.len(),
            "{capture:?}: one document per record"
        );
        for (rec, doc) in plain.iter().zip(&ecs) {
            check_ecs(rec, doc, &mut seen);
        }
    }
    // Every protocol's mapping was exercised on real records.
    for field in [
        "@timestamp",
        "source.ip",
        "destination.port",
        "network.community_id",
        "http.request.method",
        "url.path",
        "user_agent.original",
        "http.response.status_code",
        "tls.client.server_name",
        "tls.server.x509.subject.distinguished_name",
        "dns.question.name",
        "dns.response_code",
        "rule.name",
        "network.bytes",
    ] {
        assert!(
            seen.get(field).is_some_and(|n| *n > 0),
            "{field} never compared: {seen:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Parquet

/// The dataset a `--json` record belongs to (docs/parquet.md).
fn dataset(rec: &Value) -> Option<&'static str> {
    let ty = rec["type"].as_str()?;
    Some(match ty {
        "packet" => "packets",
        "tcp.stream" | "udp.stream" if rec["event"] == "close" => "sessions",
        "tls.certificate" => "certificates",
        "finding" => "findings",
        "tls.note" => return None,
        t if t.starts_with("http.") => "http",
        t if t.starts_with("tls.") => "tls",
        t if t.starts_with("dns.") => "dns",
        t if t.starts_with("quic.") => "quic",
        _ => return None,
    })
}

/// A python3 that can `import duckdb`: this one, or a venv made for the tests. The tests of
/// this file run in parallel threads: the first to ask makes the venv while the others
/// wait for it (two making it at once saw each other's half-made venv).
fn duckdb_python() -> PathBuf {
    static PYTHON: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(find_or_make_duckdb_python).clone()
}

fn find_or_make_duckdb_python() -> PathBuf {
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import duckdb"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let system = PathBuf::from("python3");
    if has(&system) {
        return system;
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/duckdb-venv");
    let py = venv.join("bin/python");
    if !has(&py) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv (scripts/setup.sh installs python3-venv)");
        assert!(made.success(), "python3 -m venv failed");
        let pip = Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "duckdb"])
            .status()
            .expect("pip");
        assert!(pip.success(), "pip install duckdb failed (PyPI reachable?)");
    }
    assert!(has(&py), "duckdb still not importable");
    py
}

/// Run SQL statements in DuckDB; each statement's rows as JSON arrays.
fn duckdb(queries: &[String]) -> Vec<Vec<Value>> {
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
out = []
for q in json.load(sys.stdin):
    rows = con.sql(q).fetchall()
    out.append([[v if isinstance(v, (int, float, str, type(None))) else str(v) for v in r] for r in rows])
print(json.dumps(out))
"#;
    let mut child = Command::new(duckdb_python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(queries).expect("json").as_bytes())
            .expect("write");
    }
    let o = child.wait_with_output().expect("duckdb run");
    assert!(
        o.status.success(),
        "duckdb: {}\n{queries:#?}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<Vec<Vec<Value>>> = serde_json::from_slice(&o.stdout).expect("duckdb output");
    rows.into_iter()
        .map(|q| q.into_iter().map(Value::Array).collect())
        .collect()
}

fn glob_of(dir: &Path, ds: &str) -> String {
    format!("{}/{ds}/**/*.parquet", dir.display())
}

/// What `--json` says the datasets hold: rows per dataset, http ⋈ tls pairs on
/// community_id, findings per (transport, session).
struct Expected {
    counts: BTreeMap<&'static str, u64>,
    http_tls_pairs: u64,
    findings_per_session: Vec<Value>,
}

fn expected(records: &[Value]) -> Expected {
    let mut counts = BTreeMap::new();
    let mut http_cid: BTreeMap<String, u64> = BTreeMap::new();
    let mut tls_cid: BTreeMap<String, u64> = BTreeMap::new();
    let mut findings: BTreeMap<(String, u64), u64> = BTreeMap::new();
    for r in records {
        let Some(ds) = dataset(r) else { continue };
        *counts.entry(ds).or_default() += 1;
        let cid = r["community_id"].as_str().map(str::to_string);
        match (ds, cid) {
            ("http", Some(c)) => *http_cid.entry(c).or_default() += 1,
            ("tls", Some(c)) => *tls_cid.entry(c).or_default() += 1,
            _ => {}
        }
        if let ("findings", Some(s)) = (ds, r["session"].as_u64()) {
            let t = r["transport"].as_str().unwrap_or("").to_string();
            *findings.entry((t, s)).or_default() += 1;
        }
    }
    let http_tls_pairs = http_cid
        .iter()
        .map(|(c, n)| n * tls_cid.get(c).copied().unwrap_or(0))
        .sum();
    Expected {
        counts,
        http_tls_pairs,
        findings_per_session: findings
            .into_iter()
            .map(|((t, s), n)| Value::Array(vec![t.into(), s.into(), n.into()]))
            .collect(),
    }
}

#[test]
#[cfg_attr(no_corpus, ignore = "needs ../shared/corpus")]
fn parquet_read_back_by_duckdb_equals_the_json() {
    let root = common::temp_dir("parquet");
    let mut joined = 0;
    let mut sessions_with_findings = 0;
    for (i, (capture, extra)) in inputs().into_iter().enumerate() {
        let dir = root.join(i.to_string());
        let o = bin()
            .arg("--parquet")
            .arg(&dir)
            .args(&extra)
            .arg("-r")
            .arg(&capture)
            .output()
            .expect("run");
        assert!(o.status.success(), "{capture:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "--parquet prints nothing per packet");
        let want = expected(&json_records(&capture, &extra, false));
        let datasets: Vec<&str> = want.counts.keys().copied().collect();
        let mut queries: Vec<String> = datasets
            .iter()
            .map(|ds| format!("select count(*) from read_parquet('{}')", glob_of(&dir, ds)))
            .collect();
        let has = |ds: &str| want.counts.contains_key(ds);
        if has("http") && has("tls") {
            queries.push(format!(
                "select count(*) from read_parquet('{}') h join read_parquet('{}') t \
                 on h.community_id = t.community_id",
                glob_of(&dir, "http"),
                glob_of(&dir, "tls")
            ));
        }
        if has("findings") {
            queries.push(format!(
                "select transport, session, count(*) from read_parquet('{}') \
                 where session is not null group by all order by all",
                glob_of(&dir, "findings")
            ));
        }
        let got = duckdb(&queries);
        for (ds, rows) in datasets.iter().zip(&got) {
            assert_eq!(rows[0][0], want.counts[ds], "{capture:?}: rows in {ds}");
        }
        let mut rest = got.iter().skip(datasets.len());
        if has("http") && has("tls") {
            let n = &rest.next().expect("join")[0][0];
            assert_eq!(n, &want.http_tls_pairs, "{capture:?}: http ⋈ tls");
            joined += want.http_tls_pairs;
        }
        if has("findings") {
            let rows = rest.next().expect("findings per session");
            assert_eq!(rows, &want.findings_per_session, "{capture:?}");
            sessions_with_findings += rows.len();
        }
    }
    // The joins matched something (decrypted HTTP and its TLS session; findings).
    assert!(joined > 0, "no http ⋈ tls pair in any capture");
    assert!(sessions_with_findings > 0, "no finding with a session");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn parquet_columns_are_typed_and_partitioned_by_day() {
    let dir = common::temp_dir("parquet-types");
    let capture = captures().join("squirrel-login.pcap");
    let o = bin()
        .arg("--parquet")
        .arg(&dir)
        .arg("-r")
        .arg(&capture)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    // Hive-style layout, named after the capture.
    let part = dir.join("packets/date=2026-11-22/part-squirrel-login-0.parquet");
    assert!(part.exists(), "{part:?} missing: {}", stderr(&o));
    let rows = duckdb(&[
        format!(
            "select column_name, column_type from (describe select * from read_parquet('{}')) \
             where column_name in ('ts', 'src_port', 'src_ip', 'frames')",
            part.display()
        ),
        format!(
            "select column_name, column_type from (describe select * from read_parquet('{}')) \
             where column_name in ('headers', 'status')",
            glob_of(&dir, "http")
        ),
        format!(
            "select distinct date from read_parquet('{}', hive_partitioning = true)",
            glob_of(&dir, "packets")
        ),
    ]);
    let types: BTreeMap<String, String> = rows[0]
        .iter()
        .chain(&rows[1])
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect();
    // timestamp[ns, UTC]: DuckDB's nanosecond timestamp with time zone.
    assert_eq!(types["ts"], "TIMESTAMPTZ_NS", "{types:?}");
    assert_eq!(types["src_port"], "USMALLINT");
    assert_eq!(types["src_ip"], "VARCHAR");
    assert_eq!(types["frames"], "UBIGINT[]");
    assert_eq!(types["status"], "USMALLINT");
    assert!(types["headers"].starts_with("STRUCT"), "{types:?}");
    assert_eq!(rows[2], vec![Value::Array(vec!["2026-11-22".into()])]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn docs_parquet_md_states_the_schema_the_writer_uses() {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/parquet.md"))
            .expect("docs/parquet.md");
    let between = doc
        .split_once("<!-- schema:begin -->\n")
        .and_then(|(_, rest)| rest.split_once("<!-- schema:end -->"))
        .map(|(s, _)| s)
        .expect("schema markers in docs/parquet.md");
    let want = squirrel_sniff::render::parquet::schema_markdown();
    if between != want {
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/parquet-schema.md");
        let _ = std::fs::write(&out, &want);
        panic!("docs/parquet.md's schema differs from the writer's (wanted text in {out:?})");
    }
}

/// The ```sql duckdb blocks of docs/engines.md.
fn engine_doc_queries() -> Vec<String> {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/engines.md"))
            .expect("docs/engines.md");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sql duckdb") => current = Some(String::new()),
            (Some(q), "```") => {
                out.push(std::mem::take(q));
                current = None;
            }
            (Some(q), l) => {
                q.push_str(l);
                q.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn docs_engines_duckdb_examples_run() {
    let dir = common::temp_dir("parquet-docs");
    // Clear HTTP with findings, TLS, and HTTP inside TLS opened with its key log (the
    // join on community_id).
    let login = captures().join("squirrel-login.pcap");
    let mixed = captures().join("tls-mixed.pcap");
    let https = captures().join("squirrel-https.pcap");
    let o = bin()
        .arg("--parquet")
        .arg(&dir)
        .arg("--keylog")
        .arg(captures().join("squirrel-https.keys"))
        .args(["-r"])
        .arg(&login)
        .arg(&mixed)
        .arg(&https)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let queries: Vec<String> = engine_doc_queries()
        .into_iter()
        .map(|q| q.replace("DIR", &dir.display().to_string()))
        .collect();
    assert!(queries.len() >= 5, "{} DuckDB examples", queries.len());
    for (q, rows) in queries.iter().zip(duckdb(&queries)) {
        assert!(!rows.is_empty(), "no rows: {q}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
