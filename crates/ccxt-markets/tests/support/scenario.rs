//! One scenario: ccxt and this crate on the same answers, compared.

use bybit_client::models::Status;
use bybit_client::{Category, InstrumentList, InstrumentsQuery};
use ccxt_markets::{Options, markets};
use serde_json::{Value, json};

use super::answers::{self, Answer};
use super::{ccxt, diff};

/// Runs ccxt and this crate on `answers`, with `options` and ccxt's `options['fetchMarkets']`
/// said the same way (`ccxt_options`), and compares what they asked for and made. Returns
/// how many markets ccxt made, so that a scenario can tell it compared something.
pub(crate) fn check(
    scenario: &str,
    options: &Options,
    ccxt_options: Value,
    answers: &[Answer],
) -> usize {
    let run = ccxt::fetch_markets(ccxt_options, answers);

    // ccxt follows a cursor with a request of its own; every answer here is a whole list.
    let asked: Vec<Value> = run
        .asked
        .into_iter()
        .filter(|q| q.get("cursor").is_none())
        .map(|mut q| {
            q.as_object_mut().map(|o| o.remove("limit"));
            q
        })
        .collect();
    let queries = options.queries();
    let ours: Vec<Value> = queries.iter().map(answers::query_json).collect();
    assert_eq!(asked, ours, "{scenario}: ccxt asked Bybit for other lists");

    let lists: Vec<InstrumentList> = queries
        .iter()
        .map(|q| {
            let wanted = answers::query_json(q);
            answers
                .iter()
                .find(|a| a.query_json() == wanted)
                .unwrap_or_else(|| panic!("{scenario}: no answer to {wanted}"))
                .list()
        })
        .collect();
    let refs: Vec<&InstrumentList> = lists.iter().collect();
    let made = serde_json::to_value(markets(&refs, options)).expect("markets serialize");
    let made = made.as_array().expect("an array");
    diff::assert_same_markets(scenario, &run.markets, made);
    run.markets.len()
}

pub(crate) fn ccxt_options(options: &Options) -> Value {
    json!({
        "types": options.types().iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "options": options.option_base_coins(),
        "loadExpiredOptions": options.expired_options(),
    })
}

pub(crate) fn prelaunch(category: Category) -> InstrumentsQuery {
    InstrumentsQuery::new(category).with_status(Status::PreLaunch)
}

/// Empty answers to every query of `options` that `answers` does not answer.
pub(crate) fn filled(options: &Options, mut answers: Vec<Answer>) -> Vec<Answer> {
    for q in options.queries() {
        let wanted = answers::query_json(&q);
        if !answers.iter().any(|a| a.query_json() == wanted) {
            answers.push(Answer::empty(q));
        }
    }
    answers
}
