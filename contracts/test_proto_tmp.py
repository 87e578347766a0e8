import os
import schemathesis
from mockserver.app import create_app
from mockserver.config import Config

N = int(os.environ.get("N", "20"))
app = create_app(Config(validate_responses=True, auth="strict", tenants_file="contracts/strict-tenants.json"))
config = schemathesis.Config.from_dict({
    "auth": {"openapi": {"bearerAuth": {"bearer": "contract-token"}}},
    "generation": {"max-examples": N},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404"]}},
    "operations": [{"include-operation-id": "integration_page", "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "422"]}}}],
})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)

@schema.parametrize()
def test_api(case):
    case.call_and_validate()
