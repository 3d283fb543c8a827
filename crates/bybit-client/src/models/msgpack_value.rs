//! JSON values as MessagePack bytes, for [`Extra`](super::Extra): written and read here rather
//! than through rmp-serde, so that checking bytes read from a cache allocates nothing, and so
//! that what is accepted is exactly what can be turned back into the same JSON.

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused, as serde_json refuses it: reading is recursive.
pub(crate) const MAX_DEPTH: usize = 128;

/// One MessagePack item: a scalar, or the head of an array or map.
enum Token<'a> {
    Nil,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Str(&'a str),
    Array(usize),
    Map(usize),
}

/// Reads the next item, or `None` for what a JSON value cannot be (bin, ext, invalid UTF-8,
/// a number that is not finite, too few bytes).
fn token<'a>(input: &mut &'a [u8]) -> Option<Token<'a>> {
    let (&marker, rest) = input.split_first()?;
    *input = rest;
    Some(match marker {
        0x00..=0x7f => Token::Unsigned(u64::from(marker)),
        0x80..=0x8f => Token::Map(usize::from(marker & 0x0f)),
        0x90..=0x9f => Token::Array(usize::from(marker & 0x0f)),
        0xa0..=0xbf => Token::Str(text(input, usize::from(marker & 0x1f))?),
        0xc0 => Token::Nil,
        0xc2 => Token::Bool(false),
        0xc3 => Token::Bool(true),
        0xca => finite(f64::from(f32::from_be_bytes(take(input)?)))?,
        0xcb => finite(f64::from_be_bytes(take(input)?))?,
        0xcc => Token::Unsigned(u64::from(u8::from_be_bytes(take(input)?))),
        0xcd => Token::Unsigned(u64::from(u16::from_be_bytes(take(input)?))),
        0xce => Token::Unsigned(u64::from(u32::from_be_bytes(take(input)?))),
        0xcf => Token::Unsigned(u64::from_be_bytes(take(input)?)),
        0xd0 => Token::Signed(i64::from(i8::from_be_bytes(take(input)?))),
        0xd1 => Token::Signed(i64::from(i16::from_be_bytes(take(input)?))),
        0xd2 => Token::Signed(i64::from(i32::from_be_bytes(take(input)?))),
        0xd3 => Token::Signed(i64::from_be_bytes(take(input)?)),
        0xd9 => {
            let len = usize::from(u8::from_be_bytes(take(input)?));
            Token::Str(text(input, len)?)
        }
        0xda => {
            let len = usize::from(u16::from_be_bytes(take(input)?));
            Token::Str(text(input, len)?)
        }
        0xdb => {
            let len = usize::try_from(u32::from_be_bytes(take(input)?)).ok()?;
            Token::Str(text(input, len)?)
        }
        0xdc => Token::Array(usize::from(u16::from_be_bytes(take(input)?))),
        0xdd => Token::Array(usize::try_from(u32::from_be_bytes(take(input)?)).ok()?),
        0xde => Token::Map(usize::from(u16::from_be_bytes(take(input)?))),
        0xdf => Token::Map(usize::try_from(u32::from_be_bytes(take(input)?)).ok()?),
        0xe0..=0xff => Token::Signed(i64::from(marker as i8)),
        // Bin, ext and the reserved marker.
        0xc1 | 0xc4..=0xc9 | 0xd4..=0xd8 => return None,
    })
}

fn take<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = input.split_first_chunk::<N>()?;
    *input = rest;
    Some(*head)
}

fn text<'a>(input: &mut &'a [u8], len: usize) -> Option<&'a str> {
    let (head, rest) = input.split_at_checked(len)?;
    *input = rest;
    std::str::from_utf8(head).ok()
}

/// JSON has no NaN nor infinity: such a float could not come back as it was.
fn finite<'a>(v: f64) -> Option<Token<'a>> {
    v.is_finite().then_some(Token::Float(v))
}

/// Whether `bytes` is exactly one map of string keys to JSON values, nested at most
/// [`MAX_DEPTH`] deep.
pub(crate) fn is_object(bytes: &[u8]) -> bool {
    let mut input = bytes;
    match token(&mut input) {
        Some(Token::Map(len)) => entries_ok(&mut input, len, MAX_DEPTH) && input.is_empty(),
        _ => false,
    }
}

fn entries_ok(input: &mut &[u8], len: usize, depth: usize) -> bool {
    (0..len).all(|_| matches!(token(input), Some(Token::Str(_))) && value_ok(input, depth))
}

fn value_ok(input: &mut &[u8], depth: usize) -> bool {
    match token(input) {
        None => false,
        Some(Token::Array(len)) => depth > 1 && (0..len).all(|_| value_ok(input, depth - 1)),
        Some(Token::Map(len)) => depth > 1 && entries_ok(input, len, depth - 1),
        Some(_) => true,
    }
}

/// The entries of bytes accepted by [`is_object`], in their order (a repeated key each time).
pub(crate) fn entries(bytes: &[u8]) -> Vec<(String, Value)> {
    let mut input = bytes;
    let Some(Token::Map(len)) = token(&mut input) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(len.min(input.len()));
    for _ in 0..len {
        match (token(&mut input), value(&mut input)) {
            (Some(Token::Str(key)), Some(v)) => out.push((key.to_owned(), v)),
            _ => break,
        }
    }
    out
}

