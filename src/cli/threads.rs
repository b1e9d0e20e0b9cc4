//! The thread counts, resolved once from the flags: the library is handed a number and never looks
//! at the machine itself.

/// Threads of `kiln run`'s search: `--jobs N`, else every core.
pub fn search(jobs: Option<u32>) -> usize {
    jobs.map_or_else(cores, |n| n as usize).max(1)
}

/// Worker threads of `kiln serve`: `--threads N`, else twice the cores. A server shares its cores
/// with other processes (a proxy, a sidecar, the load generator of a benchmark); a worker the system
/// preempts leaves its queued requests waiting, and spare workers take them. Measured with wrk on the
/// same 2 cores, 1-row requests: 2 workers 14,000-17,800 requests/s (two runs), 4 workers
/// 21,400-22,100, p99 3.4 ms.
pub fn serve(threads: Option<u32>) -> usize {
    threads.map_or_else(|| 2 * cores(), |n| n as usize)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
