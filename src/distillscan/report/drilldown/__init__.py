"""The drill-down views for a person (Rich terminal output) or a machine (JSON, CSV,
Parquet): one group (`explain`), the template catalogue and the account table.

Terminal output follows the report's rule: every log-derived string (skeletons,
prompts, account ids, IPs, user agents, model names…) goes through `terminal_safe`
into a Rich `Text`, never markup. JSON and CSV keep the data exact; their encoders
escape it. Numbers are rounded as in the scan report.
"""
