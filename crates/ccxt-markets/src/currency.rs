//! ccxt's `safe_currency_code` before currencies are loaded (Bybit lists them only to
//! signed-in users, so `fetch_markets` runs without them).

/// ccxt's `commonCurrencies`, which Bybit's parser does not extend.
const COMMON_CURRENCIES: [(&str, &str); 2] = [("XBT", "BTC"), ("BCHSV", "BSV")];

/// The unified code of a Bybit coin: upper-cased, then renamed as ccxt renames it.
pub(crate) fn code(id: Option<&str>) -> Option<String> {
    let upper = id?.to_uppercase();
    Some(
        COMMON_CURRENCIES
            .iter()
            .find(|(from, _)| *from == upper)
            .map_or(upper, |(_, to)| (*to).to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::code;

    #[test]
    fn upper_cases_and_renames_as_ccxt_does() {
        assert_eq!(code(Some("usdt")).as_deref(), Some("USDT"));
        assert_eq!(code(Some("XBT")).as_deref(), Some("BTC"));
        assert_eq!(code(Some("bchsv")).as_deref(), Some("BSV"));
        assert_eq!(code(Some("1000BONK")).as_deref(), Some("1000BONK"));
        assert_eq!(code(None), None);
    }
}
