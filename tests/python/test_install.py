"""pip installs the package (offline: setuptools from the system) into a
directory it is then imported from."""
import os
import shutil
import subprocess
import sys


def test_pip_install_into_target(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(os.environ["OL_PYTHON_SRC"], src,
                    ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--disable-pip-version-check",
                        "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "oneliner" / "py.typed").exists()
    code = ("import oneliner, oneliner.aio; print(oneliner.__file__); "
            "print(oneliner.Client.__name__, oneliner.aio.Client.__name__)")
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    path, names = r.stdout.splitlines()
    assert path.startswith(str(target)) and names == "Client Client"
