//! Compiles `proto/ttn/lorawan/v3/*.proto` with protox (pure Rust, no system `protoc`) and
//! generates the prost messages and, with the `serde` feature, the pbjson serde impls.

use std::env;
use std::error::Error;
use std::path::PathBuf;

/// The proto files, relative to the `proto/` include directory.
const PROTO_FILES: &[&str] = &[
    "ttn/lorawan/v3/enums.proto",
    "ttn/lorawan/v3/gateway.proto",
    "ttn/lorawan/v3/gatewayserver.proto",
    "ttn/lorawan/v3/identifiers.proto",
    "ttn/lorawan/v3/lorawan.proto",
    "ttn/lorawan/v3/messages.proto",
    "ttn/lorawan/v3/metadata.proto",
    "ttn/lorawan/v3/mqtt.proto",
    "ttn/lorawan/v3/secrets.proto",
];

/// Enums whose value names (`RX_DELAY_3`, `DATA_RATE_5`, ...) say all there is to say.
const SELF_DESCRIBING_ENUMS: &[&str] = &[
    ".ttn.lorawan.v3.RxDelay",
    ".ttn.lorawan.v3.DataRateIndex",
    ".ttn.lorawan.v3.DataRateOffset",
];

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", root.display());
    for file in PROTO_FILES {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }

    let mut compiler = protox::Compiler::new([&root])?;
    compiler
        .include_source_info(true)
        .include_imports(true)
        .open_files(PROTO_FILES)?;
    let fds = compiler.file_descriptor_set();
    let fds_bytes = compiler.encode_file_descriptor_set();

    let mut config = prost_build::Config::new();
    config
        .out_dir(&out_dir)
        // The other well-known types always come from pbjson-types (prost-compatible, with the
        // proto3 JSON mapping), so the Rust types do not depend on the `serde` feature.
        .compile_well_known_types()
        // Timestamp is this crate's own: its JSON form ends in `Z` like The Things Stack's.
        .extern_path(".google.protobuf.Timestamp", "crate::Timestamp")
        // Struct and friends are this crate's own too: their map is a BTreeMap, so encoding
        // is deterministic (pbjson-types holds it in a HashMap).
        .extern_path(".google.protobuf.Struct", "crate::pb_struct::Struct")
        .extern_path(".google.protobuf.Value", "crate::pb_struct::Value")
        .extern_path(".google.protobuf.ListValue", "crate::pb_struct::ListValue")
        .extern_path(".google.protobuf.NullValue", "crate::pb_struct::NullValue")
        .extern_path(".google.protobuf", "::pbjson_types")
        // Deterministic encoding: map entries in key order.
        .btree_map(["."]);
    for path in SELF_DESCRIBING_ENUMS {
        config.enum_attribute(path, "#[allow(missing_docs)]");
    }
    config.compile_fds(fds)?;

    if env::var_os("CARGO_FEATURE_SERDE").is_some() {
        pbjson_build::Builder::new()
            .register_descriptors(&fds_bytes)?
            .out_dir(&out_dir)
            .btree_map(["."])
            .preserve_proto_field_names()
            // Like the binary decoder, skip fields this schema does not know (newer senders).
            .ignore_unknown_fields()
            .build(&[".ttn.lorawan.v3"])?;
        let serde_file = out_dir.join("ttn.lorawan.v3.serde.rs");
        let code = std::fs::read_to_string(&serde_file)?;
        std::fs::write(&serde_file, hex_json_fields(code)?)?;
    }
    Ok(())
}

/// Identifier bytes that The Things Stack prints as hex rather than base64 in JSON:
/// `(message, field, length in bytes)`.
const HEX_FIELDS: &[(&str, &str, usize)] = &[
    ("GatewayIdentifiers", "eui", 8),
    ("EndDeviceIdentifiers", "dev_eui", 8),
    ("EndDeviceIdentifiers", "join_eui", 8),
    ("EndDeviceIdentifiers", "dev_addr", 4),
    ("Fhdr", "dev_addr", 4),
    ("JoinRequestPayload", "join_eui", 8),
    ("JoinRequestPayload", "dev_eui", 8),
    ("JoinRequestPayload", "dev_nonce", 2),
    ("JoinAcceptPayload", "join_nonce", 3),
    ("JoinAcceptPayload", "net_id", 3),
    ("JoinAcceptPayload", "dev_addr", 4),
    ("RejoinRequestPayload", "net_id", 3),
    ("RejoinRequestPayload", "join_eui", 8),
    ("RejoinRequestPayload", "dev_eui", 8),
    ("PacketBrokerMetadata", "forwarder_net_id", 3),
    ("PacketBrokerMetadata", "home_network_net_id", 3),
    ("PacketBrokerMetadata", "forwarder_gateway_eui", 8),
];

/// Rewrites the pbjson-generated code so the [`HEX_FIELDS`] use `crate::hex_json` instead of
/// base64. Fails the build if the generated code does not have the expected shape (for example
/// after a pbjson-build upgrade), rather than silently printing base64.
fn hex_json_fields(mut code: String) -> Result<String, Box<dyn Error>> {
    for (message, field, len) in HEX_FIELDS {
        let ser = format!("impl serde::Serialize for {message} {{");
        code = replace_in_block(
            code,
            &ser,
            &format!("pbjson::private::base64::encode(&self.{field})"),
            &format!("crate::hex_json::encode::<{len}>(&self.{field})"),
        )?;
        let de = format!("impl<'de> serde::Deserialize<'de> for {message} {{");
        let assignment = format!(" {field}__ = \n");
        let start = block_range(&code, &de)?;
        let at = code[start.clone()]
            .find(&assignment)
            .ok_or_else(|| format!("{message}.{field}: no assignment in the Deserialize impl"))?
            + start.start;
        let bytes_de = "::pbjson::private::BytesDeserialize<_>";
        let rel = code[at..start.end]
            .find(bytes_de)
            .ok_or_else(|| format!("{message}.{field}: not deserialized as base64 bytes"))?;
        code.replace_range(
            at + rel..at + rel + bytes_de.len(),
            &format!("crate::hex_json::HexOrBase64<{len}>"),
        );
    }
    Ok(code)
}

/// The byte range of the `impl` block starting with `header` (up to the next top-level `impl`).
fn block_range(code: &str, header: &str) -> Result<std::ops::Range<usize>, Box<dyn Error>> {
    let start = code
        .find(header)
        .ok_or_else(|| format!("generated code has no `{header}`"))?;
    let end = code[start + header.len()..]
        .find("\nimpl")
        .map_or(code.len(), |i| start + header.len() + i);
    Ok(start..end)
}

fn replace_in_block(
    code: String,
    header: &str,
    from: &str,
    to: &str,
) -> Result<String, Box<dyn Error>> {
    let range = block_range(&code, header)?;
    let block = &code[range.clone()];
    if block.matches(from).count() != 1 {
        return Err(format!("`{from}` not found exactly once in `{header}`").into());
    }
    let mut out = String::with_capacity(code.len());
    out.push_str(&code[..range.start]);
    out.push_str(&block.replace(from, to));
    out.push_str(&code[range.end..]);
    Ok(out)
}
