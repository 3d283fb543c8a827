//! A field-by-field comparison of ccxt's markets with ours, every difference named by its
//! path.

use serde_json::Value;

/// Panics with every difference between ccxt's markets and ours, if there is one.
pub(crate) fn assert_same_markets(scenario: &str, ccxt: &[Value], ours: &[Value]) {
    let mut diffs = Vec::new();
    let symbols = |ms: &[Value]| -> Vec<String> {
        ms.iter()
            .map(|m| m["symbol"].as_str().unwrap_or("?").to_owned())
            .collect()
    };
    if ccxt.len() != ours.len() {
        diffs.push(format!(
            "ccxt made {} markets, we made {}\n  ccxt: {:?}\n  ours: {:?}",
            ccxt.len(),
            ours.len(),
            symbols(ccxt),
            symbols(ours)
        ));
    }
    for (i, (c, o)) in ccxt.iter().zip(ours).enumerate() {
        let name = format!("markets[{i}] ({})", c["symbol"].as_str().unwrap_or("?"));
        walk(&name, c, o, &mut diffs);
    }
    assert!(
        diffs.is_empty(),
        "{scenario}: {} difference(s) from ccxt:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

fn walk(path: &str, ccxt: &Value, ours: &Value, diffs: &mut Vec<String>) {
    match (ccxt, ours) {
        (Value::Object(c), Value::Object(o)) => {
            for (k, cv) in c {
                match o.get(k) {
                    Some(ov) => walk(&format!("{path}.{k}"), cv, ov, diffs),
                    None => diffs.push(format!("{path}.{k}: ccxt {cv}, ours missing")),
                }
            }
            for (k, ov) in o {
                if !c.contains_key(k) {
                    diffs.push(format!("{path}.{k}: ccxt missing, ours {ov}"));
                }
            }
        }
        (Value::Array(c), Value::Array(o)) if c.len() == o.len() => {
            for (i, (cv, ov)) in c.iter().zip(o).enumerate() {
                walk(&format!("{path}[{i}]"), cv, ov, diffs);
            }
        }
        // `Value` equality tells an integer from a float, as Python does.
        _ if ccxt == ours => {}
        _ => diffs.push(format!(
            "{path}: ccxt {ccxt} ({}), ours {ours} ({})",
            kind(ccxt),
            kind(ours)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
