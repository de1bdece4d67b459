//! Who a caller is, as far as permissions go.
named_enum! {
    /// The role an API token grants.
    pub enum Role as "role" {
        /// Runs the installation: tokens, gateways, everything.
        Admin,
        /// The maintenance committee: reads and writes work orders and the registry.
        Committee,
        /// A resident: sees and reports for their own unit only.
        Resident,
        /// A sensor gateway: publishes readings only.
        Gateway,
    }
}
