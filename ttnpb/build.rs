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
    }
    Ok(())
}
