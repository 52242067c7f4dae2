"""Roster HTTP API, version 1: one blueprint module per use case."""
from . import contacts, deputies, duties, grids, plans, receptions, stations, transfer


# in the order the OpenAPI document lists them
BLUEPRINTS = (grids.grids, deputies.deputies, stations.stations, plans.blp, receptions.blp, contacts.blp, duties.blp,
              transfer.blp, deputies.internal)
