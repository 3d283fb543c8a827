//! Splitting a pipeline of `SET`s by hash slot, for a Redis Cluster.
//!
//! The cluster connection routes a multi-key `MGET` across slots by itself, but a pipeline
//! goes whole to the node of its first key, so a batch of writes is cut into one pipeline per
//! slot first. The slot is redis-rs's own [`Slot::for_key`].

use redis::cluster_routing::Slot;

/// Groups the positions of `keys` by hash slot: one group per slot, groups in the order their
/// first key appears, positions ascending within a group.
pub(crate) fn group_by_slot<K: AsRef<[u8]>>(keys: &[K]) -> Vec<Vec<usize>> {
    let mut slot_of_group: Vec<Slot> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let slot = Slot::for_key(key);
        // Batches are small (tens of keys); a linear search beats hashing here.
        match slot_of_group.iter().position(|&s| s == slot) {
            Some(g) => groups[g].push(i),
            None => {
                slot_of_group.push(slot);
                groups.push(vec![i]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_order_and_cover_every_key() {
        let keys = ["{a}1", "b", "{a}2", "c", "b"];
        let groups = group_by_slot(&keys);
        assert_eq!(groups[0], vec![0, 2], "a shared hash tag shares a group");
        let mut all: Vec<usize> = groups.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        for group in &groups {
            let slot = Slot::for_key(keys[group[0]]);
            assert!(group.iter().all(|&i| Slot::for_key(keys[i]) == slot));
        }
    }
}
