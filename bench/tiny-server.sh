#!/bin/sh
# SPDX-License-Identifier: MIT
# The smallest stdio MCP server that can hold a session open: it answers
# every request (initialize included) with an InitializeResult-shaped
# result under the request's id, and ignores notifications. It costs about
# a megabyte, so bench/sessions.mjs can open a thousand sessions and
# measure the gateways, not their children. Not for anything else.
while IFS= read -r line; do
    case $line in
    *'"id":'*)
        id=${line#*\"id\":}
        id=${id%%[,\}]*}
        printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"tiny","version":"1"}}}\n' "$id"
        ;;
    esac
done
