#!/bin/sh
# The image's command line: what a `docker run IMAGE ...` step asks for.
#   (nothing) | serve [OPTIONS] | --option ...   the mock on 0.0.0.0:4010 (every `discard-mock serve` option works)
#   contract [PYTEST OPTIONS]                     the contract suite, as `pytest --pyargs contract_tests`
#   anything else                                 run as given (pytest ..., discard-mock --version, sh)
# Each branch execs, so the command is tini's only child and gets its signals; exit codes pass through unchanged.
set -eu
case "${1:-serve}" in
  serve)
    [ "$#" -gt 0 ] && shift
    # Given options come last and win: `serve --port 8080` listens on 8080.
    exec discard-mock serve --host 0.0.0.0 --port 4010 "$@"
    ;;
  -*)
    exec discard-mock serve --host 0.0.0.0 --port 4010 "$@"
    ;;
  contract)
    shift
    # No cache folder: the working directory may be read-only, and a gate step starts afresh anyway.
    exec python -m pytest --pyargs contract_tests -p no:cacheprovider "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
