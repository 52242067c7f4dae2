"""Routing HTTP API, version 1: one module per use case, each with its blueprint(s)."""
from .cases import cases
from .catalogue import deadlines, rules
from .evaluations import evaluations
from .holidays import holidays
from .internal import internal
from .projects import blp as projects, ratings as project_ratings
from .work_orders import work_orders

BLUEPRINTS = (cases, work_orders, evaluations, rules, deadlines, holidays, internal, projects, project_ratings)
