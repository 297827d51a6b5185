"""Campaigns: a list of people dialled at a safe pace, within calling hours in each callee's own time zone.
The list read and checked (`callees`), calling hours (`hours`), the dry-run schedule (`plan`), the rules for
outcomes and retries (`policy`), making one (`setup`), its writes and reads in history (`ledger`,
`progress`), dialling it (`runner`) and the campaigns a process runs (`runs`)."""