fn value(input: &mut &[u8]) -> Option<Value> {
    Some(match token(input)? {
        Token::Nil => Value::Null,
        Token::Bool(b) => Value::Bool(b),
        Token::Unsigned(v) => Value::Number(v.into()),
        Token::Signed(v) => Value::Number(v.into()),
        Token::Float(v) => Value::Number(Number::from_f64(v)?),
        Token::Str(s) => Value::String(s.to_owned()),
        Token::Array(len) => {
            let mut items = Vec::with_capacity(len.min(input.len()));
            for _ in 0..len {
                items.push(value(input)?);
            }
            Value::Array(items)
        }
        Token::Map(len) => {
            let mut map = Map::new();
            for _ in 0..len {
                let Token::Str(key) = token(input)? else {
                    return None;
                };
                let v = value(input)?;
                map.insert(key.to_owned(), v);
            }
            Value::Object(map)
        }
    })
}

/// Appends a map of `entries` to `out`. Values nested deeper than [`MAX_DEPTH`] are written
/// anyway; the caller checks the result with [`is_object`].
pub(crate) fn write_object<'a>(
    out: &mut Vec<u8>,
    len: usize,
    entries: impl Iterator<Item = (&'a str, &'a Value)>,
) {
    write_head(out, 0x80, 0xde, len);
    for (key, v) in entries {
        write_str(out, key);
        write_value(out, v);
    }
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            write_head(out, 0x90, 0xdc, items.len());
            for item in items {
                write_value(out, item);
            }
        }
        Value::Object(map) => {
            write_object(out, map.len(), map.iter().map(|(k, v)| (k.as_str(), v)));
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(v) = n.as_u64() {
        match v {
            0..=0x7f => out.push(v as u8),
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    } else if let Some(v) = n.as_i64() {
        match v {
            -32..=-1 => out.push(v as u8),
            _ => {
                out.push(0xd3);
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
    } else {
        // Neither integer: a finite float (serde_json holds no other).
        out.push(0xcb);
        out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

/// A fix head (`fix | len`) for fewer than 16 items, else the 32-bit one (the marker after
/// the 16-bit one, `wide16`).
fn write_head(out: &mut Vec<u8>, fix: u8, wide16: u8, len: usize) {
    if len < 16 {
        out.push(fix | len as u8);
    } else {
        out.push(wide16 + 1);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn packed(v: &Value) -> Vec<u8> {
        let map = v.as_object().unwrap();
        let mut out = Vec::new();
        write_object(
            &mut out,
            map.len(),
            map.iter().map(|(k, v)| (k.as_str(), v)),
        );
        out
    }

    /// What is written is accepted, reads back the same, and is what rmp-serde reads too.
    #[test]
    fn objects_read_back_as_written() {
        let long = "k".repeat(40);
        let many: Map<String, Value> = (0..20).map(|i| (format!("f{i}"), json!(i))).collect();
        for v in [
            json!({}),
            json!({"skipCallAuction": false}),
            json!({"a": null, "b": [1, -1, -33, 200, u64::MAX, i64::MIN, 1.5, -0.25e300]}),
            json!({"nested": {"x": [[], {}, "", "é"], "y": {"z": true}}}),
            json!({ long.clone(): long.repeat(3) }),
            json!({"arr": (0..40).collect::<Vec<_>>()}),
            Value::Object(many),
        ] {
            let bytes = packed(&v);
            assert!(is_object(&bytes), "{v}");
            let back: Map<String, Value> = entries(&bytes).into_iter().collect();
            assert_eq!(Value::Object(back), v);
            let by_rmp: Value = rmp_serde::from_slice(&bytes).unwrap();
            assert_eq!(by_rmp, v);
        }
    }

    #[test]
    fn anything_but_an_object_of_json_values_is_refused() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x90],                                                 // an array
            vec![0xc0],                                                 // nil
            vec![0x81, 0x01, 0x01],                                     // an integer key
            vec![0x81, 0xa1, b'a'],                                     // a key without its value
            vec![0x81, 0xa1, b'a', 0xc4, 0x01, 0x00],                   // bin
            vec![0x81, 0xa1, b'a', 0xd4, 0x01, 0x00],                   // ext
            vec![0x81, 0xa1, b'a', 0xc1],                               // the reserved marker
            vec![0x81, 0xa1, 0xff, 0xc0],                               // a key of invalid UTF-8
            vec![0x81, 0xa1, b'a', 0xa1, 0xfe],                         // a value of invalid UTF-8
            vec![0x81, 0xa1, b'a', 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], // NaN
            vec![0x81, 0xa1, b'a', 0xca, 0x7f, 0x80, 0, 0],             // f32 infinity
            vec![0x81, 0xa1, b'a', 0xc0, 0xc0],                         // a byte after the map
            vec![0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff], // an array longer than the bytes
            vec![0x81, 0xa1, b'a', 0x81, 0x01, 0xc0],             // a nested integer key
        ];
        for bytes in cases {
            assert!(!is_object(&bytes), "{bytes:x?}");
        }
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH - 1 {
            deep = json!([deep]);
        }
        assert!(is_object(&packed(&json!({ "a": deep.clone() }))));
        assert!(!is_object(&packed(&json!({ "a": [deep] }))));
    }
}
