"""Campaigns: a list of people dialled at a safe pace, within calling hours in each callee's own time zone.
So far: the callee list read and checked (`callees`), calling hours (`hours`) and the dry-run schedule
(`plan`)."""
