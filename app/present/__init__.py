"""What each audience sees: one module per thing shown (a case, an event, a deadline, reference rows).

The JSON API, the socket pushes, the pages and the exports all shape rows here, and every shape
asks `audience.view_of` (or is given a `View`) before it shows a reporter, free text or another
agency's case number: one rule, not one per caller.
"""
