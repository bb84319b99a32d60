//! Keys without writing Rust: `gateway-server hash-key` prints a line the registry accepts,
//! with a fresh salt each time, and CUPS hands out LNS keys read from a file or an
//! environment variable.

#![allow(clippy::unwrap_used)]

mod gateway_server_support;

use gateway_server_support::*;
use loragw_examples::gateway_server::{CupsGateway, ServerConfig, cups_lns_key};
use loragw_gateway_io::registry::KeyHash;

#[tokio::test]
async fn hash_key_prints_a_salted_hash_the_registry_accepts() {
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_gateway-server"));
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut child = tokio::process::Command::new(binary)
            .arg("hash-key")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"NNSXS.MY-SECRET\n").await.unwrap();
        drop(stdin);
        let out = tokio::time::timeout(STEP, child.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        lines.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    }
    let out = run(binary, &["hash-key", "--key", "NNSXS.MY-SECRET"]).await;
    lines.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    for line in &lines {
        let parts: Vec<&str> = line.split(':').collect();
        assert_eq!(parts.len(), 3, "{line}");
        assert_eq!(parts[0], "sha256");
        assert_eq!(parts[1].len(), 32, "16 bytes of salt: {line}");
        assert_eq!(parts[2].len(), 64, "a SHA-256 digest: {line}");
        let hash: KeyHash = line.parse().unwrap();
        assert!(hash.verify("NNSXS.MY-SECRET"));
        assert!(!hash.verify("NNSXS.MY-SECRET\n"));
    }
    assert_ne!(lines[0], lines[1], "a fresh salt each time");
    assert_ne!(lines[1], lines[2]);

    // The line goes into a config as it is.
    let config = ServerConfig::from_toml(&format!(
        "[[registry.gateway]]\nid = \"gw-one\"\nfrequency_plans = [\"EU_863_870\"]\n\
         [[registry.gateway.key]]\nname = \"lns\"\nhash = \"{}\"\nrights = [\"link\"]\n",
        lines[0]
    ))
    .unwrap();
    assert_eq!(config.registry.gateways[0].keys[0].hash, lines[0]);

    let empty = run(binary, &["hash-key", "--key", ""]).await;
    assert!(!empty.status.success());
}

#[test]
fn cups_keys_come_from_the_config_a_file_or_the_environment() {
    let dir = TempDir::new("cups-keys");
    let file = dir.file("lns.key", b"  NNSXS.FROM-FILE\n");
    // A variable the process already has (setting one takes `unsafe`, which the workspace
    // forbids): its value is what CUPS must hand out.
    let (var, value) = std::env::vars()
        .find(|(_, v)| !v.is_empty() && v.trim() == v)
        .expect("the test process has an environment");
    let gateway = |key: Option<&str>, file: Option<&str>, env: Option<&str>| {
        let mut g = CupsGateway::default();
        g.id = "gw-one".into();
        g.lns_key = key.map(Into::into);
        g.lns_key_file = file.map(Into::into);
        g.lns_key_env = env.map(Into::into);
        g
    };
    assert_eq!(
        cups_lns_key(&gateway(Some("NNSXS.PLAIN"), None, None)).unwrap(),
        "NNSXS.PLAIN"
    );
    assert_eq!(
        cups_lns_key(&gateway(None, Some(file.to_str().unwrap()), None)).unwrap(),
        "NNSXS.FROM-FILE"
    );
    assert_eq!(
        cups_lns_key(&gateway(None, None, Some(&var))).unwrap(),
        value
    );
    assert!(
        cups_lns_key(&gateway(Some("a"), None, Some(&var)))
            .unwrap_err()
            .contains("exactly one")
    );
    assert!(cups_lns_key(&gateway(None, None, None)).is_err());
    assert!(
        cups_lns_key(&gateway(None, None, Some("LORAGW_TEST_UNSET_VARIABLE")))
            .unwrap_err()
            .contains("LORAGW_TEST_UNSET_VARIABLE")
    );
    assert!(
        cups_lns_key(&gateway(None, Some("/nonexistent/lns.key"), None))
            .unwrap_err()
            .contains("/nonexistent/lns.key")
    );
    // The config file form.
    let config = ServerConfig::from_toml(&format!(
        "[[cups.gateway]]\nid = \"gw-one\"\nlns_key_env = \"{var}\"\n"
    ))
    .unwrap();
    assert_eq!(cups_lns_key(&config.cups.gateways[0]).unwrap(), value);
}
