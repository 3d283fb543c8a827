//! The lists a running mock serves: in memory, or read from a file on every request, one
//! per category plus any per `status`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::models::Category;

/// Where one list comes from.
#[derive(Clone, Debug)]
pub(super) enum Source {
    Values(Arc<Vec<Value>>),
    File(PathBuf),
}

impl Source {
    pub(super) fn values(list: Vec<Value>) -> Self {
        Self::Values(Arc::new(list))
    }

    /// The list now; a file is read again each time, so a test may rewrite it between
    /// requests.
    pub(super) fn read(&self) -> Result<Arc<Vec<Value>>, String> {
        match self {
            Self::Values(list) => Ok(Arc::clone(list)),
            Self::File(path) => read_file(path).map(Arc::new),
        }
    }
}

/// Reads the instruments from a file holding a Bybit response, its `result`, a serialized
/// `InstrumentList` (`{"category": ..., "list": [...]}`) or a bare array.
pub(super) fn read_file(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read instruments from {}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| format!("instruments file {} is not JSON: {e}", path.display()))?;
    list_of(doc).ok_or_else(|| {
        format!(
            "instruments file {} holds no list (an array, or an object with \"list\" or \"result\")",
            path.display()
        )
    })
}

fn list_of(doc: Value) -> Option<Vec<Value>> {
    match doc {
        Value::Array(list) => Some(list),
        Value::Object(mut map) => {
            let inner = ["list", "result", "LinearInverse", "Option", "Spot"]
                .iter()
                .find_map(|k| map.remove(*k).filter(|v| !v.is_null()))?;
            list_of(inner)
        }
        _ => None,
    }
}

/// Every list a mock serves.
#[derive(Debug, Default)]
pub(super) struct Lists {
    pub(super) main: BTreeMap<Category, Source>,
    pub(super) by_status: BTreeMap<(Category, String), Source>,
}

impl Lists {
    /// What a request for `category` (and `status`, when it names one) is served from:
    /// the list set for that status, or else the category's list filtered to the status,
    /// as Bybit filters.
    pub(super) fn serve(
        &self,
        category: Category,
        status: Option<&str>,
    ) -> Result<Arc<Vec<Value>>, String> {
        let Some(status) = status else {
            return self.main_list(category);
        };
        if let Some(source) = self.by_status.get(&(category, status.to_owned())) {
            return source.read();
        }
        let all = self.main_list(category)?;
        Ok(Arc::new(
            all.iter()
                .filter(|v| v.get("status").and_then(Value::as_str) == Some(status))
                .cloned()
                .collect(),
        ))
    }

    pub(super) fn main_list(&self, category: Category) -> Result<Arc<Vec<Value>>, String> {
        self.main
            .get(&category)
            .map_or_else(|| Ok(Arc::default()), Source::read)
    }
}

/// Sets the value at a dotted path (`priceFilter.tickSize`), making the objects on the
/// way; false when something on the way is not an object.
pub(super) fn set_path(instrument: &mut Value, path: &str, value: Value) -> bool {
    let mut at = instrument;
    for key in path.split('.') {
        let Some(object) = at.as_object_mut() else {
            return false;
        };
        at = object
            .entry(key)
            .or_insert_with(|| Value::Object(Default::default()));
    }
    *at = value;
    true
}

pub(super) fn symbol_of(instrument: &Value) -> Option<&str> {
    instrument.get("symbol").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_list_is_found_in_every_shape_a_file_may_hold() {
        let item = json!({"symbol": "X"});
        for doc in [
            json!([item]),
            json!({"category": "linear", "list": [item]}),
            json!({"retCode": 0, "result": {"category": "linear", "list": [item]}}),
            json!({"LinearInverse": {"list": [item]}, "Option": null, "Spot": null}),
        ] {
            assert_eq!(list_of(doc.clone()), Some(vec![item.clone()]), "{doc}");
        }
        assert_eq!(list_of(json!({"retCode": 10001, "result": {}})), None);
        assert_eq!(list_of(json!("x")), None);
    }

    #[test]
    fn a_path_is_set_through_objects_only() {
        let mut v = json!({"symbol": "X", "priceFilter": {"tickSize": "0.1"}, "n": 1});
        assert!(set_path(&mut v, "priceFilter.tickSize", json!("0.5")));
        assert!(set_path(
            &mut v,
            "riskParameters.priceLimitRatioX",
            json!("0.1")
        ));
        assert!(!set_path(&mut v, "n.x", json!(1)));
        assert_eq!(
            v,
            json!({"symbol": "X", "priceFilter": {"tickSize": "0.5"}, "n": 1,
                   "riskParameters": {"priceLimitRatioX": "0.1"}})
        );
    }
}
