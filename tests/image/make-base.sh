#!/usr/bin/env bash
# Makes localhost/mcpgw-base:bookworm, a stand-in for node:22-bookworm-slim
# where no image registry can be reached: Debian 12 minbase from Debian's
# own archive, the node binary of the node@22 npm package pinned in
# package.json, and npm, where the node images put them (/usr/local).
# Takes about 45 s.
# Usage: SCRATCH=DIR bash tests/image/make-base.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
. tests/image/podman.sh

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
npm_version=${BASE_NPM_VERSION:-10.9.2}
rootfs="$SCRATCH/rootfs"
node_bin=node_modules/node/bin/node

[ -x "$node_bin" ] || {
    echo "make-base: $node_bin missing: run npm ci first" >&2
    exit 1
}
rm -rf "$rootfs"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
    >"$SCRATCH/debootstrap.log" 2>&1 || {
    tail -20 "$SCRATCH/debootstrap.log" >&2
    exit 1
}
cat >"$rootfs/etc/apt/sources.list" <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
LIST
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
mods="$rootfs/usr/local/lib/node_modules"
mkdir -p "$mods/npm"
(cd "$SCRATCH" && npm pack --silent "npm@$npm_version" >/dev/null)
tar -xzf "$SCRATCH/npm-$npm_version.tgz" -C "$mods/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# A site behind a TLS-inspecting proxy puts its CA in its base image:
# take the ones this host added, so npm reaches the registry as here.
changes=(--change 'CMD ["node"]')
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cat /usr/local/share/ca-certificates/*.crt \
        >"$rootfs/usr/local/share/ca-certificates/local.pem"
    changes+=(--change \
        'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/local.pem')
fi

tar -C "$rootfs" -c . | pm import -q "${changes[@]}" - \
    localhost/mcpgw-base:bookworm >/dev/null
pm run --rm "${ulimits[@]}" --network none localhost/mcpgw-base:bookworm \
    sh -c 'echo "base: node $(node --version), npm $(npm --version)"'
