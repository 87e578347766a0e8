"""Haidy-Analyst: clinical records (text, documents, audio) structured into a HolisticPatient or a
FHIR R4B Bundle by asynchronous tasks. `routes` declares the endpoints on Haidy's API, `inputs`
checks and acquires content, `extraction` finds the clinical entities, `fhir` writes the Bundle."""
