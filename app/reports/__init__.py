"""The mayor's monthly report: per-agency performance from the audit trail, frozen for sign-off, exported."""
