"""The audit trail: one row per admin action (who, when, what, before → after)."""

from apiinone.audit.queries import AuditFilter, audit_page, iter_audit
from apiinone.audit.trail import ACTIONS, Actor, record

__all__ = ["ACTIONS", "Actor", "AuditFilter", "audit_page", "iter_audit", "record"]
