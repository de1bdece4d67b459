//! Giving freed memory back to the system.
//!
//! A flush builds and frees Polars frames and Parquet buffers of up to a flush's
//! readings, on a blocking thread. glibc's allocator keeps what is freed in each
//! thread's arena for reuse, so the process's resident memory creeps up with the
//! number of flushes even though the live heap stays flat. After each flush the
//! pipeline asks the allocator to return free pages ([`release_freed_memory`]).

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
