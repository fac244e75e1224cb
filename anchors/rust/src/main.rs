//! rustanchor: iostrat's Rust anchors. It runs iostrat's dispatch and wake
//! workloads on tokio's current_thread runtime (`anchor-tokio-ct`) and on a
//! small hand-written executor whose wakers come from a hand-written
//! `RawWakerVTable` (`anchor-rust-vtable`, src/mini.rs), and prints Go
//! benchmark lines that sit beside the strategies' own.
//!
//!     rustanchor -bench NAME [-cpus N] [-benchtime Kx] [-short]
//!     rustanchor -list
//!     rustanchor -version

mod executors;
mod harness;
mod mini;
mod sys;
mod workloads;

use std::process::ExitCode;

use executors::TokioCt;
use workloads::Executor;

/// The top-level benchmarks this program has leaves for, in `-list` order.
const BENCHMARKS: [&str; 5] = ["Spawn", "Chain", "Yield", "PingPong", "WakeExternal"];

const USAGE: &str = "usage: rustanchor -bench NAME [-cpus N] [-benchtime Kx] [-short]
       rustanchor -list
       rustanchor -version

  -bench NAME     run every leaf of top-level benchmark NAME (without \"Benchmark\")
  -cpus N         pin the process to the first N CPUs it may use (default: all of them)
  -benchtime Kx   K measured calls per leaf, after one warm-up call (default 1x)
  -short          the quick-mode sizes
  -list           print the top-level benchmarks this program has
  -version        print the versions it was built with";

/// The command line.
struct Flags {
    bench: Option<String>,
    cpus: Option<usize>,
    calls: u64,
    short: bool,
    list: bool,
    version: bool,
}

fn main() -> ExitCode {
    let flags = match parse_flags(std::env::args().skip(1)) {
        Ok(flags) => flags,
        Err(msg) => {
            eprintln!("rustanchor: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if flags.version {
        println!("tokio: {}", env!("RUSTANCHOR_TOKIO_VERSION"));
        println!("rustc: {}", env!("RUSTANCHOR_RUSTC_VERSION"));
    }
    if flags.list {
        BENCHMARKS.iter().for_each(|name| println!("{name}"));
    }
    let Some(bench) = &flags.bench else {
        return ExitCode::SUCCESS;
    };
    if !BENCHMARKS.contains(&bench.as_str()) {
        return ExitCode::SUCCESS; // no leaf there
    }
    let (budget, cpus) = match apply_budget(flags.cpus) {
        Ok(placed) => placed,
        Err(msg) => {
            eprintln!("rustanchor: {msg}");
            return ExitCode::FAILURE;
        }
    };
    let run = Run {
        bench,
        cpus,
        calls: flags.calls,
        short: flags.short,
        budget,
    };
    // Every leaf runs, in a fixed order; a wrong result fails the program.
    let ok = [run.leaf::<TokioCt>(), run.leaf::<mini::Executor>()];
    if ok.iter().all(|&ok| ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Parses Go-style flags: `-name value`, `-name=value`, `--name`, and bare
/// booleans (`-short`, or `-short=true`).
fn parse_flags(args: impl Iterator<Item = String>) -> Result<Flags, String> {
    let mut flags = Flags {
        bench: None,
        cpus: None,
        calls: 1,
        short: false,
        list: false,
        version: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (flag, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("flag needs an argument: -{name}"))
        };
        match name {
            "bench" => flags.bench = Some(value()?),
            "cpus" => flags.cpus = Some(parse_cpus(&value()?)?),
            "benchtime" => flags.calls = parse_benchtime(&value()?)?,
            "short" => flags.short = parse_bool(name, inline.as_deref())?,
            "list" => flags.list = parse_bool(name, inline.as_deref())?,
            "version" => flags.version = parse_bool(name, inline.as_deref())?,
            _ => return Err(format!("flag provided but not defined: -{name}")),
        }
    }
    if flags.bench.is_none() && !flags.list && !flags.version {
        return Err("give -bench NAME, -list or -version".to_string());
    }
    Ok(flags)
}

fn parse_cpus(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "invalid value {value:?} for flag -cpus: want a CPU count of 1 or more"
        )),
    }
}

/// `Kx`, K calls; a duration (go test's other form) is not supported.
fn parse_benchtime(value: &str) -> Result<u64, String> {
    match value.strip_suffix('x').map(str::parse::<u64>) {
        Some(Ok(k)) if k > 0 => Ok(k),
        _ => Err(format!(
            "invalid value {value:?} for flag -benchtime: want Kx, K measured calls (1 or more)"
        )),
    }
}

fn parse_bool(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(v) => Err(format!("invalid boolean value {v:?} for -{name}")),
    }
}

