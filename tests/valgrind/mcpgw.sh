#!/bin/sh
# Runs the gateway under valgrind memcheck for the integration tests
# (MCPGW_BIN points here). Any memory error or definite leak makes the
# gateway exit 99, which the tests' clean-shutdown check turns into a
# failure. The MCP server child is not traced.
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    "${MCPGW_VALGRIND_BIN:-$(dirname "$0")/../../build/mcpgw}" "$@"
