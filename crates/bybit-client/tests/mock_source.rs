//! Consumers can stand a mock in for the client.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::{
    Category, Error, InstrumentList, InstrumentSource, InstrumentsQuery, MockInstrumentSource,
};

async fn symbols(source: &dyn InstrumentSource) -> Result<Vec<String>, Error> {
    let list = source.instruments(&InstrumentsQuery::linear()).await?;
    Ok(list.symbols().into_iter().map(str::to_owned).collect())
}

#[tokio::test]
async fn the_mock_source_answers_and_checks_the_query() {
    let mut mock = MockInstrumentSource::new();
    mock.expect_instruments()
        .withf(|q| q.category == Category::Linear)
        .times(1)
        .returning(|_| {
            let i = serde_json::from_str(r#"{"symbol":"BTCUSDT","fundingInterval":480}"#).unwrap();
            Ok(InstrumentList::Linear(vec![i]))
        });
    assert_eq!(symbols(&mock).await.unwrap(), vec!["BTCUSDT"]);
}

#[tokio::test]
async fn the_mock_source_can_fail() {
    let mut mock = MockInstrumentSource::new();
    mock.expect_instruments().returning(|_| Err(Error::Timeout));
    assert!(matches!(symbols(&mock).await, Err(Error::Timeout)));
}
