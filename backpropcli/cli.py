"""The command-line shell: options in, `analyze` called, text out, errors mapped to exit codes.

The only module that knows argv, stdout, stderr, colour and exit statuses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable

import click

from . import __version__
from .status import EXIT_INPUT, EXIT_INTERRUPTED


def _eval() -> click.Command:
    from .commands.eval import eval_command

    return eval_command


def _check() -> click.Command:
    from .commands.check import check_command

    return check_command


def _graph() -> click.Command:
    from .commands.graph import graph_command

    return graph_command


def _explain() -> click.Command:
    from .commands.explain import explain_command

    return explain_command


def _verify() -> click.Command:
    from .commands.verify import verify_command

    return verify_command


def _ops() -> click.Command:
    from .commands.ops import ops_command

    return ops_command


def _mlp() -> click.Command:
    from .commands.mlp import mlp_command

    return mlp_command


# name -> (loader, the line `backprop --help` shows). A command's module loads only when that command
# runs (or its own --help is asked for), so `--version` and `--help` start with click alone.
COMMANDS: dict[str, tuple[Callable[[], click.Command], str]] = {
    "eval": (_eval, "Gradients gate by gate, cross-checked with sympy."),
    "check": (_check, "Grade the hand-written backward pass in each PATH, line by line."),
    "graph": (_graph, "Draw the computational graph: a tree, dot, mermaid, svg, png or html."),
    "explain": (_explain, "Explain the backward pass step by step, in the lecture's words."),
    "mlp": (_mlp, "Backprop through a small MLP layer by layer, checked against the gates."),
    "verify": (_verify, "Check the gradients another engine computed, node by node, from a dump."),
    "ops": (_ops, "List every op and function: syntax, local gradient, pattern, kinks."),
}


# click 8.2 and later raise this for a group called without a command; older versions print the help
_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Commands(click.Group):
    """A group whose commands load on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        return entry[0]() if entry else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="backprop")
def main() -> None:
    """Backpropagation at the level of single gates, cross-checked with sympy."""


def run(argv: list[str] | None = None) -> None:
    """Entry point: the one error boundary. `argv` defaults to the process's arguments.

    Every way out is one `error:` line and a documented status, whatever the input or the
    streams around the process: a closed stdout or stderr, a reader that goes away, Ctrl-C.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in (args[: args.index("--")] if "--" in args else args)  # after --, it is an operand
    if argv is None and hasattr(signal, "SIGPIPE"):
        # the process is ours: a reader that goes away (backprop ... | head) ends it quietly, as it
        # ends cat or grep, with the shell's status 141; click would turn it into exit 1, "a check failed"
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:  # closed by the caller (>&-): the exit status is still the verdict
            setattr(sys, name, os.fdopen(os.open(os.devnull, os.O_WRONLY), "w", encoding="utf-8"))
        elif hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        try:
            main(args=argv, prog_name="backprop", complete_var="_BACKPROP_COMPLETE", standalone_mode=False)
        finally:
            sys.stdout.flush()  # a reader that went away shows up here, inside the boundary
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except _NO_ARGS as exc:  # `backprop` alone: click would put its whole help on stderr as the error
        _fail(
            f"error: no command given: one of {', '.join(sorted(COMMANDS))} (see {exc.ctx.command_path} --help)",
            EXIT_INPUT,
        )
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see {exc.ctx.command_path} --help)"
        _fail(f"error: {exc.format_message()}{hint}", EXIT_INPUT)
    except (click.Abort, KeyboardInterrupt):
        _fail("error: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # in process (argv given) the reader can still go away: stop quietly with the same status,
        # and point stdout at devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(128 + signal.SIGPIPE)
    except OSError as exc:
        # stdout could not take the output (a full disk, a device error); files the program reads
        # or writes itself report their own errors. Point stdout at devnull so the interpreter's
        # final flush does not fail again on what is still buffered.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        _fail(f"error: cannot write the output: {exc.strerror or exc}", EXIT_INPUT)
    except MemoryError:
        _fail("error: out of memory: the input needs more memory than this machine has", EXIT_INPUT)
    except Exception as exc:
        from .errors import BackpropError  # loaded already by whatever raised one

        code = exc.exit_code if isinstance(exc, BackpropError) else EXIT_INPUT
        if debug:  # the traceback, and still the status a script relies on (not Python's 1, "a check failed")
            import traceback

            traceback.print_exc()
            sys.exit(code)
        if isinstance(exc, BackpropError):
            _fail(exc.render(getattr(sys.stderr, "encoding", None) or "ascii"), code)
        # anything else is a bug: a safety net that tests and the fuzzer check is never reached
        _fail(
            f"error: internal error ({type(exc).__name__}: {ascii(str(exc))[:200]}); this is a bug in "
            f"backprop: rerun with --debug for the traceback",
            EXIT_INPUT,
        )


def _fail(message: str, code: int) -> None:
    with contextlib.suppress(OSError, ValueError):  # stderr may be closed or a broken pipe too
        print(message, file=sys.stderr, flush=True)
    sys.exit(code)
