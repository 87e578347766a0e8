"""A wheel built from the repo carries schemas/ and fixtures/ (with the demo data set) and serves from outside
the checkout."""

import subprocess
import sys
import venv
import zipfile

import pytest
import requests

from tests.support import ROOT, Served


@pytest.mark.slow
def test_wheel_installs_and_serves_outside_the_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("mockserver-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "mockserver/_data/schemas/haidy/patient-context.json" in names
    assert "mockserver/_data/fixtures/demo/state.json" in names
    assert "mockserver/_data/fixtures/demo/documents/demo-patient-1/letter.pdf" in names
    assert {"mockserver/console/static/index.html", "mockserver/console/static/js/app.js",  # the console, offline
            "mockserver/console/static/vendor/swagger-ui/swagger-ui-bundle.js",
            "mockserver/console/static/vendor/swagger-ui/LICENSE"} <= set(names)

    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    served = Served("--fixtures", "demo", executable=bin_dir / "mockserver", cwd=elsewhere)
    try:
        created = requests.post(
            f"{served.url}/v2/patient-contexts/",
            headers={"Authorization": "Bearer wheel"},
            json={"external_id": "w", "patient_group": "sqmcrfbv6fx4g04", "birth_date": "1980-02-30"},
        )
        doc = requests.get(f"{served.url}/openapi.json").json()
        demo = requests.get(f"{served.url}/v2/patient-contexts/?external_id=demo-patient-1",
                            headers={"Authorization": "Bearer demo-token"}).json()
        console = requests.get(f"{served.url}/_mock/console/vendor/swagger-ui/swagger-ui.css")
    finally:
        served.stop()
    assert created.status_code == 422 and created.json()["detail"][0]["loc"] == ["body", "birth_date"]
    assert "PatientContext" in doc["components"]["schemas"]
    assert demo[0]["total_files"] == 3  # the shipped data set, found by name inside the wheel
    assert console.status_code == 200 and console.headers["Content-Type"].startswith("text/css")
