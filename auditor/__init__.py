"""checklist-auditor: a static auditor of production best practices in Python web services."""

__version__ = "0.1.0"
