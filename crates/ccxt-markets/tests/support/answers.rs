//! Bybit answers to the requests ccxt makes, built from `fixtures/bybit`, as the text ccxt
//! is served and the list this crate is given.

use bybit_client::testing::fixtures;
use bybit_client::{Category, InstrumentList, InstrumentsQuery};
use serde_json::{Value, json};

/// One answer: the query it answers, and Bybit's response text.
pub(crate) struct Answer {
    pub(crate) query: InstrumentsQuery,
    pub(crate) body: String,
}

impl Answer {
    /// A fixture as the answer to `query`. The recorded response is served verbatim when it
    /// is a whole Bybit response; the cut-down ones lack `result.category` (which Bybit always
    /// sends and ccxt reads) or come in a Go-struct envelope, and are put back into Bybit's.
    pub(crate) fn fixture(query: InstrumentsQuery, name: &str) -> Self {
        let fixture = fixtures::fixture(name).unwrap_or_else(|| panic!("no fixture {name}"));
        let doc: Value = serde_json::from_str(fixture.json).expect("fixture is JSON");
        let body = if doc["result"]["category"].is_string() {
            fixture.json.to_owned()
        } else {
            let mut result = fixtures::result_of(fixture.json).expect("fixture is JSON");
            result["category"] = json!(query.category.as_str());
            envelope(result)
        };
        Self { query, body }
    }

    /// The instruments of fixture `name` whose `baseCoin` is `coin`, as Bybit answers an
    /// option query by base coin.
    pub(crate) fn options_of(name: &str, coin: &str) -> Self {
        let mut list = fixtures::values(name);
        list.retain(|i| i["baseCoin"] == coin);
        let result = json!({"category": "option", "nextPageCursor": "", "list": list});
        Self {
            query: InstrumentsQuery::option(coin),
            body: envelope(result),
        }
    }

    /// `list` as the answer to `query`.
    pub(crate) fn instruments(query: InstrumentsQuery, list: Vec<Value>) -> Self {
        let result =
            json!({"category": query.category.as_str(), "list": list, "nextPageCursor": ""});
        Self {
            query,
            body: envelope(result),
        }
    }

    /// An empty list.
    pub(crate) fn empty(query: InstrumentsQuery) -> Self {
        let result = json!({"category": query.category.as_str(), "list": [], "nextPageCursor": ""});
        Self {
            query,
            body: envelope(result),
        }
    }

    /// The query as ccxt's request says it (without `limit`).
    pub(crate) fn query_json(&self) -> Value {
        query_json(&self.query)
    }

    /// The answer as this crate is given it.
    pub(crate) fn list(&self) -> InstrumentList {
        let doc: Value = serde_json::from_str(&self.body).expect("answer is JSON");
        serde_json::from_value(doc["result"].clone()).unwrap_or_else(|e| {
            panic!(
                "bybit-client cannot read the answer to {:?}: {e}",
                self.query
            )
        })
    }
}

/// A query as the map of its URL parameters.
pub(crate) fn query_json(query: &InstrumentsQuery) -> Value {
    let mut q = json!({"category": query.category.as_str()});
    if let Some(coin) = &query.base_coin {
        q["baseCoin"] = json!(coin);
    }
    if let Some(status) = &query.status {
        q["status"] = json!(status.as_str());
    }
    q
}

fn envelope(result: Value) -> String {
    json!({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": 0}).to_string()
}

/// The base coins of a fixture's instruments, in order of first appearance.
pub(crate) fn base_coins(name: &str) -> Vec<String> {
    let mut coins: Vec<String> = Vec::new();
    for i in fixtures::values(name) {
        if let Some(c) = i["baseCoin"].as_str()
            && !coins.iter().any(|x| x == c)
        {
            coins.push(c.to_owned());
        }
    }
    coins
}

/// The fixtures of a category.
pub(crate) fn of_category(category: Category) -> Vec<&'static str> {
    fixtures::FIXTURES
        .iter()
        .filter(|f| f.category == Some(category))
        .map(|f| f.name)
        .collect()
}
