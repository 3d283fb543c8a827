//! [`Market`]: which instruments a dataset is about, and [`Dataset`]: which view of them.

use std::fmt;

use bybit_client::{Category, InstrumentsQuery};

use crate::Error;

/// The instruments of one category; for options, of one base coin, since Bybit lists
/// options per base coin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Market {
    category: Category,
    base_coin: Option<String>,
}

impl Market {
    /// Spot, linear or inverse instruments; for options use [`Market::option`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for [`Category::Option`], which needs a base coin.
    pub fn new(category: Category) -> Result<Self, Error> {
        Self::with_base_coin(category, None)
    }

    /// Options on `base_coin`, e.g. `"BTC"`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `base_coin` is empty or not letters and digits.
    pub fn option(base_coin: impl Into<String>) -> Result<Self, Error> {
        Self::with_base_coin(Category::Option, Some(base_coin.into()))
    }

    /// Instruments of `category`, narrowed to `base_coin` when given.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for options without a base coin, or an empty base coin.
    pub fn with_base_coin(category: Category, base_coin: Option<String>) -> Result<Self, Error> {
        match base_coin {
            Some(coin) if coin.is_empty() || !coin.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Err(Error::InvalidArgument(format!(
                    "base coin {coin:?} is not a coin name"
                )))
            }
            None if category == Category::Option => Err(Error::InvalidArgument(
                "category option needs a base coin (e.g. BTC): Bybit lists options per base coin"
                    .to_owned(),
            )),
            coin => Ok(Self {
                category,
                base_coin: coin.map(|c| c.to_ascii_uppercase()),
            }),
        }
    }

    /// The category.
    pub const fn category(&self) -> Category {
        self.category
    }

    /// The base coin, when narrowed to one.
    pub fn base_coin(&self) -> Option<&str> {
        self.base_coin.as_deref()
    }

    /// The upstream query for every instrument of this market.
    pub fn query(&self) -> InstrumentsQuery {
        let query = InstrumentsQuery::new(self.category);
        match &self.base_coin {
            Some(coin) => query.with_base_coin(coin.clone()),
            None => query,
        }
    }
}

impl fmt::Display for Market {
    /// `linear`, or `option-BTC`: the market's part of a cache key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.base_coin {
            Some(coin) => write!(f, "{}-{coin}", self.category),
            None => write!(f, "{}", self.category),
        }
    }
}

/// A view of a market's instruments, cached on its own schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dataset {
    /// The whole instrument list, every field as Bybit sent it.
    Instruments,
    /// The symbols, in Bybit's order.
    Symbols,
    /// Symbol to funding interval in minutes (linear and inverse only).
    FundingIntervals,
}

impl Dataset {
    /// All datasets.
    pub const ALL: [Self; 3] = [Self::Instruments, Self::Symbols, Self::FundingIntervals];

    /// The dataset's name, as keys and logs show it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Instruments => "instruments",
            Self::Symbols => "symbols",
            Self::FundingIntervals => "funding_intervals",
        }
    }

    /// The version of the stored shape, part of every key so that new code never reads old
    /// bytes as new: the models' [`SCHEMA_VERSION`](bybit_client::models::SCHEMA_VERSION),
    /// from which every dataset is made. The codec needs no part in it: each entry's envelope
    /// records its format and compression, and any reader decodes any of them.
    pub const fn schema_version(self) -> u32 {
        match self {
            Self::Instruments | Self::Symbols | Self::FundingIntervals => {
                bybit_client::models::SCHEMA_VERSION
            }
        }
    }

    /// Whether `category` has this dataset: only contracts have funding intervals.
    pub const fn applies_to(self, category: Category) -> bool {
        match self {
            Self::Instruments | Self::Symbols => true,
            Self::FundingIntervals => matches!(category, Category::Linear | Category::Inverse),
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cache key of `dataset` for `market` under `namespace`:
/// `{namespace}:{dataset}:v{schema}:{market}`, e.g. `market-data:instruments:v2:linear`.
///
/// It is the key of the lists without pre-launch contracts. With
/// [`Policy::with_prelaunch`](crate::Policy::with_prelaunch), linear and inverse lists are
/// kept under this key followed by `+prelaunch`: ask
/// [`Policy::cache_key`](crate::Policy::cache_key) or [`MarketData::key`](crate::MarketData::key),
/// which know the policy.
pub fn cache_key(namespace: &str, dataset: Dataset, market: &Market) -> String {
    format!(
        "{namespace}:{}:v{}:{market}",
        dataset.name(),
        dataset.schema_version()
    )
}
