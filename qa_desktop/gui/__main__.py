"""`python -m qa_desktop.gui [--model M] [--screenshot OUT.png] [--file F] [--question Q]`:
the window without the CLI (the CLI's `qa-desktop` calls the same run_gui)."""

import argparse
import sys

from qa_desktop.gui.app import run_gui


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa_desktop.gui", description=__doc__)
    parser.add_argument("--model", help="model directory, installed model name, or auto/english/multilingual")
    parser.add_argument("--screenshot", metavar="OUT.png", help="answer, save a PNG of the window, exit")
    parser.add_argument("--file", help="a .txt/.md/.pdf passage to open")
    parser.add_argument("--question", help="the question to ask")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args(argv)
    return run_gui(model=args.model, screenshot=args.screenshot, file=args.file, question=args.question,
                   device=args.device)


if __name__ == "__main__":
    sys.exit(main())
