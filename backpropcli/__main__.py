import sys

try:
    from .cli import run
except KeyboardInterrupt:  # Ctrl-C while the modules load, before the error boundary exists
    sys.exit(130)

run()
