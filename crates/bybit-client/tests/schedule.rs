//! `next_boundary_after` on the recorded lists, as sent and with edited times: launches,
//! deliveries (futures and options) and pre-market auction phases.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bybit_client::testing::fixtures::{self, LINEAR_214, OPTION_500};
use bybit_client::{Category, InstrumentList};
use serde_json::{Value, json};

const BIO: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";
const ZRO: &str = "instruments-linear-prelisting-jkorf-docsderived.json";

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn list(category: Category, values: &[Value]) -> InstrumentList {
    fixtures::typed_list(category, values).unwrap()
}

fn fixture(category: Category, name: &str) -> InstrumentList {
    list(category, &fixtures::values(name))
}

/// Walks the boundaries from before the first to past the last, one at a time.
fn walk(list: &InstrumentList, from: SystemTime) -> Vec<SystemTime> {
    let mut seen = Vec::new();
    let mut now = from;
    while let Some(next) = list.next_boundary_after(now) {
        assert!(next > now);
        seen.push(next);
        now = next;
    }
    seen
}

#[test]
fn a_pre_market_contract_changes_at_launch_and_at_each_auction_phase() {
    let bio = fixture(Category::Linear, BIO);
    // launchTime, then the phases' start and end times; "" ends the last phase and
    // "deliveryTime": "0" delivers never.
    let expected = [
        1_735_032_510_000,
        1_735_113_600_000,
        1_735_116_600_000,
        1_735_116_900_000,
        1_735_117_200_000,
    ]
    .map(at);
    assert_eq!(walk(&bio, at(0)), expected);
    assert_eq!(bio.boundaries(), expected);
    // Strictly after: at a boundary, the next one.
    assert_eq!(
        bio.next_boundary_after(at(1_735_116_600_000)),
        Some(at(1_735_116_900_000))
    );
    assert_eq!(
        bio.next_boundary_after(at(1_735_116_600_000) - Duration::from_nanos(1)),
        Some(at(1_735_116_600_000))
    );
    assert_eq!(bio.next_boundary_after(at(1_735_117_200_000)), None);

    let zro = fixture(Category::Linear, ZRO);
    assert_eq!(
        walk(&zro, at(1_718_610_229_000)),
        [
            1_718_621_400_000,
            1_718_707_200_000,
            1_718_707_500_000,
            1_718_707_800_000
        ]
        .map(at)
    );
}

#[test]
fn moved_phase_times_move_the_boundary() {
    let mut values = fixtures::values(BIO);
    values[0]["preListingInfo"]["phases"][0]["startTime"] = json!("1735100000000");
    values[0]["preListingInfo"]["phases"][3]["endTime"] = json!("1735200000000");
    let bio = list(Category::Linear, &values);
    assert_eq!(
        bio.next_boundary_after(at(1_735_040_000_000)),
        Some(at(1_735_100_000_000))
    );
    assert_eq!(
        bio.next_boundary_after(at(1_735_117_200_000)),
        Some(at(1_735_200_000_000))
    );
}

#[test]
fn perpetuals_launched_long_ago_announce_nothing_until_a_time_is_edited_in() {
    let mut values = fixtures::values(LINEAR_214);
    let jan_2026 = at(1_767_225_600_000);
    assert_eq!(
        list(Category::Linear, &values).next_boundary_after(jan_2026),
        None
    );
    // The latest launch among the 214 is the last boundary there is.
    let last_launch = values
        .iter()
        .map(|v| v["launchTime"].as_str().unwrap().parse::<u64>().unwrap())
        .max()
        .unwrap();
    let whole = list(Category::Linear, &values);
    assert_eq!(
        whole.next_boundary_after(at(last_launch - 1)),
        Some(at(last_launch))
    );
    assert_eq!(whole.next_boundary_after(at(last_launch)), None);

    values[7]["deliveryTime"] = json!("1782460800000");
    values[9]["launchTime"] = json!("1770000000000");
    values[11]["deliveryTime"] = json!("1790000000000");
    let edited = list(Category::Linear, &values);
    assert_eq!(
        walk(&edited, jan_2026),
        [1_770_000_000_000, 1_782_460_800_000, 1_790_000_000_000].map(at)
    );
}

