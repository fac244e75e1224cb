//! The few Linux calls the harness needs: the process's CPU clock, its
//! context switches and CPU affinity. Declared by hand (glibc has them all) so the crate depends on
//! nothing but tokio.

use std::fs;
use std::io;
use std::mem;
use std::os::raw::{c_int, c_long, c_ulong};
use std::time::Duration;

#[repr(C)]
struct Timespec {
    tv_sec: c_long,
    tv_nsec: c_long,
}

/// glibc's `cpu_set_t`: a mask of 1024 CPUs in words of `unsigned long`.
#[repr(C)]
struct CpuSet([c_ulong; 1024 / c_ulong::BITS as usize]);

/// glibc's `struct rusage` on 64-bit Linux: two `struct timeval`s, then
/// fourteen `long`s, of which ru_nvcsw and ru_nivcsw are the last two.
#[repr(C)]
struct Rusage([c_long; 18]);

const CLOCK_PROCESS_CPUTIME_ID: c_int = 2;
const RUSAGE_SELF: c_int = 0;

extern "C" {
    fn clock_gettime(clock: c_int, ts: *mut Timespec) -> c_int;
    fn getrusage(who: c_int, usage: *mut Rusage) -> c_int;
    fn sched_getaffinity(pid: c_int, size: usize, mask: *mut CpuSet) -> c_int;
    fn sched_setaffinity(pid: c_int, size: usize, mask: *const CpuSet) -> c_int;
}

/// CPU time the whole process (every thread) has used, user and system.
pub fn process_cpu_time() -> Duration {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one Timespec, which `ts` is.
    let rc = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(
        rc,
        0,
        "clock_gettime(CLOCK_PROCESS_CPUTIME_ID): {}",
        io::Error::last_os_error()
    );
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Context switches of the whole process so far (every thread, ended ones
/// included), voluntary and involuntary, as getrusage counts them.
pub fn process_switches() -> u64 {
    let mut ru = Rusage([0; 18]);
    // SAFETY: getrusage writes one struct rusage, which `ru` is.
    let rc = unsafe { getrusage(RUSAGE_SELF, &mut ru) };
    assert_eq!(rc, 0, "getrusage: {}", io::Error::last_os_error());
    (ru.0[16] + ru.0[17]) as u64
}

/// The CPUs the calling thread may run on, in ascending order.
pub fn affinity() -> io::Result<Vec<usize>> {
    let mut set = CpuSet([0; 1024 / c_ulong::BITS as usize]);
    // SAFETY: the kernel writes at most `size` bytes into `set`.
    if unsafe { sched_getaffinity(0, mem::size_of::<CpuSet>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let bits = c_ulong::BITS as usize;
    Ok((0..1024)
        .filter(|&cpu| set.0[cpu / bits] >> (cpu % bits) & 1 == 1)
        .collect())
}

/// Restricts the calling thread, and every thread it creates from now on,
/// to `cpus`.
pub fn set_affinity(cpus: &[usize]) -> io::Result<()> {
    let mut set = CpuSet([0; 1024 / c_ulong::BITS as usize]);
    let bits = c_ulong::BITS as usize;
    for &cpu in cpus {
        set.0[cpu / bits] |= 1 << (cpu % bits);
    }
    // SAFETY: the kernel reads `size` bytes from `set`.
    if unsafe { sched_setaffinity(0, mem::size_of::<CpuSet>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The union of the CPUs every thread of the process may run on, read back
/// from /proc/self/task/*/status (what the process observed, not what it
/// asked for). A thread that ends while it is read is left out.
pub fn observed_cpus() -> io::Result<Vec<usize>> {
    let mut cpus = Vec::new();
    for task in fs::read_dir("/proc/self/task")? {
        let Ok(status) = fs::read_to_string(task?.path().join("status")) else {
            continue;
        };
        let list = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"));
        cpus.extend(parse_cpu_list(list.unwrap_or("").trim()));
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// Parses the kernel's CPU list format, "0-3,6".
fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut cpus = Vec::new();
    for part in list.split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(lo), Ok(hi)) = (lo.parse::<usize>(), hi.parse::<usize>()) {
            cpus.extend(lo..=hi);
        }
    }
    cpus
}

/// Formats ascending `cpus` as the kernel's CPU lists do: "0-3,6".
pub fn format_cpu_list(cpus: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            cpus[i].to_string()
        } else {
            format!("{}-{}", cpus[i], cpus[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_round_trip() {
        for list in ["0", "0-1", "0-3,6", "1,3,5-7"] {
            assert_eq!(format_cpu_list(&parse_cpu_list(list)), list);
        }
        assert_eq!(parse_cpu_list("0-3,6"), [0, 1, 2, 3, 6]);
    }

    #[test]
    fn this_thread_sees_its_own_cpus() {
        let mine = affinity().unwrap();
        assert!(!mine.is_empty());
        let all = observed_cpus().unwrap();
        assert!(mine.iter().all(|cpu| all.contains(cpu)));
    }
}
