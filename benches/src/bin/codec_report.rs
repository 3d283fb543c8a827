//! Prints the codec table: stored bytes, ratio to JSON, and encode and decode time per value,
//! for the recorded 2023 linear list and the same list in today's shape, from the `codecs`
//! and `offload` criterion benches' results.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::path::Path;

use anyhow::Result;
use benches::report::{mean_ns, micros};
use benches::{List, codecs, criterion_dir};

fn main() -> Result<()> {
    let dir = criterion_dir();
    println!(
        "214-instrument linear lists (fixtures/bybit) as bybit-client's typed models, per value:\n"
    );
    println!("| list | format | compression | stored bytes | ratio to JSON | encode | decode |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for list_kind in List::ALL {
        let list = list_kind.instruments();
        let json_bytes = codecs()[0].1.encode(&list)?.len() as f64;
        for (name, codec) in codecs() {
            let stored = codec.encode(&list)?.len();
            let (format, compression) = name.split_once('+').unwrap_or((&name, ""));
            let id = format!("{name}/{}", list_kind.name());
            println!(
                "| {} | {format} | {compression} | {stored} | {:.2} | {} | {} |",
                list_kind.name(),
                stored as f64 / json_bytes,
                micros(mean_ns(&dir, "encode", &id)?),
                micros(mean_ns(&dir, "decode", &id)?),
            );
        }
    }

    println!(
        "\nDecoding typed instruments (each list repeated beyond 214) inline, against the hop \
         off the runtime (msgpack+zstd-3; maps as Vec<LinearInverseInstrument>, positional as \
         the InstrumentList market-data stores):\n"
    );
    let spawn_blocking = mean_ns(&dir, "offload", "spawn_blocking-roundtrip")?;
    let hop = mean_ns(&dir, "offload", "typed-decode-offloaded")?
        - mean_ns(&dir, "offload", "typed-decode-inline")?;
    println!(
        "The typed layer's hop off the runtime and back: {} (tokio's spawn_blocking round trip: {})\n",
        micros(hop),
        micros(spawn_blocking),
    );
    println!("| form | decoded bytes | decode inline | per KiB |");
    println!("|---|---:|---:|---:|");
    for form in [
        "decode-inline",
        "decode-inline-today",
        "decode-inline-positional",
        "decode-inline-positional-today",
    ] {
        for (size, inline) in inline_decodes(&dir, form)? {
            println!(
                "| {form} | {size} | {} | {} |",
                micros(inline),
                micros(inline * 1024.0 / size as f64),
            );
        }
    }
    Ok(())
}

/// (decoded bytes, mean ns) of each size criterion measured under `offload/<form>`.
fn inline_decodes(dir: &Path, form: &str) -> Result<Vec<(u64, f64)>> {
    let mut sizes: Vec<u64> = std::fs::read_dir(dir.join("offload").join(form))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    sizes.sort_unstable();
    sizes
        .into_iter()
        .map(|size| {
            Ok((
                size,
                mean_ns(dir, &format!("offload/{form}"), &size.to_string())?,
            ))
        })
        .collect()
}
