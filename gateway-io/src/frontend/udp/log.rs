//! Rate-limited logging of what unauthenticated UDP traffic can trigger at will: at most one
//! line per [`LOG_INTERVAL`] per kind, carrying how many were suppressed since the last one.
//! Sans-IO like the frontend: the caller passes `now`.

use std::time::{Duration, Instant};

use crate::log_limit::LogWindow;

/// At most one log line per kind within this long.
pub(super) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LogKind {
    /// A datagram (or part of one) that does not decode.
    Malformed,
    /// An `rxpk` the adapter could not turn into an uplink.
    RxpkDropped,
    /// A datagram dropped by a guard (rate limit, address change, gateway table full).
    Rejected,
    /// A gateway not served (unregistered, or requiring an authenticated connection).
    Refused,
    /// A downlink path established or moved.
    PathChanged,
    /// A TX_ACK that matches no downlink.
    UnmatchedTxAck,
    /// A downlink transmitted with a warning (e.g. `TX_POWER`).
    TxWarning,
}

const KINDS: usize = 7;

impl LogKind {
    fn index(self) -> usize {
        match self {
            LogKind::Malformed => 0,
            LogKind::RxpkDropped => 1,
            LogKind::Rejected => 2,
            LogKind::Refused => 3,
            LogKind::PathChanged => 4,
            LogKind::UnmatchedTxAck => 5,
            LogKind::TxWarning => 6,
        }
    }
}

/// Per-kind limiter.
#[derive(Debug, Default)]
pub(super) struct LogLimiter {
    windows: [LogWindow; KINDS],
}

impl LogLimiter {
    /// Whether a line of this kind may be logged now; if so, the number of lines suppressed
    /// since the previous one (and the count restarts).
    pub(super) fn allow(&mut self, kind: LogKind, now: Instant) -> Option<u64> {
        self.windows[kind.index()].allow(now, LOG_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_suppressed_count() {
        let t0 = Instant::now();
        let mut l = LogLimiter::default();
        assert_eq!(l.allow(LogKind::Malformed, t0), Some(0));
        assert_eq!(l.allow(LogKind::Malformed, t0), None);
        assert_eq!(
            l.allow(LogKind::Malformed, t0 + Duration::from_secs(9)),
            None
        );
        assert_eq!(
            l.allow(LogKind::Rejected, t0),
            Some(0),
            "kinds are independent"
        );
        assert_eq!(l.allow(LogKind::Malformed, t0 + LOG_INTERVAL), Some(2));
        assert_eq!(l.allow(LogKind::Malformed, t0 + 2 * LOG_INTERVAL), Some(0));
    }
}