/// Pins the process to the first `wanted` CPUs of those it started with
/// (all of them if not given), before any other thread exists, so every
/// thread it creates inherits the mask. Returns the budget, or why it
/// cannot be met (each leaf then skips with that reason), and its size.
fn apply_budget(wanted: Option<usize>) -> Result<(Result<(), String>, usize), String> {
    let start = sys::affinity().map_err(|err| format!("sched_getaffinity: {err}"))?;
    let n = wanted.unwrap_or(start.len());
    if n > start.len() {
        let list = sys::format_cpu_list(&start);
        return Ok((
            Err(format!(
                "budget of {n} CPUs, but this process may only use CPUs {list}"
            )),
            n,
        ));
    }
    sys::set_affinity(&start[..n]).map_err(|err| format!("sched_setaffinity: {err}"))?;
    Ok((Ok(()), n))
}

/// One run of the program: a top-level benchmark at a CPU budget.
struct Run<'a> {
    bench: &'a str,
    cpus: usize,
    calls: u64,
    short: bool,
    /// Ok, or why no leaf can run.
    budget: Result<(), String>,
}

impl Run<'_> {
    /// Runs executor `E`'s leaf of the benchmark, if it has one, printing
    /// its result, SKIP or FAIL lines; false if the result was wrong.
    fn leaf<E: Executor>(&self) -> bool {
        let Some(w) = workload::<E>(self.bench, self.short) else {
            return true;
        };
        let suffix = if self.cpus > 1 {
            format!("-{}", self.cpus)
        } else {
            String::new()
        };
        let name = format!(
            "Benchmark{}/impl=anchor-{}/{}{suffix}",
            self.bench,
            E::NAME,
            w.params
        );
        if let Err(reason) = &self.budget {
            println!("{}", harness::skip_lines(&name, reason));
            return true;
        }
        let ex = E::new();
        match harness::measure(self.calls, w.want, || (w.call)(&ex)) {
            Ok(sample) => {
                println!("{}", harness::result_line(&name, w.unit, w.units, &sample));
                true
            }
            Err(reason) => {
                println!("{}", harness::fail_lines(&name, &reason));
                false
            }
        }
    }
}

/// A leaf's workload at the chosen sizes.
struct Workload<E> {
    /// The name after `impl=anchor-…/`.
    params: String,
    unit: &'static str,
    /// Units of work per call.
    units: u64,
    /// The exact result every call must return.
    want: u64,
    call: Box<dyn Fn(&E) -> u64>,
}

/// The leaf of top-level benchmark `bench` on executor `E`, with the sizes
/// of bench/dispatch_test.go and bench/wake_test.go (full, or -short).
/// PingPong has mode=same only: both executors run on one thread, so
/// mode=cross has no leaf here.
fn workload<E: Executor>(bench: &str, short: bool) -> Option<Workload<E>> {
    let size = |full: u64, quick: u64| if short { quick } else { full };
    let w = match bench {
        "Spawn" => {
            let n = size(10_000, 1_000);
            Workload {
                params: format!("tasks={n}"),
                unit: "task",
                units: n,
                want: n * (n + 1) / 2,
                call: Box::new(move |ex| workloads::spawn(ex, n)),
            }
        }
        "Chain" => {
            let depth = size(10_000, 1_000);
            Workload {
                params: format!("depth={depth}"),
                unit: "task",
                units: depth,
                want: depth,
                call: Box::new(move |ex| workloads::chain(ex, depth)),
            }
        }
        "Yield" => {
            let (tasks, yields) = (200, size(1_000, 100));
            Workload {
                params: format!("tasks={tasks}/yields={yields}"),
                unit: "yield",
                units: tasks * yields,
                want: tasks * yields,
                call: Box::new(move |ex| workloads::yield_many(ex, tasks, yields)),
            }
        }
        "PingPong" => {
            let rounds = size(20_000, 2_000);
            Workload {
                params: "mode=same".to_string(),
                unit: "round",
                units: rounds,
                want: rounds,
                call: Box::new(move |ex| workloads::ping_pong_same(ex, rounds)),
            }
        }
        "WakeExternal" => {
            let rounds = size(1_000, 200);
            Workload {
                params: format!("rounds={rounds}"),
                unit: "wake",
                units: rounds,
                want: rounds,
                call: Box::new(move |ex| workloads::wake_external(ex, rounds)),
            }
        }
        _ => return None,
    };
    Some(w)
}
