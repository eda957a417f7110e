"""The SLA engine: deadlines on the Taiwan government calendar (see docs/architecture.md)."""
