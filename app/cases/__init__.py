"""The case core: intake, lifecycle, audit trail and search."""
