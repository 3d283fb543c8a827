//! What goes to stdout: data only, as text or JSON.

use std::io::{self, Write};

use bybit_client::{Category, InstrumentList};
use serde_json::Value;

use market_data::{FundingIntervals, Market};

use bybit_client::Escaped;

/// Writes where `market-data serve` listens: `listening on http://ADDR`, or
/// `{"listening":"http://ADDR"}`.
pub(crate) fn listening(
    out: &mut impl Write,
    address: std::net::SocketAddr,
    json: bool,
) -> io::Result<()> {
    let url = format!("http://{address}");
    if json {
        return json_line(out, &serde_json::json!({ "listening": url }));
    }
    writeln!(out, "listening on {url}")
}

/// Writes what `cache clear` removed: `removed N entries of spot, linear, inverse`, or
/// `{"removed":N,"markets":["spot","linear","inverse"]}`. Without an option market, the text
/// says how to clear those too.
pub(crate) fn cleared(
    out: &mut impl Write,
    removed: usize,
    markets: &[Market],
    json: bool,
) -> io::Result<()> {
    let names: Vec<String> = markets.iter().map(ToString::to_string).collect();
    if json {
        return json_line(
            out,
            &serde_json::json!({ "removed": removed, "markets": names }),
        );
    }
    let entries = if removed == 1 { "entry" } else { "entries" };
    write!(out, "removed {removed} {entries} of {}", names.join(", "))?;
    if !markets.iter().any(|m| m.category() == Category::Option) {
        write!(
            out,
            " (option entries are per base coin: name one with --base-coin)"
        )?;
    }
    writeln!(out)
}

/// Writes the symbols, one a line, or a JSON array of strings.
///
/// Text output escapes what could steer a terminal (see [`Escaped`]); JSON is exact.
pub(crate) fn symbols(out: &mut impl Write, symbols: &[String], json: bool) -> io::Result<()> {
    if json {
        return json_line(out, &symbols);
    }
    for symbol in symbols {
        writeln!(out, "{}", Escaped(symbol))?;
    }
    Ok(())
}

/// Writes symbol and minutes, tab-separated, or a JSON object from symbol to minutes.
pub(crate) fn funding(
    out: &mut impl Write,
    intervals: &FundingIntervals,
    json: bool,
) -> io::Result<()> {
    if json {
        return json_line(out, intervals);
    }
    for (symbol, minutes) in intervals {
        writeln!(out, "{}\t{minutes}", Escaped(symbol))?;
    }
    Ok(())
}

/// The instruments of `list`, only `symbol` when given (case-insensitive).
pub(crate) fn select(list: &InstrumentList, symbol: Option<&str>) -> InstrumentList {
    let keep = |s: &str| symbol.is_none_or(|wanted| s.eq_ignore_ascii_case(wanted));
    match list {
        InstrumentList::Spot(l) => {
            InstrumentList::Spot(l.iter().filter(|i| keep(&i.symbol)).cloned().collect())
        }
        InstrumentList::Linear(l) => {
            InstrumentList::Linear(l.iter().filter(|i| keep(&i.symbol)).cloned().collect())
        }
        InstrumentList::Inverse(l) => {
            InstrumentList::Inverse(l.iter().filter(|i| keep(&i.symbol)).cloned().collect())
        }
        InstrumentList::Option(l) => {
            InstrumentList::Option(l.iter().filter(|i| keep(&i.symbol)).cloned().collect())
        }
    }
}

/// Writes the instruments as a JSON array of Bybit's objects (every field Bybit sent, with
/// its names and values), or a table of their main fields.
pub(crate) fn instruments(
    out: &mut impl Write,
    list: &InstrumentList,
    json: bool,
) -> io::Result<()> {
    if json {
        return match list {
            InstrumentList::Spot(l) => json_line(out, l),
            InstrumentList::Linear(l) | InstrumentList::Inverse(l) => json_line(out, l),
            InstrumentList::Option(l) => json_line(out, l),
        };
    }
    let objects: serde_json::Result<Vec<Value>> = match list {
        InstrumentList::Spot(l) => l.iter().map(serde_json::to_value).collect(),
        InstrumentList::Linear(l) | InstrumentList::Inverse(l) => {
            l.iter().map(serde_json::to_value).collect()
        }
        InstrumentList::Option(l) => l.iter().map(serde_json::to_value).collect(),
    };
    let objects = objects?;
    let columns = columns(list.category());
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|o| columns.iter().map(|(_, path)| cell(o, path)).collect())
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (title, _))| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([title.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let titles: Vec<String> = columns.iter().map(|(t, _)| (*t).to_owned()).collect();
    for row in std::iter::once(&titles).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

type Column = (&'static str, &'static [&'static str]);

fn columns(category: Category) -> Vec<Column> {
    let mut columns: Vec<Column> = vec![
        ("SYMBOL", &["symbol"]),
        ("STATUS", &["status"]),
        ("BASE", &["baseCoin"]),
        ("QUOTE", &["quoteCoin"]),
        ("TICK", &["priceFilter", "tickSize"]),
        ("MIN QTY", &["lotSizeFilter", "minOrderQty"]),
    ];
    match category {
        Category::Linear | Category::Inverse => {
            columns.push(("QTY STEP", &["lotSizeFilter", "qtyStep"]));
            columns.push(("MAX LEV", &["leverageFilter", "maxLeverage"]));
            columns.push(("FUNDING MIN", &["fundingInterval"]));
        }
        Category::Option => {
            columns.push(("TYPE", &["optionsType"]));
            columns.push(("DELIVERY MS", &["deliveryTime"]));
        }
        Category::Spot => columns.push(("BASE PRECISION", &["lotSizeFilter", "basePrecision"])),
    }
    columns
}

fn cell(object: &Value, path: &[&str]) -> String {
    match path.iter().try_fold(object, |v, key| v.get(key)) {
        Some(Value::String(s)) => Escaped(s).to_string(),
        Some(Value::Null) | None => "-".to_owned(),
        Some(other) => other.to_string(),
    }
}

fn json_line(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}
