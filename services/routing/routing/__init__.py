"""Routing service (交办): triage, dispatch to departments, work orders (工单) and the closed loop."""
