//! Work shared out among threads, with the results in the order of the work, so that what
//! several threads read comes back exactly as one thread would have read it.

/// How many threads are worth starting for work that can be cut into at most `parts` parts:
/// one per core, and no more than `parts`. The cores are counted once a process, and only
/// when more than one thread could be used: counting reads the process's cgroup limits from
/// `/proc`, which costs more than a small build's own work.
#[must_use]
pub fn workers(parts: usize) -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if parts <= 1 {
        return 1;
    }
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
    cores.min(parts)
}

/// Runs `work` on each of `runs`: the first on the calling thread, each other on a thread
/// of its own named `name`. Returns the results in the order of `runs`. A thread that cannot
/// be started leaves its run to the calling thread; a panic in a thread is raised here, as
/// it would have been without threads.
pub fn in_order<R: Sync, O: Send>(name: &str, runs: &[R], work: impl Fn(&R) -> O + Sync) -> Vec<O> {
    let Some((first, rest)) = runs.split_first() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let work = &work;
        let spawned: Vec<_> = rest
            .iter()
            .map(|run| {
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn_scoped(scope, move || work(run))
                    .map_err(|_| run)
            })
            .collect();
        let mut results = Vec::with_capacity(runs.len());
        results.push(work(first));
        for handle in spawned {
            results.push(match handle {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(run) => work(run),
            });
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_the_order_of_the_runs() {
        let runs: Vec<u64> = (0..6).collect();
        let results = in_order("test", &runs, |&n| {
            // The later runs finish first.
            std::thread::sleep(std::time::Duration::from_millis(30 - 5 * n));
            n * 10
        });
        assert_eq!(results, [0, 10, 20, 30, 40, 50]);
        assert!(in_order("test", &[] as &[u64], |&n| n).is_empty());
    }

    #[test]
    fn workers_are_at_least_one_and_at_most_the_parts() {
        assert_eq!(workers(0), 1);
        assert_eq!(workers(1), 1);
        assert!((1..=2).contains(&workers(2)));
        assert!(workers(usize::MAX) >= 1);
    }
}
