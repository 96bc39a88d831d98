"""Fast checks (always run) that the packaging files agree with each other and with the app:
the .desktop entry, the icon, the PyInstaller spec, the build and install scripts.

The real build-and-run test is test_standalone_build.py (minutes; opt-in)."""

from __future__ import annotations

import ast
import configparser
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
PACKAGING = ROOT / "packaging"
DESKTOP = RESOURCES / "qa-desktop.desktop"
SPEC = PACKAGING / "qa-desktop.spec"

# What the app never imports at run time and the build must leave out.
MUST_EXCLUDE = {"torch", "transformers", "tensorflow", "sklearn", "scipy", "pandas", "matplotlib",
                "qa_desktop.engine.onnx_export", "qa_desktop.training"}


def desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    assert parser.sections()[0] == "Desktop Entry"
    return dict(parser["Desktop Entry"])


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def spec_namespace(resources: Path = RESOURCES) -> dict:
    """The spec's constants and its resource_datas(), without running PyInstaller."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    wanted = {"EXCLUDES", "DROP_QT_PLUGINS", "SKIP_DIRS", "SKIP_SUFFIXES", "APP_NAME", "resource_datas",
              "_is_model_dir"}
    body = []
    for node in tree.body:
        names = ({t.id for t in node.targets if isinstance(t, ast.Name)} if isinstance(node, ast.Assign)
                 else {node.name} if isinstance(node, ast.FunctionDef) else set())
        if names & wanted:
            body.append(node)
    namespace = {"os": os, "Path": Path, "RESOURCES": resources, "ROOT": ROOT}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(SPEC), "exec"), namespace)  # noqa: S102
    return namespace


# --- the desktop entry ---------------------------------------------------------------------------

def test_desktop_entry_has_the_required_keys():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"]
    assert entry["Icon"] == "qa-desktop"
    assert entry["Terminal"] == "false"
    categories = entry["Categories"]
    assert categories.endswith(";") and categories.strip(";")
    mime = entry["MimeType"].rstrip(";").split(";")
    assert {"text/plain", "application/pdf"} <= set(mime)


def test_desktop_entry_runs_an_installed_script_with_arguments_the_cli_accepts():
    from qa_desktop.cli import parse_arguments

    entry = desktop_entry()
    argv = shlex.split(entry["Exec"])
    scripts = {**project().get("scripts", {}), **project().get("gui-scripts", {})}
    assert argv[0] in scripts, f"Exec runs {argv[0]!r}, which pyproject does not install"
    assert scripts[argv[0]].startswith("qa_desktop.cli:")
    if "TryExec" in entry:
        assert entry["TryExec"] == argv[0]
    assert argv[1:] == ["%f"]  # "Open with qa-desktop" passes the file
    # Field codes (%f, %u, ...) are replaced by a file, or dropped when none is given.
    for replacement in ([], ["/tmp/some passage.txt"]):
        args = []
        for arg in argv[1:]:
            args.extend(replacement if arg in ("%f", "%F", "%u", "%U") else [arg])
        parse_arguments(args)  # SystemExit (argparse error) fails the test


def test_desktop_entry_passes_desktop_file_validate():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (Debian: apt-get install desktop-file-utils)")
    done = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in (done.stdout + done.stderr).lower()


# --- the icon ------------------------------------------------------------------------------------

def test_icon_svg_is_a_square_svg():
    root = ET.parse(RESOURCES / "icons" / "qa-desktop.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    x, y, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height > 0


def test_icon_png_is_256_pixels_with_alpha():
    data = (RESOURCES / "icons" / "qa-desktop.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height) == (256, 256)
    assert color_type in (4, 6), "the icon needs an alpha channel"


# --- the spec ------------------------------------------------------------------------------------

def test_spec_excludes_the_heavy_packages():
    excludes = set(spec_namespace()["EXCLUDES"])
    assert MUST_EXCLUDE <= excludes, f"missing from EXCLUDES: {sorted(MUST_EXCLUDE - excludes)}"
    for needed in ("onnxruntime", "tokenizers", "numpy", "pyqtgraph", "pypdf", "platformdirs", "PySide6",
                   "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtSvg", "qa_desktop",
                   "qa_desktop.engine", "qa_desktop.gui", "qa_desktop.resources"):
        assert needed not in excludes


def test_spec_lays_out_all_resources_under_the_package_path():
    namespace = spec_namespace()
    assert namespace["APP_NAME"] == "qa-desktop"
    datas = {(Path(src).resolve(), Path(dest)) for src, dest in namespace["resource_datas"]()}
    expected = {
        RESOURCES / "qa-desktop.desktop": Path("qa_desktop/resources"),
        RESOURCES / "icons" / "qa-desktop.svg": Path("qa_desktop/resources/icons"),
        RESOURCES / "icons" / "qa-desktop.png": Path("qa_desktop/resources/icons"),
    }
    for src, dest in expected.items():
        assert (src, dest) in datas
    # Every model file goes in, at its place under qa_desktop/resources/models/.
    for model_dir in sorted((RESOURCES / "models").glob("*/")):
        for name in ("model.onnx", "tokenizer.json"):
            if (model_dir / name).exists():
                assert (model_dir / name, Path("qa_desktop/resources/models") / model_dir.name) in datas
    for src, dest in datas:
        assert dest.parts[:2] == ("qa_desktop", "resources")
        assert src.suffix not in (".pyc", ".bin", ".pt", ".safetensors"), f"{src} should not be bundled"


def test_spec_bundles_model_directories_but_not_training_leftovers(tmp_path):
    resources = tmp_path / "resources"
    model = resources / "models" / "minilm-squad"
    files = ["__init__.py", "qa-desktop.desktop", "icons/qa-desktop.svg",
             "models/minilm-squad/model.onnx", "models/minilm-squad/tokenizer.json",
             "models/minilm-squad/qa_desktop.json", "models/minilm-squad/reference/model.safetensors",
             "models/minilm-squad/reference/config.json", "models/minilm-squad/pytorch_model.bin",
             "models/minilm-squad-checkpoint/config.json", "models/minilm-squad-checkpoint/model.safetensors",
             "models/__pycache__/x.pyc", "models/notes.txt"]
    for name in files:
        (resources / name).parent.mkdir(parents=True, exist_ok=True)
        (resources / name).write_text("x")
    datas = {(str(Path(src).relative_to(resources)), dest)
             for src, dest in spec_namespace(resources)["resource_datas"]()}
    assert datas == {
        ("qa-desktop.desktop", "qa_desktop/resources"),
        ("icons/qa-desktop.svg", "qa_desktop/resources/icons"),
        ("models/notes.txt", "qa_desktop/resources/models"),
        ("models/minilm-squad/model.onnx", "qa_desktop/resources/models/minilm-squad"),
        ("models/minilm-squad/tokenizer.json", "qa_desktop/resources/models/minilm-squad"),
        ("models/minilm-squad/qa_desktop.json", "qa_desktop/resources/models/minilm-squad"),
    }
    assert model.is_dir()


def test_spec_keeps_the_qt_platforms_the_app_needs():
    dropped = spec_namespace()["DROP_QT_PLUGINS"]
    for plugin in ("platforms/libqxcb", "platforms/libqoffscreen", "platforms/libqwayland",
                   "imageformats/libqsvg", "iconengines/libqsvgicon"):
        assert not any(plugin.startswith(drop) for drop in dropped), plugin


BLOCKER = """
import importlib.abc, sys
EXCLUDED = {excludes!r}
FINDERS = list(sys.meta_path)

