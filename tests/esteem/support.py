"""What the Esteem tests share: the staff of two practices and an admin, and the patients' 403 body."""

FORBIDDEN = {"errors": "You are not authorized to access this patient"}
STAFF = [
    {"token": "a-super", "role": "supervisor", "practice": "A"},
    {"token": "a-user-1", "practice": "A"},
    {"token": "a-user-2", "role": "user", "practice": "A"},
    {"token": "b-super", "role": "supervisor", "practice": "B"},
    {"token": "admin", "role": "admin", "practice": "HQ"},
]
"""Provisioned through POST /_mock/tenants/esteem: a supervisor and two users in practice A, a supervisor in B, an
admin."""
