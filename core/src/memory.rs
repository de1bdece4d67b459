//! Keeping the process's resident memory close to what it uses.
//!
//! glibc's allocator keeps what is freed for reuse: a flush's Polars frames and
//! Parquet buffers, a day table of features once the samples are built. Resident
//! memory then follows the largest piece of work ever done rather than the work at
//! hand, and on a co-op's small box that grows with its history. Every command
//! tunes the allocator first ([`tune_allocator`]); after a large piece of work the
//! pipeline and the learning ask it to return free pages ([`release_freed_memory`]).

/// Allocator arenas at most ([`tune_allocator`]).
pub const ARENAS: i32 = 2;

/// Blocks from this size up get pages of their own ([`tune_allocator`]): glibc's
/// starting value, kept.
pub const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Tunes glibc's allocator:
/// - at most [`ARENAS`] arenas (by default it makes up to eight per core): each
///   thread that allocates (Polars', rayon's, tokio's) would otherwise get one of
///   its own that keeps what the thread freed;
/// - blocks of [`MMAP_THRESHOLD`] and more get pages of their own, given back when
///   freed. By default glibc raises that threshold to the largest block freed so
///   far (up to 32 MB), after which a learner's copy of its rows is carved from
///   the heap and stays resident beside the holes it cannot reuse.
///
/// Measured on `train` over four years of the sample co-op: 72 MB with both,
/// 79 MB with the threshold left to move (`docs/benchmarks.md`). Call it first in `main`, before any thread starts; does
/// nothing on other platforms.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets tuning parameters of the allocator; called
    // before any other thread exists, nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Returns free heap pages of every allocator arena to the system (glibc's
/// `malloc_trim`); does nothing on other platforms.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only walks the allocator's own free lists; it has no
    // preconditions and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
