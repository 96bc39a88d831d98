"""README's system packages are what Qt's X11 platform plugin needs: every library `ldd` reports
for PySide6's libqxcb.so comes from a listed package (or is one every Debian has, or one those
packages pull in), and .ci/run installs the same list."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The Debian/Ubuntu package that provides each library libqxcb.so (and the Qt libraries it
# loads) link to.
PACKAGE_OF = {
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb.so.1": "libxcb1", "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
}
# Every Debian has these (libc6, libstdc++6, ...), or the packages above depend on them, so apt
# installs them with the list.
COMES_WITH_THE_LIST = {
    "linux-vdso.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libc.so.6", "libm.so.6",
    "libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libz.so.1",
    "libzstd.so.1", "libXau.so.6", "libXdmcp.so.6", "libpcre2-8.so.0", "libexpat.so.1", "libpng16.so.16",
    "libbrotlidec.so.1", "libbrotlicommon.so.1", "libbsd.so.0", "libsystemd.so.0", "libmd.so.0",
    "libcap.so.2", "libgcrypt.so.20", "liblzma.so.5", "liblz4.so.1", "libgpg-error.so.0",
    "libGLdispatch.so.0", "libGLX.so.0", "libffi.so.8", "libmount.so.1", "libselinux.so.1",
    "libblkid.so.1", "libcrypt.so.1",
}


def _listed(text: str, pattern: str) -> set[str]:
    match = re.search(pattern, text, re.S)
    assert match, f"no package list matching {pattern!r}"
    return set(match.group(1).replace("\\", " ").split())


def readme_packages() -> set[str]:
    return _listed((ROOT / "README.md").read_text(encoding="utf-8"),
                   r"sudo apt-get install --no-install-recommends ([^\n]+)")


def ci_packages() -> set[str]:
    return _listed((ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                   r"apt-get install -y -qq --no-install-recommends \\\n(.*?)>/dev/null")


def test_readme_and_ci_install_the_same_packages():
    assert readme_packages() == ci_packages()
    assert {"libxcb-icccm4", "libxcb-keysyms1", "fonts-noto-cjk"} <= readme_packages()


def test_every_library_libqxcb_needs_comes_from_a_listed_package():
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        pytest.skip("ldd runs on Linux only: the X11 plugin's libraries cannot be listed here")
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists():
        pytest.skip(f"this PySide6 has no X11 platform plugin at {plugin}")
    output = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    qt_dir = str(plugin.parents[2])
    needed = {}
    for line in output.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name or qt_dir in line or name.startswith("libQt6") or "/" in name:
            continue  # Qt's own libraries ship inside PySide6
        needed[name] = "not found" in line
    unknown = sorted(set(needed) - set(PACKAGE_OF) - COMES_WITH_THE_LIST)
    assert not unknown, f"libqxcb.so needs {unknown}: add their packages to README and PACKAGE_OF"
    listed = readme_packages()
    missing = sorted({PACKAGE_OF[n] for n in needed if n in PACKAGE_OF} - listed)
    assert not missing, f"README's system packages lack {missing}"
