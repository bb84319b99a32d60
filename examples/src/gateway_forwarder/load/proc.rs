//! What a server process used, from Linux's `/proc/<pid>/stat` (user + system CPU time) and
//! `/proc/<pid>/status` (`VmHWM`, the peak resident set).

use std::time::Duration;

/// Clock ticks per second of the CPU times in `/proc/<pid>/stat` (`USER_HZ`, 100 on every
/// Linux architecture's user ABI).
const USER_HZ: u64 = 100;

/// User plus system CPU time of every thread of process `pid` so far.
pub(crate) fn cpu_time(pid: u32) -> Result<Duration, String> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_cpu_time(&text).ok_or_else(|| format!("{path}: no utime/stime fields"))
}

/// `utime` and `stime` are fields 14 and 15; the command name (field 2) is in parentheses
/// and may hold spaces, so fields are counted after its closing one.
fn parse_cpu_time(stat: &str) -> Option<Duration> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime + stime;
    Some(Duration::from_millis(ticks * 1000 / USER_HZ))
}

/// The peak resident set of process `pid` (`VmHWM`), in KiB.
pub(crate) fn peak_rss_kib(pid: u32) -> Result<u64, String> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    parse_vm_hwm(&text).ok_or_else(|| format!("{path}: no VmHWM line"))
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_counts_fields_after_the_command_name() {
        // A command name with a space and a parenthesis; utime 250, stime 50 ticks.
        let stat = "4242 (gateway (srv)) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 50 0 0 20 0 3 0 100 1000 300";
        assert_eq!(parse_cpu_time(stat), Some(Duration::from_secs(3)));
        assert_eq!(parse_cpu_time("4242 (x) S 1"), None);
    }

    #[test]
    fn vm_hwm_in_kib() {
        let status =
            "Name:\tgateway-server\nVmPeak:\t  300000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(12_345));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_a_cpu_time_and_a_peak() {
        let me = std::process::id();
        assert!(cpu_time(me).is_ok());
        assert!(peak_rss_kib(me).unwrap() > 0);
    }
}
