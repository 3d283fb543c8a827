//! Redis Cluster's key-to-slot mapping, and splitting a batch of keys by slot.

/// The number of hash slots of a Redis Cluster.
pub const SLOTS: u16 = 16_384;

/// The cluster hash slot of `key`, as Redis computes it: CRC16 (XMODEM) modulo 16384 of the
/// key, or of its hash tag, the part between the first `{` and the next `}` when that part is
/// not empty.
///
/// ```
/// assert_eq!(cache_redis::key_slot(b"foo"), 12182);
/// // Keys sharing a hash tag share a slot.
/// assert_eq!(cache_redis::key_slot(b"{app}:a"), cache_redis::key_slot(b"{app}:b"));
/// ```
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOTS
}

/// The part of `key` that is hashed.
fn hash_tag(key: &[u8]) -> &[u8] {
    let Some(open) = key.iter().position(|&b| b == b'{') else {
        return key;
    };
    match key[open + 1..].iter().position(|&b| b == b'}') {
        Some(len) if len > 0 => &key[open + 1..open + 1 + len],
        _ => key,
    }
}

/// Groups the positions of `keys` by hash slot: one group per slot, groups in the order their
/// first key appears, positions ascending within a group.
pub(crate) fn group_by_slot<K: AsRef<[u8]>>(keys: &[K]) -> Vec<Vec<usize>> {
    let mut slot_of_group: Vec<u16> = Vec::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let slot = key_slot(key.as_ref());
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

const CRC16_TABLE: [u16; 256] = crc16_table();

const fn crc16_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as in Redis's `crc16.c`.
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_check_value() {
        // The standard check value of CRC-16/XMODEM, also in Redis's crc16.c.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(
            hash_tag(b"foo{}{bar}"),
            b"foo{}{bar}",
            "an empty tag hashes the whole key"
        );
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"no tag"), b"no tag");
        assert_eq!(hash_tag(b"open { only"), b"open { only");
    }

    #[test]
    fn groups_keep_order_and_cover_every_key() {
        let keys = ["{a}1", "b", "{a}2", "c", "b"];
        let groups = group_by_slot(&keys);
        assert_eq!(groups[0], vec![0, 2]);
        let mut all: Vec<usize> = groups.concat();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        for group in &groups {
            let slot = key_slot(keys[group[0]].as_bytes());
            assert!(group.iter().all(|&i| key_slot(keys[i].as_bytes()) == slot));
        }
    }
}
