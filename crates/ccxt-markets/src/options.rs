//! Which markets to make: ccxt's `options['fetchMarkets']`.

use std::fmt;

use bybit_client::models::Status;
use bybit_client::{Category, InstrumentsQuery};

/// The option base coins ccxt 4.5 loads by default (`options['fetchMarkets']['options']`).
pub const DEFAULT_OPTION_BASE_COINS: [&str; 6] = ["BTC", "ETH", "SOL", "XRP", "MNT", "DOGE"];

/// Which markets [`markets`](crate::markets) makes, as ccxt's `options['fetchMarkets']`
/// says which it loads.
///
/// The default is ccxt's: every type in the order spot, linear, inverse, option; options of
/// [`DEFAULT_OPTION_BASE_COINS`]; expired options left out.
///
/// ```
/// use bybit_client::Category;
/// use ccxt_markets::Options;
///
/// let options = Options::default()
///     .with_types(Options::parse_types("linear,spot")?)
///     .with_option_base_coins(["BTC", "ETH"]);
/// assert_eq!(options.types(), [Category::Linear, Category::Spot]);
/// # Ok::<(), ccxt_markets::UnknownType>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    types: Vec<Category>,
    option_base_coins: Vec<String>,
    load_expired_options: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            types: Category::ALL.to_vec(),
            option_base_coins: DEFAULT_OPTION_BASE_COINS.map(String::from).to_vec(),
            load_expired_options: false,
        }
    }
}

impl Options {
    /// The market types to make, in this order (ccxt's `types`). A type given twice makes
    /// its markets twice, as ccxt does.
    pub fn with_types(mut self, types: impl IntoIterator<Item = Category>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// The base coins whose options are made, in this order (ccxt's `options`).
    pub fn with_option_base_coins<S: Into<String>>(
        mut self,
        coins: impl IntoIterator<Item = S>,
    ) -> Self {
        self.option_base_coins = coins.into_iter().map(Into::into).collect();
        self
    }

    /// Also make options that are not trading (ccxt's `loadExpiredOptions`); off by default,
    /// when only options whose status is `Trading` are made.
    pub fn with_expired_options(mut self, load: bool) -> Self {
        self.load_expired_options = load;
        self
    }

    /// The market types, in order.
    pub fn types(&self) -> &[Category] {
        &self.types
    }

    /// The option base coins, in order.
    pub fn option_base_coins(&self) -> &[String] {
        &self.option_base_coins
    }

    /// Whether options that are not trading are made.
    pub fn expired_options(&self) -> bool {
        self.load_expired_options
    }

    /// Reads a comma-separated list of types such as `spot,linear,inverse,option`
    /// (whitespace around a name is ignored, empty names are skipped).
    ///
    /// # Errors
    /// [`UnknownType`] for a name that is not one of the four, as ccxt refuses it.
    pub fn parse_types(list: &str) -> Result<Vec<Category>, UnknownType> {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                Category::ALL
                    .into_iter()
                    .find(|c| c.as_str() == name)
                    .ok_or_else(|| UnknownType(name.to_owned()))
            })
            .collect()
    }

    /// The Bybit requests ccxt makes for these options, in its order: `spot`; `linear` and
    /// `linear` with `status=PreLaunch`; the same for `inverse`; `option` once per base coin.
    /// The answers, pages followed, are the lists [`markets`](crate::markets) takes.
    pub fn queries(&self) -> Vec<InstrumentsQuery> {
        let mut queries = Vec::new();
        for &category in &self.types {
            match category {
                Category::Spot => queries.push(InstrumentsQuery::spot()),
                Category::Linear | Category::Inverse => {
                    queries.push(InstrumentsQuery::new(category));
                    queries.push(InstrumentsQuery::new(category).with_status(Status::PreLaunch));
                }
                Category::Option => queries.extend(
                    self.option_base_coins
                        .iter()
                        .map(|coin| InstrumentsQuery::option(coin.clone())),
                ),
            }
        }
        queries
    }
}

/// A market type name that is not `spot`, `linear`, `inverse` or `option`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownType(pub String);

impl fmt::Display for UnknownType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown market type {:?}: expected spot, linear, inverse or option",
            self.0
        )
    }
}

impl std::error::Error for UnknownType {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types_and_refuses_unknown_ones() {
        assert_eq!(
            Options::parse_types(" option, spot ,,"),
            Ok(vec![Category::Option, Category::Spot])
        );
        assert_eq!(Options::parse_types(""), Ok(vec![]));
        assert_eq!(
            Options::parse_types("spot,swap"),
            Err(UnknownType("swap".into()))
        );
        assert!(UnknownType("swap".into()).to_string().contains("\"swap\""));
    }
}
