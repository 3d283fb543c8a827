//! Which fields of two instruments' JSON differ.

use serde_json::{Map, Value};

use crate::models::Decimal;

/// The dotted paths at which `old` and `new` differ, sorted. Objects are walked key by key;
/// any other value, arrays included, is one leaf.
pub(super) fn differing_paths(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out.sort();
    out
}

fn walk(prefix: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => walk_objects(prefix, old, new, out),
        _ if equivalent(old, new) => {}
        _ => out.push(prefix.to_owned()),
    }
}

fn walk_objects(
    prefix: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    out: &mut Vec<String>,
) {
    let path = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    for (key, old_value) in old {
        match new.get(key) {
            Some(new_value) => walk(&path(key), old_value, new_value, out),
            None => out.push(path(key)),
        }
    }
    for key in new.keys().filter(|k| !old.contains_key(*k)) {
        out.push(path(key));
    }
}

/// Equal as Bybit means them: like `==`, except that two strings holding the same decimal
/// number (`"5.00"` and `"5"`) are equal, as the models' own [`Decimal`] equality says. A
/// reformatted number is not a new tick size.
fn equivalent(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::String(a), Value::String(b)) => a == b || same_number(a, b),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equivalent(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| equivalent(x, y)))
        }
        _ => old == new,
    }
}

fn same_number(a: &str, b: &str) -> bool {
    match (a.parse::<Decimal>(), b.parse::<Decimal>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nested_objects_give_dotted_paths_and_arrays_are_one_field() {
        let old = json!({"a": "1", "f": {"x": "0.1", "y": "2"}, "p": [{"t": "1"}], "gone": 1});
        let new = json!({"a": "1", "f": {"x": "0.01", "y": "2"}, "p": [{"t": "2"}], "new": 1});
        assert_eq!(differing_paths(&old, &new), vec!["f.x", "gone", "new", "p"]);
    }

    #[test]
    fn a_reformatted_number_is_the_same_but_a_blank_or_a_type_change_is_not() {
        let old =
            json!({"a": "5.00", "b": "", "c": "1", "d": null, "e": {"k": "0.10"}, "l": ["1.0"]});
        let new = json!({"a": "5", "b": "0", "c": 1, "d": {}, "e": {"k": "0.1"}, "l": ["1"]});
        assert_eq!(differing_paths(&old, &new), vec!["b", "c", "d"]);
    }

    #[test]
    fn identical_values_have_no_differing_path() {
        let v = json!({"a": {"b": {"c": [1, 2]}}, "s": "x"});
        assert!(differing_paths(&v, &v).is_empty());
    }
}
