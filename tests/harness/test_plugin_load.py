"""pytest loads the plugin in every run where mockserver is installed: loading it must not import the app."""

import subprocess
import sys

HEAVY = ("flask", "werkzeug", "jsonschema", "requests", "mockserver.app", "mockserver.core.schemas")


def test_loading_the_plugin_imports_only_pytest():
    code = ("import sys, mockserver.harness.plugin; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert loaded.stdout.strip() == ""


def test_the_lazy_names_still_resolve():
    code = ("import mockserver, mockserver.harness.plugin as plugin; "
            "print(mockserver.create_app.__module__, mockserver.Config.__name__, mockserver.intercept.__module__, "
            "plugin.MockServer.__name__, plugin.ApiSession.__name__)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert loaded.stdout.split() == ["mockserver.app", "Config", "mockserver.harness.intercept", "MockServer",
                                     "ApiSession"]
