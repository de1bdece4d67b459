//! The HTTP API for the committee, residents and gateways (not built yet).
