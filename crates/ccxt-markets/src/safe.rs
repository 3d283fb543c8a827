//! ccxt's `safe_*` accessors, read on Bybit's object as JSON, so that a field missing, `""`,
//! `null`, of an unexpected type or unknown to the models is read exactly as ccxt reads it.

use serde_json::Value;

/// `safe_dict`: the object under `key`, if it is one.
pub(crate) fn dict<'a>(obj: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    obj?.get(key).filter(|v| v.is_object())
}

/// `safe_string`: a non-empty string as it is, a number as Python's `str()` writes it;
/// `None` for anything else (`null`, `""`, booleans, objects).
pub(crate) fn string(obj: Option<&Value>, key: &str) -> Option<String> {
    text(obj?.get(key)?)
}

/// `safe_string_2`: the first of two keys that [`string`] reads.
pub(crate) fn string_2(obj: Option<&Value>, key1: &str, key2: &str) -> Option<String> {
    string(obj, key1).or_else(|| string(obj, key2))
}

/// `safe_string_lower`.
pub(crate) fn string_lower(obj: Option<&Value>, key: &str) -> Option<String> {
    string(obj, key).map(|s| s.to_lowercase())
}

/// `safe_number`: [`string`] read by Python's `float()`.
pub(crate) fn number(obj: Option<&Value>, key: &str) -> Option<f64> {
    string(obj, key).and_then(|s| py_float(&s))
}

/// `safe_number_2`.
pub(crate) fn number_2(obj: Option<&Value>, key1: &str, key2: &str) -> Option<f64> {
    string_2(obj, key1, key2).and_then(|s| py_float(&s))
}

/// `safe_integer`: `int(float(value))` of a string, number or boolean; `None` where Python
/// raises (not a number, NaN, infinite) and past what an `i64` holds.
pub(crate) fn integer(obj: Option<&Value>, key: &str) -> Option<i64> {
    let float = match obj?.get(key)? {
        Value::String(s) => py_float(s)?,
        Value::Number(n) => n.as_f64()?,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => return None,
    };
    to_int(float)
}

/// Python's `int()` of a float: truncation, refused where Python raises or an `i64` ends.
pub(crate) fn to_int(float: f64) -> Option<i64> {
    let truncated = float.trunc();
    // 2^63 is exact in f64; anything from there up does not fit.
    (truncated.is_finite() && truncated >= -(2f64.powi(63)) && truncated < 2f64.powi(63))
        .then_some(truncated as i64)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(py_number_str(n)),
        _ => None,
    }
}

/// Python's `str()` of a JSON number as ccxt's parser gives it: an `int` in digits, a
/// `float` in its shortest round-trip form (`100.0`, `1e-05`, `1.5e+16`).
fn py_number_str(n: &serde_json::Number) -> String {
    if n.is_f64() {
        n.as_f64().map(py_float_repr).unwrap_or_default()
    } else {
        n.to_string()
    }
}

/// Python's `repr()` of a float.
pub(crate) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the shortest digits that read back, as Python's repr does.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let fixed = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{fixed}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

/// Python's `float()` of a string: surrounding whitespace and underscores between digits
/// allowed, `inf`/`nan` spelled any case; `None` where Python raises.
pub(crate) fn py_float(s: &str) -> Option<f64> {
    let s = s.trim();
    let chars: Vec<char> = s.chars().collect();
    let mut clean = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            let between_digits = i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !between_digits {
                return None;
            }
        } else {
            clean.push(c);
        }
    }
    // Rust also reads "infinity" and "nan" in any case, as Python does, and nothing Python
    // refuses but a lone sign or point, which it refuses too.
    clean.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_as_ccxt_reads_them() {
        let obj = json!({"a": "x", "e": "", "n": null, "i": 480, "f": 1.0, "b": true, "o": {}});
        let obj = Some(&obj);
        assert_eq!(string(obj, "a").as_deref(), Some("x"));
        assert_eq!(string(obj, "e"), None);
        assert_eq!(string(obj, "n"), None);
        assert_eq!(string(obj, "missing"), None);
        assert_eq!(string(obj, "i").as_deref(), Some("480"));
        assert_eq!(string(obj, "f").as_deref(), Some("1.0"));
        assert_eq!(string(obj, "b"), None);
        assert_eq!(string(obj, "o"), None);
        assert_eq!(string(None, "a"), None);
        assert_eq!(string_2(obj, "e", "a").as_deref(), Some("x"));
    }

    #[test]
    fn integers_as_python_truncates_them() {
        let obj = json!({"t": "1585526400000", "f": "12.9", "neg": "-1.5", "b": true,
                         "bad": "12x", "nan": "nan", "big": "1e30", "n": 7});
        let obj = Some(&obj);
        assert_eq!(integer(obj, "t"), Some(1_585_526_400_000));
        assert_eq!(integer(obj, "f"), Some(12));
        assert_eq!(integer(obj, "neg"), Some(-1));
        assert_eq!(integer(obj, "b"), Some(1));
        assert_eq!(integer(obj, "bad"), None);
        assert_eq!(integer(obj, "nan"), None);
        assert_eq!(integer(obj, "big"), None);
        assert_eq!(integer(obj, "n"), Some(7));
    }

    #[test]
    fn floats_read_and_written_as_python_does() {
        assert_eq!(py_float(" 1_000.5 "), Some(1000.5));
        assert_eq!(py_float("1__0"), None);
        assert_eq!(py_float("_1"), None);
        assert_eq!(py_float(""), None);
        assert_eq!(py_float("Infinity"), Some(f64::INFINITY));
        for (f, repr) in [
            (100.0, "100.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (-2.5, "-2.5"),
            (123456.789, "123456.789"),
            (0.0, "0.0"),
        ] {
            assert_eq!(py_float_repr(f), repr, "{f}");
        }
    }
}
