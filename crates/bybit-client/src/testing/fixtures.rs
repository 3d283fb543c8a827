//! The recorded Bybit responses in `fixtures/bybit` (see its SOURCES.md), embedded so that
//! tests, benches and the mock server need nothing outside the binary.

use serde_json::Value;

use crate::models::{Category, InstrumentList};

/// One recorded response.
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    /// File name in `fixtures/bybit`.
    pub name: &'static str,
    /// Category of its instruments; `None` for the error response.
    pub category: Option<Category>,
    /// The file's text.
    pub json: &'static str,
}

macro_rules! fixture {
    ($name:literal, $category:expr) => {
        Fixture {
            name: $name,
            category: $category,
            json: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/bybit/",
                $name
            )),
        }
    };
}

/// Every fixture, in file-name order.
pub const FIXTURES: &[Fixture] = &[
    fixture!("error-10001-illegal-category-roq-bybit.json", None),
    fixture!(
        "instruments-inverse-roq-bybit.json",
        Some(Category::Inverse)
    ),
    fixture!(
        "instruments-linear-btcusdt-nautilus-py.json",
        Some(Category::Linear)
    ),
    fixture!(
        "instruments-linear-bybitdocs-btcusdt.json",
        Some(Category::Linear)
    ),
    fixture!(
        "instruments-linear-bybitdocs-prelaunch-biousdt.json",
        Some(Category::Linear)
    ),
    fixture!(
        "instruments-linear-hirokisan-testnet-2023-gostruct.json",
        Some(Category::Linear)
    ),
    fixture!(
        "instruments-linear-nautilus-py.json",
        Some(Category::Linear)
    ),
    fixture!(
        "instruments-linear-prelisting-jkorf-docsderived.json",
        Some(Category::Linear)
    ),
    fixture!("instruments-linear-roq-bybit.json", Some(Category::Linear)),
    fixture!(
        "instruments-linear-today-shaped-214.json",
        Some(Category::Linear)
    ),
    fixture!("instruments-option-bybitdocs.json", Some(Category::Option)),
    fixture!(
        "instruments-option-hirokisan-testnet-2023-gostruct.json",
        Some(Category::Option)
    ),
    fixture!(
        "instruments-option-nautilus-py.json",
        Some(Category::Option)
    ),
    fixture!("instruments-option-roq-bybit.json", Some(Category::Option)),
    fixture!("instruments-spot-bybitdocs.json", Some(Category::Spot)),
    fixture!(
        "instruments-spot-fastmm-testnet-2026.json",
        Some(Category::Spot)
    ),
    fixture!("instruments-spot-nautilus-py.json", Some(Category::Spot)),
    fixture!("instruments-spot-roq-bybit.json", Some(Category::Spot)),
];

/// The largest real linear list: 214 testnet instruments (Feb 2023), in a Go-struct envelope.
pub const LINEAR_214: &str = "instruments-linear-hirokisan-testnet-2023-gostruct.json";
/// The 214 testnet instruments in the shape of Bybit's answers today (every documented field,
/// a few pre-market contracts, one field no model knows); made from the recorded list, see
/// SOURCES.md.
pub const LINEAR_TODAY_214: &str = "instruments-linear-today-shaped-214.json";
/// A full real option page: 500 testnet instruments (2023), in a Go-struct envelope.
pub const OPTION_500: &str = "instruments-option-hirokisan-testnet-2023-gostruct.json";

/// The fixture with this file name.
pub fn fixture(name: &str) -> Option<&'static Fixture> {
    FIXTURES.iter().find(|f| f.name == name)
}

/// The `result` object of a response: Bybit's `result`, or the one non-null member of the
/// Go-struct envelope (`{"LinearInverse": {...}, "Option": null, "Spot": null}`).
pub fn result_of(json: &str) -> Result<Value, serde_json::Error> {
    let mut doc: Value = serde_json::from_str(json)?;
    if let Some(result) = doc.get_mut("result") {
        return Ok(result.take());
    }
    let inner = ["LinearInverse", "Option", "Spot"]
        .iter()
        .find_map(|k| doc.get_mut(*k).filter(|v| !v.is_null()).map(Value::take));
    Ok(inner.unwrap_or(Value::Null))
}

/// The instruments of a response, as raw JSON objects (empty for an error response).
pub fn instrument_values(json: &str) -> Result<Vec<Value>, serde_json::Error> {
    Ok(match result_of(json)?.get_mut("list").map(Value::take) {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    })
}

/// The instruments of the named fixture, as raw JSON objects; empty for an unknown name.
pub fn values(name: &str) -> Vec<Value> {
    fixture(name)
        .and_then(|f| instrument_values(f.json).ok())
        .unwrap_or_default()
}

/// Raw instrument objects read as a list of `category`.
///
/// # Errors
/// When an object is not an instrument of that category.
pub fn typed_list(
    category: Category,
    values: &[Value],
) -> Result<InstrumentList, serde_json::Error> {
    serde_json::from_value(serde_json::json!({"category": category.as_str(), "list": values}))
}
