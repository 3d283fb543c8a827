//! When a list is known to change by itself: deliveries, launches and pre-market auction
//! phases that Bybit announces in the instruments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::models::{
    InstrumentList, LinearInverseInstrument, OptionInstrument, Status, TimestampMs,
};

impl InstrumentList {
    /// The earliest moment strictly after `now` at which Bybit has announced that the list
    /// will change; `None` when it announces none (spot lists never do).
    ///
    /// A cached copy of the list is worth refetching at that moment whatever its TTL: a
    /// dated future or an option is delivered, a contract launches, or a pre-market
    /// contract enters its next auction phase.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use bybit_client::InstrumentList;
    ///
    /// let list: InstrumentList = serde_json::from_str(r#"{"category": "linear", "list": [
    ///     {"symbol": "BTCUSDT", "launchTime": "1585526400000", "deliveryTime": "0"},
    ///     {"symbol": "BTC-26JUN26", "launchTime": "1750000000000", "deliveryTime": "1782460800000"}
    /// ]}"#)?;
    /// let at = |ms| UNIX_EPOCH + Duration::from_millis(ms);
    /// assert_eq!(list.next_boundary_after(at(1_700_000_000_000)), Some(at(1_750_000_000_000)));
    /// assert_eq!(list.next_boundary_after(at(1_750_000_000_000)), Some(at(1_782_460_800_000)));
    /// assert_eq!(list.next_boundary_after(at(1_782_460_800_000)), None);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ///
    /// # Behavior
    /// The moments are every instrument's `launchTime` and `deliveryTime` (linear, inverse
    /// and option), and the `startTime` and `endTime` of every phase in a pre-market
    /// contract's `preListingInfo.phases`. A time of 0 or less, or sent as `""`, is none.
    pub fn next_boundary_after(&self, now: SystemTime) -> Option<SystemTime> {
        // One pass, nothing allocated or sorted: a reader of a cached list asks this on
        // every read that decodes one.
        let mut next = None;
        self.each_moment(|t| {
            if let Some(t) = to_system_time(t)
                && t > now
                && next.is_none_or(|n| t < n)
            {
                next = Some(t);
            }
        });
        next
    }

    /// The earliest moment in `(since, until]` whose announced change the list does not show
    /// yet: a contract past its `deliveryTime` still `Trading`, or past its `launchTime` still
    /// `PreLaunch`. `None` when every such change shows (or none was announced then).
    ///
    /// Bybit's list can lag its own announcements by a few seconds: a list fetched just after
    /// a delivery may still list the contract. A cached copy in which this finds a moment is
    /// worth asking for again soon, rather than at the end of its TTL. Pre-market auction
    /// phases are not judged: their change is in fields whose next value is not announced.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use bybit_client::InstrumentList;
    ///
    /// let list: InstrumentList = serde_json::from_str(r#"{"category": "linear", "list": [
    ///     {"symbol": "BTC-26JUN26", "status": "Trading", "deliveryTime": "1782460800000"}
    /// ]}"#)?;
    /// let at = |ms| UNIX_EPOCH + Duration::from_millis(ms);
    /// let delivery = at(1_782_460_800_000);
    /// let fetched = delivery + Duration::from_secs(2);
    /// assert_eq!(list.first_unshown_change(fetched - Duration::from_secs(60), fetched), Some(delivery));
    /// assert_eq!(list.first_unshown_change(delivery, fetched), None, "the window excludes its start");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn first_unshown_change(&self, since: SystemTime, until: SystemTime) -> Option<SystemTime> {
        let mut first: Option<SystemTime> = None;
        let mut consider = |moment: Option<TimestampMs>, unshown: bool| {
            if let Some(t) = moment.and_then(to_system_time)
                && unshown
                && t > since
                && t <= until
                && first.is_none_or(|f| t < f)
            {
                first = Some(t);
            }
        };
        let trading = |status: Option<&Status>| status == Some(&Status::Trading);
        let prelaunch = |status: Option<&Status>| status == Some(&Status::PreLaunch);
        match self {
            Self::Spot(_) => {}
            Self::Linear(l) | Self::Inverse(l) => {
                for i in l.iter() {
                    consider(i.delivery_time, trading(i.status.as_ref()));
                    consider(i.launch_time, prelaunch(i.status.as_ref()));
                }
            }
            Self::Option(l) => {
                for i in l.iter() {
                    consider(i.delivery_time, trading(i.status.as_ref()));
                    consider(i.launch_time, prelaunch(i.status.as_ref()));
                }
            }
        }
        first
    }

    /// Every moment at which Bybit has announced a change to the list (see
    /// [`InstrumentList::next_boundary_after`]), past ones included, sorted, each once.
    pub fn boundaries(&self) -> Vec<SystemTime> {
        let mut times = Vec::new();
        self.each_moment(|t| times.extend(to_system_time(t)));
        times.sort();
        times.dedup();
        times
    }

    /// Calls `f` with every announced moment, as sent (unsorted, repeats and blanks kept).
    fn each_moment(&self, mut f: impl FnMut(TimestampMs)) {
        match self {
            Self::Spot(_) => {}
            Self::Linear(l) | Self::Inverse(l) => l.iter().for_each(|i| contract(i, &mut f)),
            Self::Option(l) => l.iter().for_each(|i| option(i, &mut f)),
        }
    }
}

fn contract(i: &LinearInverseInstrument, f: &mut impl FnMut(TimestampMs)) {
    i.launch_time.into_iter().for_each(&mut *f);
    i.delivery_time.into_iter().for_each(&mut *f);
    let phases = i.pre_listing_info.as_ref().and_then(|p| p.phases.as_ref());
    for phase in phases.into_iter().flatten() {
        phase.start_time.into_iter().for_each(&mut *f);
        phase.end_time.into_iter().for_each(&mut *f);
    }
}

fn option(i: &OptionInstrument, f: &mut impl FnMut(TimestampMs)) {
    i.launch_time.into_iter().for_each(&mut *f);
    i.delivery_time.into_iter().for_each(&mut *f);
}

fn to_system_time(t: TimestampMs) -> Option<SystemTime> {
    let ms = u64::try_from(t.as_millis()).ok().filter(|ms| *ms > 0)?;
    UNIX_EPOCH.checked_add(Duration::from_millis(ms))
}
