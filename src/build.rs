//! Builds the small C helper for Redis's long-double arithmetic (INCRBYFLOAT) and `%.17g` doubles:
//! Rust has no 80-bit float, and Redis's replies depend on it digit for digit.
fn main() {
    println!("cargo:rerun-if-changed=src/numbers.c");
    cc::Build::new()
        .file("src/numbers.c")
        .compile("pgredis_numbers");
}
