//! Measuring a leaf and printing it as a Go benchmark result line.

use std::fmt::Write;
use std::time::{Duration, Instant};

use crate::sys;

/// What a leaf's measured calls took.
pub struct Sample {
    /// Measured calls (the warm-up call is not among them).
    pub calls: u64,
    pub wall: Duration,
    /// CPU time of the whole process over the measured calls.
    pub cpu: Duration,
    /// Context switches of the whole process over the measured calls,
    /// voluntary and involuntary.
    pub switches: u64,
    /// CPUs in the union of the process's threads' affinities, read back
    /// after the measured calls.
    pub cpus: usize,
}

/// Makes one unmeasured warm-up call, then `calls` measured ones; every
/// call's result must equal `want`, or the error says which call returned
/// what.
pub fn measure(calls: u64, want: u64, mut call: impl FnMut() -> u64) -> Result<Sample, String> {
    let check = |got: u64, which: &str| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{which} returned {got}, want {want}"))
        }
    };
    check(call(), "the warm-up call")?;
    let start = Instant::now();
    let switches0 = sys::process_switches();
    let cpu0 = sys::process_cpu_time();
    for i in 1..=calls {
        check(call(), &format!("measured call {i}"))?;
    }
    let cpu = sys::process_cpu_time().saturating_sub(cpu0);
    let switches = sys::process_switches().saturating_sub(switches0);
    let wall = start.elapsed();
    let cpus = sys::observed_cpus()
        .map_err(|err| format!("reading the CPUs of the process's threads: {err}"))?
        .len();
    Ok(Sample {
        calls,
        wall,
        cpu,
        switches,
        cpus,
    })
}

/// The result line, as `go test -bench` prints it: name, calls, ns/op, then
/// time and CPU time per unit of work, CPU utilisation, context switches
/// per unit of work and CPUs.
pub fn result_line(name: &str, unit: &str, units_per_call: u64, s: &Sample) -> String {
    let wall = s.wall.as_nanos() as f64;
    let cpu = s.cpu.as_nanos() as f64;
    let units = s.calls as f64 * units_per_call as f64;
    let mut line = format!("{name}\t{:8}", s.calls);
    for (value, metric) in [
        (wall / s.calls as f64, "ns/op".to_string()),
        (wall / units, format!("ns/{unit}")),
        (cpu / units, format!("cpu-ns/{unit}")),
        (cpu / wall, "cpu-util".to_string()),
        (s.switches as f64 / units, format!("ctx-switches/{unit}")),
        (s.cpus as f64, "cpus".to_string()),
    ] {
        line.push('\t');
        pretty(&mut line, value, &metric);
    }
    line
}

/// Formats a metric as Go's testing package does (prettyPrint): whole
/// numbers from 999.95 up, four significant digits below, no exponent.
fn pretty(out: &mut String, x: f64, unit: &str) {
    let y = x.abs();
    let (width, precision) = match () {
        _ if y == 0.0 || y >= 999.95 => (10, 0),
        _ if y >= 99.995 => (12, 1),
        _ if y >= 9.9995 => (13, 2),
        _ if y >= 0.99995 => (14, 3),
        _ if y >= 0.099995 => (15, 4),
        _ if y >= 0.0099995 => (16, 5),
        _ if y >= 0.00099995 => (17, 6),
        _ => (18, 7),
    };
    write!(out, "{x:width$.precision$} {unit}").unwrap();
}

/// The two lines of a leaf that cannot run.
pub fn skip_lines(name: &str, reason: &str) -> String {
    format!("--- SKIP: {name}\n    {reason}")
}

/// The two lines of a leaf whose result was wrong.
pub fn fail_lines(name: &str, reason: &str) -> String {
    format!("--- FAIL: {name}\n    {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_result_fails_the_leaf() {
        let mut n = 0;
        let err = measure(3, 10, || {
            n += 1;
            if n == 3 {
                11
            } else {
                10
            }
        })
        .err()
        .expect("a wrong result must fail");
        assert_eq!(err, "measured call 2 returned 11, want 10");
    }

    #[test]
    fn a_wrong_warm_up_fails_the_leaf() {
        assert!(measure(3, 10, || 9).is_err());
    }

    #[test]
    fn right_results_are_measured() {
        let mut n = 0;
        let s = measure(4, 7, || {
            n += 1;
            7
        })
        .unwrap();
        assert_eq!((n, s.calls), (5, 4));
        assert!(s.cpus >= 1);
    }

    #[test]
    fn lines_look_like_go_test() {
        let s = Sample {
            calls: 50,
            wall: Duration::from_nanos(50 * 2_177_640),
            cpu: Duration::from_nanos(50 * 2_200_000),
            switches: 1_000,
            cpus: 1,
        };
        let line = result_line(
            "BenchmarkSpawn/impl=anchor-x/tasks=10000",
            "task",
            10_000,
            &s,
        );
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            fields,
            [
                "BenchmarkSpawn/impl=anchor-x/tasks=10000",
                "50",
                "2177640",
                "ns/op",
                "217.8",
                "ns/task",
                "220.0",
                "cpu-ns/task",
                "1.010",
                "cpu-util",
                "0.002000",
                "ctx-switches/task",
                "1.000",
                "cpus"
            ]
        );
    }
}
