//! Suites: several trajectories in one run, split across CI machines with
//! `--shard K/N` and across local Xvfb servers with `--jobs N`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The K-th of N shares of a suite (`--shard K/N`, K from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

/// A `--shard` value that is not `K/N` with 1 <= K <= N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--shard {0:?} is not K/N with 1 <= K <= N, for example 2/4")]
pub struct BadShard(pub String);

impl FromStr for Shard {
    type Err = BadShard;

    fn from_str(s: &str) -> Result<Shard, BadShard> {
        let err = || BadShard(s.to_string());
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let index: u32 = k.trim().parse().map_err(|_| err())?;
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        if index == 0 || index > count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// This shard's files. The files are sorted by path and dealt out in
    /// turn, so that every machine of a CI matrix, given the same list in
    /// any order, takes a disjoint share, the shares together are the whole
    /// list, and their sizes differ by at most one.
    pub fn select(&self, files: &[PathBuf]) -> Vec<PathBuf> {
        let mut sorted = files.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i as u64 % u64::from(self.count) == u64::from(self.index - 1))
            .map(|(_, f)| f)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_from_k_slash_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("2".parse::<Shard>().is_err());
        assert!("a/b".parse::<Shard>().is_err());
    }

    #[test]
    fn shards_split_a_suite_without_overlap_whatever_the_order() {
        let files: Vec<PathBuf> = (0..10).map(|i| format!("t/{i:02}.traj").into()).collect();
        let mut reversed = files.clone();
        reversed.reverse();
        let mut seen = Vec::new();
        for k in 1..=3 {
            let shard = Shard { index: k, count: 3 };
            let a = shard.select(&files);
            assert_eq!(a, shard.select(&reversed));
            assert!((3..=4).contains(&a.len()));
            seen.extend(a);
        }
        seen.sort();
        assert_eq!(seen, files);
    }
}
