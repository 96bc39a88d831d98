#!/usr/bin/env bash
# Build qa-desktop as a standalone folder app with PyInstaller, then check that it starts.
#
#   bash packaging/build.sh                  # -> dist/qa-desktop/qa-desktop, then its --self-test
#   bash packaging/build.sh --model DIR      # self-test on DIR instead of the bundled model
#   bash packaging/build.sh --no-check       # build only
#   bash packaging/build.sh --clean          # drop PyInstaller's cache first (slower)
#   bash packaging/build.sh --dist D --work W   # output and scratch folders
#
# Needs: pip install -e '.[package]'  (PyInstaller >= 6) in the Python that runs the app.
# PYTHON=/path/to/python picks that interpreter (default: python3, or python).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
CHECK=1
CLEAN=()
MODEL=()

while [ $# -gt 0 ]; do
    case "$1" in
        --no-check) CHECK=0 ;;
        --clean) CLEAN=(--clean) ;;
        --model) MODEL=(--model "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift ;;
        --dist) DIST="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
        --work) WORK="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "build.sh: PyInstaller is not installed for $PYTHON; run: $PYTHON -m pip install -e '$ROOT[package]'" >&2
    exit 2
fi
if ! "$PYTHON" -c "import qa_desktop.cli, onnxruntime, tokenizers, PySide6, pyqtgraph, pypdf" 2>/dev/null; then
    echo "build.sh: qa-desktop or one of its dependencies is not installed for $PYTHON; run: $PYTHON -m pip install -e '$ROOT[package]'" >&2
    exit 2
fi

APP="$DIST/qa-desktop"
echo "build.sh: building $APP with $("$PYTHON" -m PyInstaller --version 2>/dev/null | tail -1 | sed 's/^/PyInstaller /')" >&2
start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm "${CLEAN[@]}" --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/qa-desktop.spec"
seconds=$(( $(date +%s) - start ))
size=$(du -sh "$APP" | cut -f1)
echo "build.sh: built $APP/qa-desktop in ${seconds}s; the folder is $size" >&2

if [ "$CHECK" = 1 ]; then
    # The frozen app must start without a display: Qt's offscreen platform.
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    "$APP/qa-desktop" --help >/dev/null
    "$APP/qa-desktop" --self-test "${MODEL[@]}"
fi
