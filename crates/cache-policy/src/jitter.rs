//! Random spreads, so that processes started together do not act in step.

/// A random fraction in `0.0..=1.0`; from the clock's nanoseconds when the system's
/// randomness cannot be read, as spreading matters more than the quality of the draw.
pub(crate) fn fraction() -> f64 {
    let draw = getrandom::u32().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos())
    });
    f64::from(draw) / f64::from(u32::MAX)
}
