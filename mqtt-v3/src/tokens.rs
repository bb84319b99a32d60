//! Downlink correlation: the `gs:down:token:<n>` correlation id and a bounded ring that maps a
//! transmission acknowledgement back to its downlink.

use loragw_ttnpb::{DownlinkMessage, GatewayDown, TxAcknowledgment};

/// Prefix of the correlation id that identifies a downlink sent over MQTT.
pub const CORRELATION_ID_PREFIX: &str = "gs:down:token:";

/// Largest ring [`DownlinkTokens::new`] builds; larger requests are clamped to it.
pub const MAX_TOKENS_CAPACITY: usize = 4096;

/// Capacity The Things Stack uses: the last 16 downlinks of a gateway can be acknowledged.
pub const DEFAULT_TOKENS_CAPACITY: usize = 16;

/// The correlation id for downlink `token`: `gs:down:token:<token>` in decimal.
pub fn format_correlation_id(token: u64) -> String {
    format!("{CORRELATION_ID_PREFIX}{token}")
}

/// The token of one correlation id, if it is a `gs:down:token:<n>` id with `n` a decimal
/// `u64` (no sign, no leading `+`, no spaces).
pub fn parse_correlation_id(correlation_id: &str) -> Option<u64> {
    let digits = correlation_id.strip_prefix(CORRELATION_ID_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The token of the first `gs:down:token:<n>` id among `correlation_ids`.
pub fn find_token<S: AsRef<str>>(correlation_ids: &[S]) -> Option<u64> {
    correlation_ids
        .iter()
        .find_map(|id| parse_correlation_id(id.as_ref()))
}

/// A ring of the last `capacity` downlinks sent to one gateway, keyed by token.
///
/// Sans-IO and generic: `T` is whatever the caller needs back when the acknowledgement comes
/// (the downlink message, the time it was sent, a request id). [`insert`](Self::insert) hands
/// out consecutive tokens starting at the seed given to [`new`](Self::new); a token's slot is
/// the insertion count modulo `capacity`, so the newest downlink overwrites the oldest and
/// memory stays bounded.
/// An acknowledgement for an overwritten or unknown token finds nothing.
///
/// Slots are allocated as downlinks arrive and released once none is waiting, so the ring of
/// a gateway that receives no downlinks takes no memory (a server keeps one per gateway).
#[derive(Debug, Clone)]
pub struct DownlinkTokens<T> {
    /// The first `slots.len()` slots of the ring; the others are empty.
    slots: Vec<Option<(u64, T)>>,
    capacity: usize,
    first: u64,
    next: u64,
}

impl<T> DownlinkTokens<T> {
    /// A ring of `capacity` slots (clamped to `1..=MAX_TOKENS_CAPACITY`) whose first token is
    /// `first_token` (a seed from the configuration, for reproducible runs).
    pub fn new(capacity: usize, first_token: u64) -> Self {
        Self {
            slots: Vec::new(),
            capacity: capacity.clamp(1, MAX_TOKENS_CAPACITY),
            first: first_token,
            next: first_token,
        }
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of downlinks waiting for an acknowledgement.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// Whether no downlink is waiting.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    fn slot(&self, token: u64) -> usize {
        // Slots follow the insertion count, not the token itself, so that consecutive tokens
        // use consecutive slots even where the token wraps past u64::MAX. The remainder is
        // below `capacity`, which fits in usize.
        (token.wrapping_sub(self.first) % self.capacity as u64) as usize
    }

    /// Remembers `item` and returns its token; the slot's previous occupant, if any, is
    /// forgotten.
    pub fn insert(&mut self, item: T) -> u64 {
        let token = self.next;
        self.next = self.next.wrapping_add(1);
        let slot = self.slot(token);
        if slot >= self.slots.len() {
            self.slots.resize_with(slot + 1, || None);
        }
        self.slots[slot] = Some((token, item));
        token
    }

    /// The item of `token`, if it is still in the ring.
    pub fn get(&self, token: u64) -> Option<&T> {
        match self.slots.get(self.slot(token)) {
            Some(Some((t, item))) if *t == token => Some(item),
            _ => None,
        }
    }

    /// Removes and returns the item of `token`, if it is still in the ring. A second
    /// acknowledgement for the same token finds nothing.
    pub fn take(&mut self, token: u64) -> Option<T> {
        let slot = self.slot(token);
        let item = match self.slots.get(slot) {
            Some(Some((t, _))) if *t == token => self.slots[slot].take().map(|(_, item)| item),
            _ => None,
        };
        if item.is_some() && self.is_empty() {
            self.slots = Vec::new();
        }
        item
    }

    /// Finds the `gs:down:token:<n>` id among `correlation_ids` and takes its item.
    pub fn take_matching<S: AsRef<str>>(&mut self, correlation_ids: &[S]) -> Option<(u64, T)> {
        let token = find_token(correlation_ids)?;
        self.take(token).map(|item| (token, item))
    }
}

impl<T> DownlinkTokens<T> {
    /// Server side, before publishing a downlink: takes a token, appends its
    /// `gs:down:token:<n>` id to `downlink.correlation_ids` and remembers `item` under it.
    pub fn insert_downlink(&mut self, downlink: &mut DownlinkMessage, item: T) -> u64 {
        let token = self.insert(item);
        downlink.correlation_ids.push(format_correlation_id(token));
        token
    }

    /// Server side, when `v3/{uid}/down/ack` arrives: the token and item of the downlink that
    /// `ack` acknowledges, found through the correlation ids the gateway echoed.
    pub fn take_for_ack(&mut self, ack: &TxAcknowledgment) -> Option<(u64, T)> {
        self.take_matching(&ack.correlation_ids)
    }
}

/// Wraps a downlink in the `GatewayDown` that is published on `v3/{uid}/down`.
pub fn gateway_down(downlink: DownlinkMessage) -> GatewayDown {
    GatewayDown {
        downlink_message: Some(downlink),
    }
}

/// Gateway side: the acknowledgement for `downlink`, echoing its correlation ids (which carry
/// the server's `gs:down:token:<n>`).
pub fn tx_ack_for(
    downlink: &DownlinkMessage,
    result: loragw_ttnpb::tx_acknowledgment::Result,
) -> TxAcknowledgment {
    TxAcknowledgment {
        correlation_ids: downlink.correlation_ids.clone(),
        result: result as i32,
        downlink_message: None,
    }
}

impl<T> Default for DownlinkTokens<T> {
    /// [`DEFAULT_TOKENS_CAPACITY`] slots, first token 0.
    fn default() -> Self {
        Self::new(DEFAULT_TOKENS_CAPACITY, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_ids() {
        assert_eq!(format_correlation_id(0), "gs:down:token:0");
        assert_eq!(format_correlation_id(42), "gs:down:token:42");
        assert_eq!(parse_correlation_id("gs:down:token:42"), Some(42));
        assert_eq!(
            parse_correlation_id("gs:down:token:18446744073709551615"),
            Some(u64::MAX)
        );
        for bad in [
            "",
            "gs:down:token:",
            "gs:down:token:+1",
            "gs:down:token:-1",
            "gs:down:token: 1",
            "gs:down:token:1a",
            "gs:down:token:18446744073709551616",
            "gs:uplink:token:1",
            "GS:DOWN:TOKEN:1",
        ] {
            assert_eq!(parse_correlation_id(bad), None, "{bad}");
        }
        let ids = ["ns:downlink:01H", "gs:down:token:7", "gs:down:token:8"];
        assert_eq!(find_token(&ids), Some(7));
        assert_eq!(find_token::<&str>(&[]), None);
    }

    #[test]
    fn ring_matches_and_evicts() {
        let mut ring = DownlinkTokens::new(3, 100);
        assert!(ring.is_empty());
        let a = ring.insert("a");
        let b = ring.insert("b");
        let c = ring.insert("c");
        assert_eq!((a, b, c), (100, 101, 102));
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.get(b), Some(&"b"));
        // The fourth downlink overwrites the oldest.
        let d = ring.insert("d");
        assert_eq!(d, 103);
        assert_eq!(ring.get(a), None);
        assert_eq!(ring.take(a), None);
        let ack = vec![format_correlation_id(b)];
        assert_eq!(ring.take_matching(&ack), Some((101, "b")));
        // A duplicate acknowledgement finds nothing.
        assert_eq!(ring.take_matching(&ack), None);
        assert_eq!(ring.take(c), Some("c"));
        assert_eq!(ring.take(d), Some("d"));
        assert!(ring.is_empty());
        // Unknown token in a slot that holds another one.
        ring.insert("e");
        assert_eq!(ring.take(104 + 3), None);
    }

    #[test]
    fn downlink_round_trip_through_ack() {
        use loragw_ttnpb::tx_acknowledgment::Result as AckResult;
        let mut ring = DownlinkTokens::new(4, 7);
        let mut down = DownlinkMessage {
            correlation_ids: vec!["ns:downlink:abc".into()],
            ..Default::default()
        };
        let token = ring.insert_downlink(&mut down, "request-1");
        assert_eq!(token, 7);
        assert_eq!(
            down.correlation_ids,
            vec!["ns:downlink:abc".to_string(), "gs:down:token:7".to_string()]
        );
        let wrapped = gateway_down(down.clone());
        assert_eq!(wrapped.downlink_message.as_ref(), Some(&down));
        let ack = tx_ack_for(&down, AckResult::TooLate);
        assert_eq!(ack.result, 2);
        assert_eq!(ring.take_for_ack(&ack), Some((7, "request-1")));
        assert_eq!(ring.take_for_ack(&ack), None);
        // An acknowledgement without the token matches nothing.
        let stray = TxAcknowledgment {
            correlation_ids: vec!["ns:downlink:abc".into()],
            ..Default::default()
        };
        assert_eq!(ring.take_for_ack(&stray), None);
    }

    #[test]
    fn capacity_is_bounded_and_tokens_wrap() {
        assert_eq!(DownlinkTokens::<()>::new(0, 0).capacity(), 1);
        assert_eq!(
            DownlinkTokens::<()>::new(usize::MAX, 0).capacity(),
            MAX_TOKENS_CAPACITY
        );
        assert_eq!(
            DownlinkTokens::<()>::default().capacity(),
            DEFAULT_TOKENS_CAPACITY
        );
        // 2^64 - 1 is divisible by 3: slots must follow insertion order across the wrap.
        let mut ring = DownlinkTokens::new(3, u64::MAX - 1);
        assert_eq!(ring.insert(1), u64::MAX - 1);
        assert_eq!(ring.insert(2), u64::MAX);
        assert_eq!(ring.insert(3), 0);
        assert_eq!(ring.take(u64::MAX - 1), Some(1));
        assert_eq!(ring.take(u64::MAX), Some(2));
        assert_eq!(ring.take(0), Some(3));
    }

    #[test]
    fn slots_are_allocated_on_demand_and_released_when_empty() {
        let mut ring = DownlinkTokens::new(4096, 0);
        assert_eq!(
            ring.slots.capacity(),
            0,
            "an idle gateway's ring takes no memory"
        );
        assert_eq!(ring.get(5), None);
        assert_eq!(ring.take(5), None);
        let a = ring.insert("a");
        let b = ring.insert("b");
        assert_eq!(ring.slots.len(), 2);
        assert_eq!(ring.take(a), Some("a"));
        assert_eq!(ring.slots.len(), 2, "b still waits");
        assert_eq!(ring.take(b), Some("b"));
        assert_eq!(ring.slots.capacity(), 0);
        // Tokens go on where they were, in their own slots.
        assert_eq!(ring.insert("c"), 2);
        assert_eq!(ring.slots.len(), 3);
        assert_eq!(ring.get(2), Some(&"c"));
        assert_eq!(ring.get(a), None);
    }
}
