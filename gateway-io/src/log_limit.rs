//! Rate-limited logging of what clients can trigger at will: at most one loud line per window,
//! carrying how many were suppressed since the previous one. Sans-IO: the caller passes `now`.
//! Shared by the Semtech UDP frontend (per kind of event) and the TCP listeners' refusals.

use std::time::{Duration, Instant};

/// One rate-limited stream of log lines.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LogWindow {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogWindow {
    /// Whether a line may be logged loudly at `now`, at most once per `interval`; if so, the
    /// number of lines suppressed since the previous loud one (and the count restarts).
    pub(crate) fn allow(&mut self, now: Instant, interval: Duration) -> Option<u64> {
        match self.last {
            Some(at) if now.saturating_duration_since(at) < interval => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// Lines suppressed since the last loud one.
    #[cfg(test)]
    pub(crate) fn suppressed(&self) -> u64 {
        self.suppressed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_suppressed_count() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut w = LogWindow::default();
        assert_eq!(w.allow(t0, second), Some(0));
        assert_eq!(w.allow(t0, second), None);
        assert_eq!(w.allow(t0 + Duration::from_millis(999), second), None);
        assert_eq!(w.allow(t0 + second, second), Some(2));
        assert_eq!(w.allow(t0 + 2 * second, second), Some(0));
    }
}