class OnlyWhatIsBundled(importlib.abc.MetaPathFinder):
    # the only finder: an excluded module is simply not found, as in the frozen app
    def find_spec(self, name, path=None, target=None):
        if any(name == e or name.startswith(e + ".") for e in EXCLUDED):
            return None
        for finder in FINDERS:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                return spec
        return None

sys.meta_path[:] = [OnlyWhatIsBundled()]
for module in {modules!r}:
    __import__(module)
print("imported", len({modules!r}), "modules")
"""


def test_app_runtime_imports_work_without_what_the_spec_excludes():
    """Import what the frozen app runs (cli, engine runtime, gui) in a fresh interpreter in which
    every module the spec excludes fails to import, as it does in the frozen app. Optional imports
    (try/except ImportError) pass; a hard import of an excluded module fails here, not for users."""
    excludes = spec_namespace()["EXCLUDES"]
    modules = ["qa_desktop.cli", "qa_desktop.engine", "qa_desktop.engine.document_reader",
               "qa_desktop.engine.squad_evaluation", "qa_desktop.engine.model_store",
               "qa_desktop.engine.onnx_session", "onnxruntime", "tokenizers", "pypdf", "platformdirs",
               "numpy", "pyqtgraph", "pyqtgraph.exporters", "PySide6.QtSvg"]
    gui = ROOT / "qa_desktop" / "gui"
    modules += [f"qa_desktop.gui.{p.stem}" for p in sorted(gui.glob("*.py")) if p.stem != "__init__"]
    code = BLOCKER.format(excludes=list(excludes), modules=modules)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "imported" in done.stdout


# --- scripts and project files --------------------------------------------------------------------

def test_package_extra_installs_pyinstaller():
    extras = project()["optional-dependencies"]
    assert any(req.replace(" ", "").startswith("pyinstaller>=6") for req in extras["package"])


def test_build_outputs_are_gitignored():
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()}
    assert {"build", "dist"} <= ignored


@pytest.mark.parametrize("script", ["build.sh", "install-desktop-entry.sh"])
def test_shell_scripts_parse_and_print_help(script):
    path = PACKAGING / script
    subprocess.run(["bash", "-n", str(path)], check=True)
    done = subprocess.run(["bash", str(path), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "qa-desktop" in done.stdout


def test_install_desktop_entry_installs_and_removes(tmp_path):
    app = tmp_path / "app dir" / "qa-desktop"
    app.parent.mkdir()
    app.write_text("#!/bin/sh\nexit 0\n")
    app.chmod(0o755)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    script = PACKAGING / "install-desktop-entry.sh"
    done = subprocess.run(["bash", str(script), str(app.parent)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "share" / "applications" / "qa-desktop.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(installed, encoding="utf-8")
    assert shlex.split(parser["Desktop Entry"]["Exec"])[0] == str(app)
    assert parser["Desktop Entry"]["TryExec"] == str(app)
    icons = tmp_path / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "qa-desktop.svg").read_bytes() == \
        (RESOURCES / "icons" / "qa-desktop.svg").read_bytes()
    assert (icons / "256x256" / "apps" / "qa-desktop.png").exists()

    done = subprocess.run(["bash", str(script), "--uninstall"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert not installed.exists()
    assert not (icons / "scalable" / "apps" / "qa-desktop.svg").exists()


def test_install_desktop_entry_refuses_a_missing_program(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    done = subprocess.run(["bash", str(PACKAGING / "install-desktop-entry.sh"), str(tmp_path / "nope")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "not an executable" in done.stderr
    assert not (tmp_path / "share" / "applications").exists()


def test_the_wheel_content_stays_under_pypis_100_mb_limit():
    """Everything the wheel packs from resources/ (both bundled models included), uncompressed:
    an upper bound on what it adds to the wheel, which PyPI refuses past 100 MB by default."""
    packed = sum(p.stat().st_size for p in RESOURCES.rglob("*") if p.is_file())
    code = sum(p.stat().st_size for p in (ROOT / "qa_desktop").rglob("*.py"))
    assert packed + code < 100_000_000, f"{(packed + code) / 1e6:.1f} MB"
