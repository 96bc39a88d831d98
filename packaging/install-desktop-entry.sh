#!/usr/bin/env bash
# Install (or remove) qa-desktop's menu entry and icon for the current user (freedesktop menus:
# GNOME, KDE, Xfce, ...). Nothing is written outside ~/.local/share (or $XDG_DATA_HOME).
#
#   bash packaging/install-desktop-entry.sh dist/qa-desktop   # a built folder app
#   bash packaging/install-desktop-entry.sh                   # a pip-installed qa-desktop on PATH
#   bash packaging/install-desktop-entry.sh /path/to/launcher # any qa-desktop executable
#   bash packaging/install-desktop-entry.sh --uninstall
#
# The menu entry runs the program by its absolute path, so it works even when ~/.local/bin is not
# on the desktop session's PATH.
set -euo pipefail

DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
DESKTOP_NAME="qa-desktop.desktop"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f "$ICONS" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/$DESKTOP_NAME" "$ICONS/scalable/apps/qa-desktop.svg" "$ICONS/256x256/apps/qa-desktop.png"
    refresh
    echo "removed the qa-desktop menu entry and icon from $DATA"
    exit 0
fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
fi

# 1. The program the menu entry starts.
TARGET="${1:-}"
RESOURCES=""
if [ -z "$TARGET" ]; then
    EXEC="$(command -v qa-desktop-gui || command -v qa-desktop || true)"
    if [ -z "$EXEC" ]; then
        echo "install-desktop-entry.sh: no qa-desktop on PATH; pass the built app folder (dist/qa-desktop) or the executable" >&2
        exit 2
    fi
elif [ -d "$TARGET" ]; then
    EXEC="$(cd "$TARGET" && pwd)/qa-desktop"
    for candidate in "$(cd "$TARGET" && pwd)/_internal/qa_desktop/resources" "$(cd "$TARGET" && pwd)/qa_desktop/resources"; do
        [ -f "$candidate/qa-desktop.desktop" ] && RESOURCES="$candidate" && break
    done
else
    EXEC="$(cd "$(dirname "$TARGET")" && pwd)/$(basename "$TARGET")"
fi
if [ ! -x "$EXEC" ]; then
    echo "install-desktop-entry.sh: $EXEC is not an executable qa-desktop" >&2
    exit 2
fi

# 2. Where the .desktop file and icons are: the built app, this checkout, or the installed package.
if [ -z "$RESOURCES" ] && [ -f "$HERE/../resources/qa-desktop.desktop" ]; then
    RESOURCES="$(cd "$HERE/../resources" && pwd)"
fi
if [ -z "$RESOURCES" ]; then
    PY="$(command -v python3 || command -v python || true)"
    if [ -n "$PY" ]; then
        RESOURCES="$("$PY" -c 'import importlib.resources as r; print(r.files("qa_desktop.resources"))' 2>/dev/null || true)"
    fi
fi
if [ -z "$RESOURCES" ] || [ ! -f "$RESOURCES/qa-desktop.desktop" ]; then
    echo "install-desktop-entry.sh: cannot find qa-desktop.desktop (looked in the app folder, this checkout and the installed package)" >&2
    exit 2
fi

# 3. Install: Exec/TryExec point at the program by absolute path (quoted if it has spaces).
mkdir -p "$APPS" "$ICONS/scalable/apps" "$ICONS/256x256/apps"
case "$EXEC" in
    *[[:space:]]*) EXEC_FIELD="\"$EXEC\"" ;;
    *) EXEC_FIELD="$EXEC" ;;
esac
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
        Exec=*) rest="${line#Exec=}"; rest="${rest#* }"; [ "$rest" = "${line#Exec=}" ] && rest=""
                printf 'Exec=%s%s\n' "$EXEC_FIELD" "${rest:+ $rest}" ;;
        TryExec=*) printf 'TryExec=%s\n' "$EXEC" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$RESOURCES/qa-desktop.desktop" > "$tmp"
install -m 644 "$tmp" "$APPS/$DESKTOP_NAME"
install -m 644 "$RESOURCES/icons/qa-desktop.svg" "$ICONS/scalable/apps/qa-desktop.svg"
install -m 644 "$RESOURCES/icons/qa-desktop.png" "$ICONS/256x256/apps/qa-desktop.png"
if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$APPS/$DESKTOP_NAME"
fi
refresh
echo "installed $APPS/$DESKTOP_NAME (runs $EXEC) and the qa-desktop icon under $ICONS"
