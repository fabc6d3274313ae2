"""JFR recording queries: events and their values, the recording's time axis, profiles, insights, findings."""
