//! Records, at build time, the versions `rustanchor -version` prints: the
//! tokio that Cargo resolved (read from Cargo.lock, which Cargo writes
//! before it runs build scripts) and the compiler's own `rustc -V`.

use std::env;
use std::fs;
use std::path::Path;
use std::process::Command;

fn main() {
    let dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by Cargo");
    let lock = Path::new(&dir).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed=build.rs");

    let text =
        fs::read_to_string(&lock).unwrap_or_else(|err| panic!("reading {}: {err}", lock.display()));
    let tokio = locked_version(&text, "tokio")
        .unwrap_or_else(|| panic!("{} names no tokio package", lock.display()));
    println!("cargo:rustc-env=RUSTANCHOR_TOKIO_VERSION={tokio}");
    println!(
        "cargo:rustc-env=RUSTANCHOR_RUSTC_VERSION={}",
        rustc_version()
    );
}

/// The version of package `name` in a Cargo.lock: the `version = "…"` line
/// of the `[[package]]` entry whose `name = "…"` line matches.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let quoted = |line: &str, key: &str| -> Option<String> {
        let value = line.strip_prefix(key)?.trim().strip_prefix('=')?.trim();
        Some(value.trim_matches('"').to_string())
    };
    lock.split("[[package]]").find_map(|entry| {
        let mut lines = entry.lines().map(str::trim);
        let is_it = lines
            .clone()
            .any(|l| quoted(l, "name").as_deref() == Some(name));
        if is_it {
            lines.find_map(|l| quoted(l, "version"))
        } else {
            None
        }
    })
}

/// `rustc -V` of the compiler Cargo builds this crate with.
fn rustc_version() -> String {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("-V")
        .output()
        .unwrap_or_else(|err| panic!("running {rustc} -V: {err}"));
    assert!(out.status.success(), "{rustc} -V failed: {}", out.status);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
