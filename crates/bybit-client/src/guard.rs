//! Refusing a page whose decoding would make an allocation larger than the body cap.
//!
//! Decoding can need far more memory than the body: `{"symbol":"A"},` is 15 bytes and
//! becomes an instrument of several hundred bytes, and an unknown field `[0,0,...]` keeps
//! each 2-byte element as a 32-byte `serde_json::Value`. Strings and maps allocate in
//! proportion to the text or in small nodes; arrays are the only single allocations that
//! outgrow the body. So one pass over the text finds the longest array, and the page is
//! refused when that array could need more than the cap.

/// serde_json's nesting limit: it refuses a document at this depth, before decoding
/// anything after it, so nothing deeper needs counting.
const MAX_DEPTH: usize = 128;

/// The element count of the longest array in `json`, counting unclosed arrays as they stand.
/// Never fails: text that is not JSON gives some count and serde_json refuses it later.
pub(crate) fn longest_array(json: &[u8]) -> usize {
    // Per open bracket: `Some(elements so far)` for an array, `None` for an object.
    let mut open: Vec<Option<usize>> = Vec::with_capacity(16);
    // Whether the innermost open array has had a value since its last comma.
    let mut pending = false;
    let mut longest = 0;
    let mut bytes = json.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'"' => {
                pending = true;
                while let Some(&c) = bytes.next() {
                    match c {
                        b'\\' => {
                            bytes.next();
                        }
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'[' | b'{' => {
                if open.len() == MAX_DEPTH {
                    break;
                }
                pending = false;
                open.push((b == b'[').then_some(0));
            }
            b']' | b'}' => {
                if let Some(Some(n)) = open.pop() {
                    longest = longest.max(n + usize::from(pending));
                }
                pending = true;
            }
            b',' => {
                if let Some(Some(n)) = open.last_mut() {
                    *n += usize::from(pending);
                }
                pending = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b':' => {}
            _ => pending = true,
        }
    }
    let unclosed = open.iter().flatten().max().map_or(0, |n| n + 1);
    longest.max(unclosed)
}

/// The most bytes one array of `len` elements of `elem` bytes may allocate while decoding:
/// a `Vec` grows by doubling, so its buffer can reach twice the elements it holds.
pub(crate) fn array_bytes(len: usize, elem: usize) -> usize {
    len.saturating_mul(elem).saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_longest_array_at_any_depth() {
        assert_eq!(longest_array(b"{}"), 0);
        assert_eq!(longest_array(b"[]"), 0);
        assert_eq!(longest_array(b"[1]"), 1);
        assert_eq!(
            longest_array(br#"{"a":[1,2,[3,4,5,6]],"b":"[,,,,,,,]"}"#),
            4
        );
        assert_eq!(longest_array(br#"[{"a":1,"b":2},{},"x\"]",[]]"#), 4);
        assert_eq!(longest_array(b"[0,0,0,0,0"), 5, "unclosed");
    }

    #[test]
    fn deep_nesting_stops_the_count_without_growing() {
        let deep = "[".repeat(100_000);
        assert_eq!(longest_array(deep.as_bytes()), 1);
    }
}
