"""The process exit statuses, the contract with shells and CI: one place, loaded by everything."""

EXIT_OK = 0  # every check and claim passed
EXIT_FAILED = 1  # a cross-check or a claim failed: a wrong gradient
EXIT_INPUT = 2  # bad input or usage
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
