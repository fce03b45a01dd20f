//! Sharded snapshots: `snapshot --shard K/N` collects a deterministic 1/N of
//! the accounts, so N machines (or N tasks of a batch service) can run in
//! parallel. Each shard publishes its own files and a shard manifest; the
//! shard that completes the set writes the date's `manifest.json`, so a date
//! is complete — for every reader — only when all N shards are in.

use std::fmt;
use std::str::FromStr;

/// Shard K of N, 1-based as typed (`--shard 2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1..=count.
    pub index: u32,
    /// Number of shards, 1..=999.
    pub count: u32,
}

impl Shard {
    /// Whether this shard collects `account_id`: FNV-1a of the id, modulo
    /// the shard count. Stable across runs, machines and versions, and
    /// independent of the account list's order or length.
    pub fn contains(&self, account_id: &str) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in account_id.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// The first part-file number of this shard: shard K writes
    /// `part-{K*1000+n}` so shards never overwrite each other's files.
    pub fn first_part(&self) -> usize {
        self.index as usize * 1000
    }

    /// The shard manifest's file name.
    pub fn manifest_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not K/N with 1 <= K <= N <= 999 (e.g. 2/3)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count || count > 999 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_partitions_every_account_exactly_once() {
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/1000"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let ids: Vec<String> = (0..300)
            .map(|i| format!("{:012}", 100_000_000_000u64 + i * 7919))
            .collect();
        let shards: Vec<Shard> = (1..=3).map(|k| Shard { index: k, count: 3 }).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1, "{id}");
        }
        // Roughly even.
        for s in &shards {
            let n = ids.iter().filter(|id| s.contains(id)).count();
            assert!((60..=140).contains(&n), "shard {s}: {n}");
        }
    }
}
