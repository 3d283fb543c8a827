//! Prints the codec table: stored bytes, ratio to JSON, and encode and decode time per value,
//! from the `codecs` and `offload` criterion benches' results.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use anyhow::Result;
use benches::report::{mean_ns, micros};
use benches::{codecs, criterion_dir, linear_instruments};

fn main() -> Result<()> {
    let dir = criterion_dir();
    let list = linear_instruments();
    let json_bytes = codecs()[0].1.encode(&list)?.len() as f64;

    println!(
        "Real 214-instrument linear list (fixtures/bybit) as bybit-client's typed models, per value:\n"
    );
    println!("| format | compression | stored bytes | ratio to JSON | encode | decode |");
    println!("|---|---|---:|---:|---:|---:|");
    for (name, codec) in codecs() {
        let stored = codec.encode(&list)?.len();
        let (format, compression) = name.split_once('+').unwrap_or((&name, ""));
        println!(
            "| {format} | {compression} | {stored} | {:.2} | {} | {} |",
            stored as f64 / json_bytes,
            micros(mean_ns(&dir, "encode", &name)?),
            micros(mean_ns(&dir, "decode", &name)?),
        );
    }

    println!(
        "\nDecoding typed instruments (the real linear list, repeated beyond 214) inline, against a hop to the blocking pool (msgpack+zstd-3):\n"
    );
    let hop = mean_ns(&dir, "offload", "spawn_blocking-roundtrip")?;
    println!("| decoded bytes | decode inline | spawn_blocking round trip |");
    println!("|---:|---:|---:|");
    let mut sizes: Vec<u64> = std::fs::read_dir(dir.join("offload/decode-inline"))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    sizes.sort_unstable();
    for size in sizes {
        let inline = mean_ns(&dir, "offload/decode-inline", &size.to_string())?;
        println!("| {size} | {} | {} |", micros(inline), micros(hop));
    }
    Ok(())
}
