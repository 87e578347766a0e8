#!/usr/bin/env python3
import os
import json
import pathlib
import requests
from urllib.parse import urlencode
API_BASE = "https://api.44ai.ch"
BEARER = os.getenv("HAIDY_BEARER", "YOUR_API_TOKEN")
# Patient information
PATIENT_EXTERNAL_ID = "patient-12345"
PATIENT_NAME = "John Doe"
PATIENT_BIRTH_DATE = "1980-01-01"
PATIENT_GROUP_ID = "sqmcrfbv6fx4g04"
# Files to upload
FILE_PATHS = [
    "/path/to/lab-report.pdf",
    "/path/to/discharge-summary.pdf"
]
# Integration details
INTEGRATION_ID = "o10i0iva3tn75kk"
USER_EMAIL = "user@example.com"
USER_PASSWORD = "" # optional
UNIQUE_ID = PATIENT_EXTERNAL_ID
session = requests.Session()
session.headers.update({"Authorization": f"Bearer {BEARER}"})
def create_patient_context():
    """Create a new patient context."""
    url = f"{API_BASE}/v2/patient-contexts/"
    body = {
        "external_id": PATIENT_EXTERNAL_ID,
        "patient_group": PATIENT_GROUP_ID,
        "name": PATIENT_NAME,
        "birth_date": PATIENT_BIRTH_DATE,
    }
    resp = session.post(url, json=body)
    resp.raise_for_status()
    data = resp.json()
    print(f"✅ Created patient context: {data['id']}")
    return data
def upload_files(patient_context_id, file_paths):
    """Upload files to the patient context."""
    url = f"{API_BASE}/v2/patient-files/upload/{patient_context_id}"
    files = []
    opened = []
    try:
        for path in file_paths:
            p = pathlib.Path(path)
            if not p.is_file():
                print(f"❌ File not found: {path}")
                continue
            f = open(p, "rb")
            opened.append(f)
            files.append(("files", (p.name, f, "application/octet-stream")))
        if files:
            resp = session.post(url, files=files)
            resp.raise_for_status()
            data = resp.json()
            print(f"✅ Uploaded {data['total_uploaded']} file(s)")
            return data
    finally:
        for f in opened:
            f.close()
def build_integration_url(email, integration_id, unique_id, password=None, meta=None):
    """Build the Haidy integration URL."""
    base = "https://haidy.ch/integration"
    params = {
        "email": email,
        "integration": integration_id,
        "unique_id": unique_id,
    }
    if password:
        params["password"] = password
    if meta:
        params["metadata"] = json.dumps(meta, ensure_ascii=False)
    return f"{base}?{urlencode(params)}"
def main():
    # 1. Create patient context
    ctx = create_patient_context()
    patient_context_id = ctx["id"]
    # 2. Upload files
    upload_files(patient_context_id, FILE_PATHS)
    # 3. Generate integration URL
    meta = {
        "patient_id": PATIENT_EXTERNAL_ID,
        "patient_first_name": PATIENT_NAME.split()[0],
        "patient_last_name": PATIENT_NAME.split()[-1],
        "patient_birth_date": PATIENT_BIRTH_DATE,
    }
    url = build_integration_url(
        email=USER_EMAIL,
        password=USER_PASSWORD or None,
        integration_id=INTEGRATION_ID,
        unique_id=UNIQUE_ID,
        meta=meta,
    )
    print(f"\n🔗 Integration URL:\n{url}")
    print(f"\n✨ Patient Context ID: {patient_context_id}")
if __name__ == "__main__":
    main()
