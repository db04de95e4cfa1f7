"""Drill-down views over a finished scan: one group, every template, every account.

Pure functions over a `ScanResult` (its merged per-account aggregates, the template map
and the scored report) returning Polars frames and the view types of `model.views`,
which `report.drilldown` and `report.html` render. Only `example_requests` reads the
logs again.
"""

from distillscan.investigate.accounts import ACCOUNT_SORTS, account_table, filter_accounts, sort_accounts
from distillscan.investigate.components import score_components
from distillscan.investigate.examples import EXAMPLE_CHARS, example_requests
from distillscan.investigate.group import MEMBER_COLUMNS, group_view
from distillscan.investigate.resolve import resolve_group
from distillscan.investigate.templates import TEMPLATE_SORTS, sort_templates, template_catalog

__all__ = [
    "ACCOUNT_SORTS",
    "EXAMPLE_CHARS",
    "MEMBER_COLUMNS",
    "TEMPLATE_SORTS",
    "account_table",
    "example_requests",
    "filter_accounts",
    "group_view",
    "resolve_group",
    "score_components",
    "sort_accounts",
    "sort_templates",
    "template_catalog",
]
