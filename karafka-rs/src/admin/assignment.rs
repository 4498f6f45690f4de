//! A consumer group member's assignment as DescribeGroups returns it: the
//! consumer protocol's `Assignment` (version, then topics with partitions).

use std::collections::BTreeMap;

/// Topic to assigned partitions; `None` when the bytes are not a consumer
/// protocol assignment (another protocol type, or truncated).
pub(super) fn parse(bytes: &[u8]) -> Option<BTreeMap<String, Vec<i32>>> {
    let mut reader = Reader(bytes);
    let _version = reader.i16()?;
    let topics = reader.i32()?;
    let mut assigned = BTreeMap::new();
    for _ in 0..topics.max(0) {
        let length = usize::try_from(reader.i16()?).ok()?;
        let topic = String::from_utf8(reader.take(length)?.to_vec()).ok()?;
        let count = reader.i32()?;
        let mut partitions = Vec::with_capacity(count.clamp(0, 1024) as usize);
        for _ in 0..count.max(0) {
            partitions.push(reader.i32()?);
        }
        partitions.sort_unstable();
        assigned.insert(topic, partitions);
    }
    Some(assigned)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn consumer_protocol_assignment_is_read_topic_by_topic() {
        let mut bytes = vec![0, 1, 0, 0, 0, 2];
        for (topic, partitions) in [("users", &[2i32, 0][..]), ("ratings", &[1][..])] {
            bytes.extend((topic.len() as i16).to_be_bytes());
            bytes.extend(topic.as_bytes());
            bytes.extend((partitions.len() as i32).to_be_bytes());
            for p in partitions {
                bytes.extend(p.to_be_bytes());
            }
        }
        bytes.extend([0xff, 0xff, 0xff, 0xff]);
        let assigned = super::parse(&bytes).unwrap();
        assert_eq!(assigned["users"], [0, 2]);
        assert_eq!(assigned["ratings"], [1]);
        assert_eq!(super::parse(&bytes[..9]), None);
    }
}
