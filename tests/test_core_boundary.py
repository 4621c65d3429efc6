"""The core never imports streamlit: checked in a fresh interpreter."""

import subprocess
import sys

from conftest import ROOT


def test_importing_every_core_module_leaves_streamlit_unloaded():
    code = (
        "import sys, pkgutil, importlib, torchxp_core\n"
        "for m in pkgutil.walk_packages(torchxp_core.__path__, 'torchxp_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
