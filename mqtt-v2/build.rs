//! Compiles `proto/router.proto` with the pure-Rust `protox` compiler (no system `protoc`) and
//! generates prost code into `OUT_DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/router.proto");
    let fds = protox::compile(["router.proto"], ["proto"])?;
    prost_build::Config::new()
        // `Trace.metadata` in a stable order, so encoding is deterministic.
        .btree_map(["."])
        .compile_fds(fds)?;
    Ok(())
}
