"""The one argument parser: a window launch parses without building the subcommands (start-up),
and gives exactly what the whole parser gives."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qa_desktop.cli import build_parser, parse_arguments

WINDOW_LAUNCHES = [
    [],
    ["notes.txt"],
    ["--model", "english", "--device", "cpu"],
    ["--file", "a b.pdf", "--question", "Who?"],
    ["--screenshot", "out.png", "--question", "When?"],
    ["--self-test"],
]


@pytest.mark.parametrize("argv", WINDOW_LAUNCHES)
def test_a_window_launch_parses_as_the_whole_parser_parses_it(argv):
    spelled = ["--file", *argv] if argv and not argv[0].startswith("-") else argv
    assert vars(parse_arguments(argv)) == vars(build_parser().parse_args(spelled))


@pytest.mark.parametrize("argv", [
    ["ask", "--question", "Who?", "--context", "Ada wrote it."],
    ["--device", "cpu", "ask", "--question", "Who?", "--context", "Ada wrote it."],
])
def test_a_subcommand_is_parsed_with_its_options(argv):
    args = parse_arguments(argv)
    assert args.command == "ask" and args.question == "Who?" and args.context == "Ada wrote it."


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_arguments(["--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("ask", "export", "eval", "bench", "library", "explain"))


def test_parsing_a_window_launch_imports_no_subcommand_module_and_no_numpy():
    code = ("import json, sys; from qa_desktop.cli import parse_arguments; parse_arguments([]); "
            "print(json.dumps(sorted(m for m in ('numpy', 'qa_desktop.library_command', "
            "'qa_desktop.explain_command') if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
