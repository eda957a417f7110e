"""Call records: every call (or counter visit) an agent handles and how it ended; the caller's history."""
