//! Marks the build `no_corpus` when `../shared/corpus` (the tshark ground-truth captures beside
//! the checkout) is absent, so the tests that need it are reported as ignored rather than
//! passing silently. With CI=true a missing corpus is an error: CI must run those tests.

use std::path::Path;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(no_corpus)");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let corpus = Path::new(&dir).join("../shared/corpus");
    let manifest = corpus.join("MANIFEST.tsv");
    println!("cargo:rerun-if-changed={}", manifest.display());
    if manifest.exists() {
        return;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing and CI=true: the corpus tests must run in CI",
            corpus.display()
        );
    }
    println!("cargo:warning=../shared/corpus not found: corpus tests are marked ignored");
    println!("cargo:rustc-cfg=no_corpus");
}
