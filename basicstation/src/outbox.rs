//! The queue of encoded text frames both sessions drain with `poll_transmit`.

use std::collections::VecDeque;

/// Encoded frames waiting to be written, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Outbox(VecDeque<String>);

impl Outbox {
    /// Queues one encoded frame.
    pub(crate) fn push(&mut self, frame: String) {
        self.0.push_back(frame);
    }

    /// Whether no frame is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves the oldest frame into `buf` (replacing its contents, reusing the frame's
    /// allocation) and returns true; false when empty. Drained, the queue gives its room back:
    /// an idle session keeps none (sessions are many).
    pub(crate) fn pop_into(&mut self, buf: &mut String) -> bool {
        let popped = match self.0.pop_front() {
            Some(mut frame) => {
                std::mem::swap(buf, &mut frame);
                true
            }
            None => false,
        };
        if self.0.is_empty() && self.0.capacity() > 0 {
            self.0 = VecDeque::new();
        }
        popped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_order_and_replace_the_buffer() {
        let mut o = Outbox::default();
        o.push("a".into());
        o.push("bc".into());
        let mut buf = String::from("old contents");
        assert!(o.pop_into(&mut buf));
        assert_eq!(buf, "a");
        assert!(o.pop_into(&mut buf));
        assert_eq!(buf, "bc");
        assert!(!o.pop_into(&mut buf));
        assert_eq!(buf, "bc");
        assert_eq!(o.0.capacity(), 0, "drained, the queue keeps no room");
    }
}
