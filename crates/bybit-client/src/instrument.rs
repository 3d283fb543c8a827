//! What the list operations (diff, merge, boundaries) need of an instrument of any category.

use serde::Serialize;

use crate::models::{LinearInverseInstrument, OptionInstrument, SpotInstrument, Status};

/// An instrument of one of the three shapes, keyed by its symbol.
pub(crate) trait Instrument: Serialize + PartialEq {
    fn symbol(&self) -> &str;
    fn status(&self) -> Option<&Status>;
}

macro_rules! instrument {
    ($($t:ty),*) => {$(
        impl Instrument for $t {
            fn symbol(&self) -> &str {
                &self.symbol
            }

            fn status(&self) -> Option<&Status> {
                self.status.as_ref()
            }
        }
    )*};
}

instrument!(SpotInstrument, LinearInverseInstrument, OptionInstrument);
