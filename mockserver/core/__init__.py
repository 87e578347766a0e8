"""The framework: declarations and the request pipeline, schemas and validation, errors and their
styles, the OpenAPI document, configuration, tenancy, the state store, the clock and tasks.
It knows no vendor: families plug into it through `family.Family`."""