#[test]
fn zero_blank_and_negative_times_are_none() {
    let values = [
        json!({"symbol": "A", "launchTime": "0", "deliveryTime": "0"}),
        json!({"symbol": "B", "launchTime": "", "deliveryTime": "-5"}),
        json!({"symbol": "C", "preListingInfo": {"phases": [{"startTime": "", "endTime": "0"}]}}),
        json!({"symbol": "D", "preListingInfo": null}),
    ];
    let l = list(Category::Inverse, &values);
    assert!(l.boundaries().is_empty());
    assert_eq!(l.next_boundary_after(UNIX_EPOCH), None);
}

#[test]
fn options_change_at_each_delivery() {
    let values = fixtures::values(OPTION_500);
    let options = list(Category::Option, &values);
    let ms = |v: &Value, k: &str| v[k].as_str().unwrap().parse::<u64>().unwrap();
    let mut expected: Vec<u64> = values
        .iter()
        .flat_map(|v| [ms(v, "deliveryTime"), ms(v, "launchTime")])
        .filter(|t| *t > 0)
        .collect();
    expected.sort_unstable();
    expected.dedup();
    assert!(expected.len() > 5, "the page holds several expiries");
    assert_eq!(
        options.boundaries(),
        expected.iter().map(|t| at(*t)).collect::<Vec<_>>()
    );
    // Between two expiries, the next one.
    let mid = (expected[2] + expected[3]) / 2;
    assert_eq!(options.next_boundary_after(at(mid)), Some(at(expected[3])));
    assert_eq!(
        options.next_boundary_after(at(*expected.last().unwrap())),
        None
    );

    let docs = fixture(Category::Option, "instruments-option-bybitdocs.json");
    let delivery = ms(
        &fixtures::values("instruments-option-bybitdocs.json")[0],
        "deliveryTime",
    );
    assert_eq!(
        docs.next_boundary_after(at(delivery - 1000)),
        Some(at(delivery))
    );
}

#[test]
fn spot_lists_announce_nothing() {
    for name in [
        "instruments-spot-roq-bybit.json",
        "instruments-spot-bybitdocs.json",
        "instruments-spot-fastmm-testnet-2026.json",
    ] {
        let spot = fixture(Category::Spot, name);
        assert!(!spot.is_empty());
        assert_eq!(spot.next_boundary_after(UNIX_EPOCH), None, "{name}");
    }
}

/// Walking `next_boundary_after` from the epoch meets every moment of `boundaries`, in
/// order, on every recorded list: the two are computed apart (one pass, and a sorted list).
#[test]
fn walking_the_next_boundary_meets_every_boundary() {
    let mut walked = 0;
    for f in fixtures::FIXTURES {
        let Some(category) = f.category else { continue };
        let list = fixture(category, f.name);
        let all = list.boundaries();
        assert_eq!(walk(&list, UNIX_EPOCH), all, "{}", f.name);
        walked += all.len();
    }
    assert!(walked > 20, "the recorded lists announce moments: {walked}");
}

#[test]
fn a_passed_change_is_unshown_while_the_list_still_lists_the_old_state() {
    let mut values = fixtures::values(LINEAR_214);
    let delivery = 1_782_460_800_000;
    values[7]["deliveryTime"] = json!(delivery.to_string());
    values[9]["launchTime"] = json!((delivery + 5_000).to_string());
    values[9]["status"] = json!("PreLaunch");
    let after = |ms: u64| at(delivery + ms);
    let window = |list: &InstrumentList, until| {
        list.first_unshown_change(until - Duration::from_secs(3600), until)
    };

    let lagging = list(Category::Linear, &values);
    assert_eq!(window(&lagging, after(1_000)), Some(at(delivery)));
    assert_eq!(window(&lagging, at(delivery - 1)), None, "not passed yet");
    assert_eq!(
        lagging.first_unshown_change(at(delivery), after(1_000)),
        None,
        "moments at or before `since` are left out"
    );

    values[7]["status"] = json!("Delivering");
    let delivered = list(Category::Linear, &values);
    assert_eq!(window(&delivered, after(1_000)), None);
    assert_eq!(
        window(&delivered, after(6_000)),
        Some(after(5_000)),
        "a launch passed while the contract is still PreLaunch"
    );
    values[9]["status"] = json!("Trading");
    assert_eq!(window(&list(Category::Linear, &values), after(6_000)), None);
}
