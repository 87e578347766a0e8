"""Haidy's API as one declaration object: its auth, error style, prefixes and real hosts.

Both of Haidy's products declare their operations on it: patient contexts (`routes`) and the
analyst (`analyst.routes`); the package imports both before it exports the family.
"""

from mockserver.core.auth import BearerAuth
from mockserver.core.declaration import Api
from mockserver.core.error_styles import FastApiErrors

ERROR = "common/fastapi-error"

api = Api(
    "haidy", title="Haidy (44ai): patient contexts, files and the integration deep link",
    errors=FastApiErrors(), auth=BearerAuth(), prefixes=("/v2/", "/integration"), hosts=("api.44ai.ch", "haidy.ch"),
    servers=("https://api.44ai.ch",),
    validation_schema="common/fastapi-validation-error", error_schema=ERROR,
)
