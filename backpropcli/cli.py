"""The command-line shell: options in, `analyze` called, text out, errors mapped to exit codes.

The only module that knows argv, stdout, stderr, colour and exit statuses.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from . import __version__
from .commands.eval import eval_command
from .commands.output import EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED
from .errors import BackpropError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="backprop")
def main() -> None:
    """Backpropagation at the level of single gates, cross-checked with sympy."""


main.add_command(eval_command)


def run() -> None:
    """Entry point: the one error boundary."""
    debug = "--debug" in sys.argv[1:]
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see {exc.ctx.command_path} --help)"
        _fail(f"error: {exc.format_message()}{hint}", EXIT_INPUT)
    except click.Abort:
        _fail("error: interrupted", EXIT_INTERRUPTED)
    except BackpropError as exc:
        if debug:
            raise
        _fail(exc.render(), exc.exit_code)
    except KeyboardInterrupt:
        _fail("error: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (backprop ... | head): stop quietly; point stdout at devnull so the
        # interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED)


def _fail(message: str, code: int) -> None:
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr)
    sys.exit(code)
